"""The tslicensing.cal.eligibility role on hosts that are only records (declared OS): a real ansible-playbook
run on localhost, no Windows needed. Checks the fact it sets, the fail behaviour and the warn-only switch,
and that a record-only host is never contacted (its address is unroutable)."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
ANSIBLE_PLAYBOOK = pathlib.Path(sys.executable).parent / 'ansible-playbook'

# TEST-NET-1 address over ssh: any attempt to connect would fail the host as unreachable.
INVENTORY = {
    'all': {
        'vars': {'ansible_connection': 'ssh', 'ansible_host': '192.0.2.1', 'ansible_ssh_timeout': 2},
        'hosts': {
            'xp-home': {'eligibility_declared_os': {'product_name': 'Windows XP Home Edition'}},
            'xp-pro': {'eligibility_declared_os': {'family': 'windows_xp', 'edition': 'professional'}},
            'win10': {'eligibility_declared_os': {'family': 'windows_10', 'edition': 'professional'}},
            'garbled': {'eligibility_declared_os': {'product_name': 'Commodore 64'}},
        },
    },
}

PLAYBOOK = '''
- hosts: all
  gather_facts: false
  roles:
    - role: tslicensing.cal.eligibility
  post_tasks:
    - name: Keep the decision for the test
      ansible.builtin.copy:
        content: "{{ eligibility_result | to_json }}"
        dest: "{{ result_dir }}/{{ inventory_hostname }}.json"
        mode: '0600'
      delegate_to: localhost
'''


def run_role(tmp_path: pathlib.Path, *extra_vars: str) -> tuple[subprocess.CompletedProcess[str], dict[str, dict]]:
    (tmp_path / 'inventory.yml').write_text(json.dumps(INVENTORY))
    (tmp_path / 'play.yml').write_text(PLAYBOOK)
    results = tmp_path / 'results'
    results.mkdir()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / '.venv' / 'collections'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_HOST_KEY_CHECKING='false', ANSIBLE_RETRY_FILES_ENABLED='false',
               ANSIBLE_LOCALHOST_WARNING='false')
    argv = [str(ANSIBLE_PLAYBOOK), '-i', str(tmp_path / 'inventory.yml'), str(tmp_path / 'play.yml'),
            '-e', 'result_dir=%s' % results, '-e', 'eligibility_licensing_mode=per_device']
    for extra in extra_vars:
        argv += ['-e', extra]
    proc = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False)
    decisions = {path.stem: json.loads(path.read_text()) for path in results.glob('*.json')}
    return proc, decisions


def recap(stdout: str) -> dict[str, dict[str, int]]:
    hosts = {}
    for line in stdout.split('PLAY RECAP', 1)[1].splitlines():
        if ':' in line:
            name, counts = line.split(':', 1)
            hosts[name.strip()] = {k: int(v) for k, v in (item.split('=') for item in counts.split())}
    return hosts


@pytest.mark.slow
def test_fails_hosts_where_the_transfer_does_not_apply(tmp_path: pathlib.Path) -> None:
    proc, decisions = run_role(tmp_path, 'eligibility_license_server=2000')
    counts = recap(proc.stdout)
    assert all(c['unreachable'] == 0 for c in counts.values()), proc.stdout
    assert {h: c['failed'] for h, c in counts.items()} == {'xp-home': 0, 'xp-pro': 1, 'win10': 1, 'garbled': 1}
    assert decisions['xp-home']['transfer_applicable'] is True
    assert decisions['xp-home']['rule'] == 'w2k-ts/xp-home'
    assert set(decisions) == {'xp-home'}  # failed hosts stop before the post task
    assert 'does not apply for xp-pro' in proc.stdout and 'Windows XP Professional includes a TS CAL' in proc.stdout
    assert 'cannot be decided (unknown) for win10' in proc.stdout
    assert "cannot be decided (unknown) for garbled" in proc.stdout and 'Commodore 64' in proc.stdout


@pytest.mark.slow
def test_warn_only_lets_every_host_continue(tmp_path: pathlib.Path) -> None:
    proc, decisions = run_role(tmp_path, 'eligibility_license_server=2000',
                               '{"eligibility_fail_on_not_applicable": false}')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {h: d['transfer_applicable'] for h, d in decisions.items()} == {
        'xp-home': True, 'xp-pro': False, 'win10': 'unknown', 'garbled': 'unknown'}
    assert decisions['xp-pro']['built_in_license'] is True
    assert proc.stdout.count('WARNING: KB 315262 CAL transfer') == 3


@pytest.mark.slow
def test_against_a_2003_server_every_declared_windows_host_qualifies(tmp_path: pathlib.Path) -> None:
    proc, decisions = run_role(tmp_path, 'eligibility_license_server=2003',
                               '{"eligibility_fail_on_not_applicable": false}')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {h: d['transfer_applicable'] for h, d in decisions.items()} == {
        'xp-home': True, 'xp-pro': True, 'win10': True, 'garbled': 'unknown'}


@pytest.mark.slow
def test_missing_licensing_context_is_rejected_by_the_argument_spec(tmp_path: pathlib.Path) -> None:
    proc, decisions = run_role(tmp_path)  # no eligibility_license_server
    assert proc.returncode != 0
    assert 'eligibility_license_server' in proc.stdout
    assert decisions == {}
