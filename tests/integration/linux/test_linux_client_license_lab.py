"""tslicensing.cal.linux_client_license through real ansible-playbook runs over SSH to the Linux lab hosts.

Licence files are put where (and as) the real clients write them (test_rdp_license_peer.py proves the paths,
modes and bytes with Debian's FreeRDP and rdesktop; test_linux_end_to_end.py runs those clients here too).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import pathlib
import stat

import pytest

import license_factory

pytestmark = pytest.mark.slow

TASK = 'Linux client licences'


def licence(machine: str, serial: int, *, temporary: bool = False) -> bytes:
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    spec = license_factory.LicenseSpec(machine=machine, user='x', serial=serial, not_before=now,
                                       not_after=now + datetime.timedelta(days=90))
    if temporary:
        spec.versions = [(10, 0, 0x00808000 | 0x80000000)]
    return license_factory.build_client_license([spec])


def playbook(lab, state: str, **options) -> pathlib.Path:
    args = dict({'state': state, 'users': '{{ tscal_linux_users }}',
                 'hostnames': '{{ tscal_linux_hostnames }}', 'backup_dir': str(lab.workdir / 'backups')},
                **options)
    return lab.write_playbook('%s.yml' % state, '''
- hosts: linux_thin_clients
  gather_facts: false
  become: true
  tasks:
    - name: %s
      tslicensing.cal.linux_client_license: %s
''' % (TASK, json.dumps(args)))


def snapshot(paths) -> dict[str, tuple[bytes, int, int, int]]:
    out = {}
    for path in paths:
        info = os.lstat(path)
        out[str(path)] = (pathlib.Path(path).read_bytes(), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
    return out


def test_query_reset_restore_on_real_ssh_hosts(linux_lab) -> None:
    ssh = linux_lab.ssh
    kiosk_xdg = linux_lab.homes('thin02')[ssh.user('thin02', 'kiosk').pw_name] / 'xdg'
    files = {
        'thin01': [linux_lab.seed('thin01', 'freerdp', licence('thin01', 0x201)),
                   linux_lab.seed('thin01', 'rdesktop', licence('thin01', 0x202))],
        'thin02': [linux_lab.seed('thin02', 'freerdp', licence('thin02', 0x203), extra='kiosk',
                                  xdg_config_home=kiosk_xdg),
                   linux_lab.seed('thin02', 'rdesktop-legacy', licence('thin02', 0x204), extra='kiosk')],
    }
    before = snapshot([path for paths in files.values() for path in paths])
    inventory = json.loads(linux_lab.inventory.read_text())
    kiosk = ssh.user('thin02', 'kiosk')
    inventory['all']['children']['linux_thin_clients']['hosts']['thin02']['tscal_linux_users'] = [
        ssh.login('thin02'), {'name': kiosk.pw_name, 'xdg_config_home': str(kiosk_xdg)}]
    linux_lab.inventory.write_text(json.dumps(inventory))

    run = linux_lab.playbook(playbook(linux_lab, 'query'))
    assert run.rc == 0, run.stdout + run.stderr
    for host, paths in files.items():
        result = run.result(host, TASK)
        assert (result['changed'], result['module_executions'], result['platform']) == (False, 1, 'linux')
        assert sorted(result['views']) == sorted(str(path) for path in paths)
        for path in paths:
            view = result['views'][str(path)]
            assert view['client_hostname'] == host, view
            assert view['sha256'] == hashlib.sha256(path.read_bytes()).hexdigest()
            [lic] = view['licenses'][0]['decoded']['licenses']
            assert (lic['issued_to_machine'], lic['temporary']) == (host, False)
            assert view['hardware_id'] == lic['hardware_id']['hex']
    assert run.result('thin03', TASK)['views'] == {}
    kiosk_views = run.result('thin02', TASK)['views']
    assert {view['user'] for view in kiosk_views.values()} == {kiosk.pw_name}
    assert sorted(view['layout'] for view in kiosk_views.values()) == ['freerdp', 'rdesktop-legacy']

    # A permanent CAL is not discarded outside a transfer without the opt-in; nothing changes.
    run = linux_lab.playbook(playbook(linux_lab, 'absent'))
    assert run.rc != 0
    assert 'holds a permanent CAL' in run.result('thin01', TASK)['msg']
    assert snapshot(before) == before

    run = linux_lab.playbook(playbook(linux_lab, 'absent', remove_permanent=True), check=True, diff=True)
    assert run.rc == 0, run.stdout + run.stderr
    result = run.result('thin01', TASK)
    assert (result['changed'], result['module_executions']) == (True, 1)
    assert 'would back up and remove 2' in result['msg']
    assert 'permanent, license server LICSRV01' in result['diff'][0]['before']
    assert snapshot(before) == before
    assert not list((linux_lab.workdir / 'backups').rglob('*.cal'))

    run = linux_lab.playbook(playbook(linux_lab, 'absent', remove_permanent=True))
    assert run.rc == 0, run.stdout + run.stderr
    for host, paths in files.items():
        result = run.result(host, TASK)
        assert (result['changed'], result['module_executions']) == (True, 2), result
        for path in paths:
            assert not os.path.lexists(path)
            backup = result['views'][str(path)]['backup']
            data = pathlib.Path(backup['path']).read_bytes()
            assert data == before[str(path)][0]
            assert stat.S_IMODE(os.stat(backup['path']).st_mode) == 0o600
            assert stat.S_IMODE(os.stat(backup['manifest']).st_mode) == 0o600
            manifest = json.loads(pathlib.Path(backup['manifest']).read_text())
            assert manifest['host'] == host and manifest['path'] == str(path)
            assert (int(manifest['mode'], 8), manifest['uid'], manifest['gid']) == before[str(path)][1:]
            assert manifest['owner'] == pwd_name(before[str(path)][2])
            assert manifest['sha256'] == hashlib.sha256(data).hexdigest()
            assert backup['path'].endswith('.cal') and backup['manifest'] == backup['path'] + '.json'
            assert pathlib.Path(backup['path']).parent.name == host
    # the folders stay: only licence files are ever removed
    assert all(path.parent.is_dir() for paths in files.values() for path in paths)

    run = linux_lab.playbook(playbook(linux_lab, 'absent', remove_permanent=True))
    assert run.rc == 0, run.stdout + run.stderr
    assert [(run.result(host, TASK)['changed'], run.result(host, TASK)['module_executions'])
            for host in ssh.hosts] == [(False, 1)] * 3

    run = linux_lab.playbook(playbook(linux_lab, 'present'), limit='thin01:thin02', check=True, diff=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert run.result('thin01', TASK)['changed'] is True
    assert not any(os.path.lexists(path) for path in before)

    run = linux_lab.playbook(playbook(linux_lab, 'present'), limit='thin01:thin02')
    assert run.rc == 0, run.stdout + run.stderr
    for host in files:
        result = run.result(host, TASK)
        assert (result['changed'], result['module_executions']) == (True, 2), result
    assert snapshot(before) == before   # exact bytes, mode, owner and group

    run = linux_lab.playbook(playbook(linux_lab, 'present'), limit='thin01:thin02')
    assert run.rc == 0, run.stdout + run.stderr
    assert [(run.result(host, TASK)['changed'], run.result(host, TASK)['module_executions'])
            for host in files] == [(False, 1)] * 2

    # thin02's backup is thin02's: thin01 refuses it, before touching anything.
    other = next(pathlib.Path(linux_lab.workdir / 'backups' / 'thin02').glob('*.cal'))
    run = linux_lab.playbook(playbook(linux_lab, 'present', backup=str(other)), limit='thin01')
    assert run.rc != 0
    assert 'is of the host thin02, not thin01' in run.result('thin01', TASK)['msg']
    assert run.result('thin01', TASK).get('module_executions') is None  # refused on the controller


def pwd_name(uid: int) -> str:
    import pwd
    return pwd.getpwuid(uid).pw_name


def test_the_host_module_refuses_every_path_outside_the_licence_folders(linux_lab, tmp_path) -> None:
    ssh = linux_lab.ssh
    home = linux_lab.homes('thin01')[ssh.login('thin01')]
    real = linux_lab.seed('thin01', 'freerdp', licence('thin01', 0x301))
    decoy = home / 'notes.cal'
    decoy.write_bytes(b'keep me')
    # a licence folder that is a symbolic link to somewhere else
    (home / '.local' / 'share').mkdir(parents=True)
    outside = tmp_path / 'elsewhere'
    outside.mkdir()
    (outside / real.name).write_bytes(b'outside')
    (home / '.local' / 'share' / 'rdesktop').mkdir()
    (home / '.local' / 'share' / 'rdesktop' / 'licenses').symlink_to(outside)
    refused = [str(decoy), '/etc/passwd', str(real.parent / '..' / real.name), str(real.parent / 'x.cal'),
               str(home / '.local' / 'share' / 'rdesktop' / 'licenses' / real.name)]
    text = '''
- hosts: thin01
  gather_facts: false
  become: true
  tasks:
'''
    for index, path in enumerate(refused):
        text += '''
    - name: Remove %d
      tslicensing.cal.linux_license_files:
        operation: remove
        users: "{{ tscal_linux_users }}"
        files: [{path: %s, sha256: "%s"}]
      ignore_errors: true
''' % (index, json.dumps(path), hashlib.sha256(b'keep me').hexdigest())
    run = linux_lab.playbook(linux_lab.write_playbook('guard.yml', text))
    assert run.rc == 0, run.stdout + run.stderr
    for index, path in enumerate(refused):
        result = run.result('thin01', 'Remove %d' % index)
        assert result['failed'], (path, result)
    assert decoy.read_bytes() == b'keep me' and (outside / real.name).read_bytes() == b'outside'
    assert real.exists() and pathlib.Path('/etc/passwd').exists()
    messages = [run.result('thin01', 'Remove %d' % index)['msg'] for index in range(len(refused))]
    assert 'is a symbolic link' in messages[-1]
    assert all('refusing' in message for message in messages[:4]), messages
