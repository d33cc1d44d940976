"""The SSH lab itself: real ansible-playbook runs over ansible.builtin.ssh, with become, to each lab host."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_each_lab_host_is_its_own_user_over_ssh_with_become(linux_lab) -> None:
    playbook = linux_lab.write_playbook('whoami.yml', '''
- hosts: linux_thin_clients
  gather_facts: false
  tasks:
    - name: As the login user
      ansible.builtin.command: id -un
      register: login
      changed_when: false
    - name: As root through sudo
      ansible.builtin.command: id -un
      become: true
      register: root
      changed_when: false
''')
    run = linux_lab.playbook(playbook)
    assert run.rc == 0, run.stdout + run.stderr
    for host in linux_lab.ssh.hosts:
        assert run.result(host, 'As the login user')['stdout'] == linux_lab.ssh.login(host)
        assert run.result(host, 'As root through sudo')['stdout'] == 'root'


def test_the_lab_accepts_only_its_key(linux_lab, tmp_path) -> None:
    import subprocess
    other = tmp_path / 'other_key'
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', str(other)], check=True)
    proc = subprocess.run(['ssh', *linux_lab.ssh.ssh_options(), '-i', str(other), '-p', str(linux_lab.ssh.port),
                           '%s@127.0.0.1' % linux_lab.ssh.login('thin01'), 'true'],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60, check=False)
    assert proc.returncode == 255 and 'Permission denied' in proc.stderr, proc.stderr
