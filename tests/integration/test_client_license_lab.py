"""tslicensing.cal.client_license and its playbooks, run for real with ansible-playbook on a Wine lab fleet.

Every assertion about the registry reads the prefix's real registry through Wine's reg.exe
(``Fleet.export_store``), never the plugin's own report.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import stat

import pytest

from fleet import HostSpec, REAL_EXPORT

pytestmark = pytest.mark.lab

REPO = pathlib.Path(__file__).resolve().parents[2]
RESET = REPO / 'playbooks' / 'reset_license_store.yml'
RESTORE = REPO / 'playbooks' / 'restore.yml'
QUERY = REPO / 'playbooks' / 'query_license_store.yml'
RESET_TASK = ROLE_TASK = 'tslicensing.cal.client_license : Query, back up and remove, or restore the client license store'
RESTORE_TASK = ROLE_TASK
REMOTE_DIR = ('drive_c', 'ProgramData', 'tslicensing.cal', 'backups')

HOSTS = {
    'one64': HostSpec('win10-pro', {'64': 'one-license'}),
    'both': HostSpec('win11-home', {'64': 'several-licenses', '32': 'one-license'}),
    'nokey': HostSpec('server2022', {}),
    'only32': HostSpec('win7-pro', {'32': 'other-hwid'}),
    'checkme': HostSpec('win10-pro', {'64': 'one-license', '32': 'one-license'}),
    'oneview': HostSpec('win10-pro', {'64': 'one-license'}),
    'restoreme': HostSpec('win11-home', {'64': 'several-licenses', '32': 'one-license'}),
}
FAULT_HOSTS = {name: HostSpec('win10-pro', {'64': 'one-license'})
               for name in ('f_remote', 'f_export', 'f_truncate', 'f_corrupt', 'f_localdir', 'f_restore')}


@pytest.fixture(scope='module')
def lab(lab_factory):
    return lab_factory('client-license', {**HOSTS, **FAULT_HOSTS})


def _stores(lab, host):
    return {view: lab.fleet.export_store(host, view) for view in ('64', '32')}


def _reset(lab, backup_dir, limit, **kwargs):
    extra = {'reset_license_store_backup_dir': str(backup_dir), 'reset_license_store_hosts': limit}
    extra.update(kwargs.pop('extra_vars', {}))
    return lab.playbook(RESET, extra_vars=extra, limit=limit, **kwargs)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_remove_backs_up_exactly_then_second_run_changes_nothing(lab, tmp_path):
    before = {host: _stores(lab, host) for host in ('one64', 'both', 'nokey', 'only32')}
    run = _reset(lab, tmp_path, 'one64,both,nokey,only32')
    assert run.rc == 0, run.stdout + run.stderr

    for host in ('one64', 'both', 'nokey', 'only32'):
        result = run.result(host, RESET_TASK)
        seeded = [view for view, data in before[host].items() if data is not None]
        assert result['changed'] is bool(seeded)
        for view in ('64', '32'):
            assert result['views'][view]['present'] is (view in seeded)
            assert lab.fleet.export_store(host, view) is None, '%s view %s still present' % (host, view)
        for view in seeded:
            backup = result['views'][view]['backup']
            data = pathlib.Path(backup['path']).read_bytes()
            # the backup is the very export reg.exe makes, byte for byte, and private
            assert data == before[host][view]
            assert backup['sha256'] == hashlib.sha256(data).hexdigest()
            assert _mode(backup['path']) == 0o600 and _mode(backup['manifest']) == 0o600
            assert _mode(pathlib.Path(backup['path']).parent) == 0o700
            # the remote copy is kept in the prefix
            remote = lab.fleet.prefix(host).joinpath(*REMOTE_DIR, pathlib.PureWindowsPath(backup['remote_path']).name)
            assert remote.read_bytes() == data

    assert run.result('one64', RESET_TASK)['views']['64']['backup']['sha256'] == hashlib.sha256(REAL_EXPORT.read_bytes()).hexdigest()
    licenses = run.result('both', RESET_TASK)['views']['64']['licenses']
    assert [item['name'] for item in licenses] == ['LICENSE000', 'LICENSE001', 'LICENSE002']
    assert run.result('only32', RESET_TASK)['views']['32']['hardware_id'] == '02000000' + '11' * 16

    # round trips: query per view, then for what is present: folder, export, delete, confirm
    executions = {host: run.result(host, RESET_TASK)['module_executions'] for host in before}
    assert executions == {'one64': 6, 'both': 9, 'nokey': 2, 'only32': 6}

    again = _reset(lab, tmp_path, 'one64,both,nokey,only32')
    assert again.rc == 0
    for host in before:
        result = again.result(host, RESET_TASK)
        assert result['changed'] is False
        assert result['module_executions'] == 2
    assert len(list(tmp_path.glob('*/*.reg'))) == 4  # one64 1, both 2, only32 1; none new on the second run


def test_one_view_asked_costs_four_executions_after_the_query(lab, tmp_path):
    run = _reset(lab, tmp_path, 'oneview', extra_vars={'reset_license_store_views': ['64']})
    assert run.rc == 0, run.stdout
    result = run.result('oneview', RESET_TASK)
    assert result['changed'] is True and result['module_executions'] == 5
    assert lab.fleet.export_store('oneview', '64') is None


def test_check_mode_changes_nothing_and_says_what_would_change(lab, tmp_path):
    before = _stores(lab, 'checkme')
    run = _reset(lab, tmp_path, 'checkme', check=True, diff=True)
    assert run.rc == 0, run.stdout
    result = run.result('checkme', RESET_TASK)
    assert result['changed'] is True
    assert 'would back up and remove' in result['msg']
    assert [d['before_header'].endswith('(view 64)') for d in result['diff']] == [True, False]
    # The decoded licenses, not the key tree (a hex dump: only at -vvv).
    assert result['diff'][0]['before'].startswith('LICENSE000: expired, license server ') and result['diff'][0]['after'] == ''
    assert 'ClientHWID' not in result['diff'][0]['before']
    assert _stores(lab, 'checkme') == before
    assert not list(tmp_path.iterdir()), 'check mode wrote a backup'
    assert not lab.fleet.prefix('checkme').joinpath(*REMOTE_DIR[:3]).exists(), 'check mode created the remote folder'


def test_restore_gives_back_an_identical_tree(lab, tmp_path):
    before = _stores(lab, 'restoreme')
    assert all(before.values())
    removed = _reset(lab, tmp_path, 'restoreme')
    assert removed.rc == 0 and all(lab.fleet.export_store('restoreme', v) is None for v in ('64', '32'))

    planned = lab.playbook(RESTORE, extra_vars={'restore_backup_dir': str(tmp_path), 'restore_hosts': 'restoreme'}, limit='restoreme', check=True)
    assert planned.rc == 0 and planned.result('restoreme', RESTORE_TASK)['changed'] is True
    assert all(lab.fleet.export_store('restoreme', v) is None for v in ('64', '32'))

    restored = lab.playbook(RESTORE, extra_vars={'restore_backup_dir': str(tmp_path), 'restore_hosts': 'restoreme'}, limit='restoreme')
    assert restored.rc == 0, restored.stdout
    result = restored.result('restoreme', RESTORE_TASK)
    assert result['changed'] is True and sorted(result['backups']) == ['32', '64']
    # byte-identical exports: same keys, values, types and data in both views
    assert _stores(lab, 'restoreme') == before
    # the staging folders on the host are gone
    assert not list(lab.fleet.prefix('restoreme').joinpath(*REMOTE_DIR).glob('restore-*'))

    again = lab.playbook(RESTORE, extra_vars={'restore_backup_dir': str(tmp_path), 'restore_hosts': 'restoreme'}, limit='restoreme')
    assert again.rc == 0 and again.result('restoreme', RESTORE_TASK)['changed'] is False


def _assert_failed_untouched(lab, run, host, before, message, task=RESET_TASK):
    assert run.rc != 0
    result = run.result(host, task)
    assert result.get('failed') is True
    assert message in result['msg'], result['msg']
    assert _stores(lab, host) == before, 'the store changed although the backup failed'


def test_remote_backup_folder_not_creatable_leaves_the_key(lab, tmp_path):
    remote = lab.fleet.prefix('f_remote').joinpath(*REMOTE_DIR)
    remote.parent.mkdir(parents=True, exist_ok=True)
    remote.write_text('a file where the folder should be')
    before = _stores(lab, 'f_remote')
    run = _reset(lab, tmp_path, 'f_remote')
    _assert_failed_untouched(lab, run, 'f_remote', before, 'is not a directory')


def test_export_failure_leaves_the_key(lab, tmp_path):
    # a folder that exists but cannot hold files: reg export fails for real
    blocked = lab.fleet.prefix('f_export') / 'drive_c' / 'blocked'
    blocked.symlink_to('/proc/self')
    before = _stores(lab, 'f_export')
    playbook = lab.write_playbook('export-fault.yml', """
- hosts: f_export
  gather_facts: false
  tasks:
    - name: Back up and remove the client license store
      tslicensing.cal.client_license:
        state: absent
        backup_dir: '%s'
        remote_backup_dir: 'C:\\blocked'
""" % tmp_path)
    run = lab.playbook(playbook)
    task = 'Back up and remove the client license store'
    _assert_failed_untouched(lab, run, 'f_export', before, 'reg export of view 64', task)
    assert 'nothing was deleted' in run.result('f_export', task)['msg']


@pytest.mark.parametrize('host,fault', [('f_truncate', 'truncate'), ('f_corrupt', 'corrupt')])
def test_damaged_fetch_leaves_the_key(lab, tmp_path, host, fault):
    before = _stores(lab, host)
    run = _reset(lab, tmp_path, host, extra_vars={'ansible_wine_fetch_fault': fault})
    _assert_failed_untouched(lab, run, host, before, 'nothing was deleted')
    assert not list(tmp_path.glob('*/*.reg')), 'a damaged backup was kept as if valid'


def test_unwritable_controller_backup_dir_leaves_the_key(lab, tmp_path):
    not_a_dir = tmp_path / 'file'
    not_a_dir.write_text('')
    before = _stores(lab, 'f_localdir')
    run = _reset(lab, not_a_dir / 'backups', 'f_localdir')
    _assert_failed_untouched(lab, run, 'f_localdir', before, 'is not writable')
    # refused before touching the host: no remote folder either
    assert not lab.fleet.prefix('f_localdir').joinpath(*REMOTE_DIR[:3]).exists()


def test_restore_refuses_files_that_are_not_an_mslicensing_export(lab, tmp_path):
    before = _stores(lab, 'f_restore')
    other = tmp_path / 'other.reg'
    other.write_text('Windows Registry Editor Version 5.00\r\n\r\n'
                     '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run]\r\n'
                     '"evil"="C:\\\\evil.exe"\r\n')
    deleting = tmp_path / 'deleting.reg'
    deleting.write_bytes(REAL_EXPORT.read_bytes().decode('utf-16').replace(
        '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing\\Store]',
        '[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing\\Store]', 1).encode('utf-16'))
    for path, message in ((other, 'not an MSLicensing export'), (deleting, 'contains deletions')):
        run = lab.playbook(RESTORE, limit='f_restore',
                           extra_vars={'restore_backup': str(path), 'restore_views': ['64'], 'restore_hosts': 'f_restore'})
        assert run.rc != 0
        assert message in run.result('f_restore', RESTORE_TASK)['msg']
    assert _stores(lab, 'f_restore') == before


def test_query_playbook_reports_without_changing(lab):
    before = _stores(lab, 'f_restore')
    run = lab.playbook(QUERY, limit='f_restore')
    assert run.rc == 0
    result = run.result('f_restore', ROLE_TASK)
    assert result['changed'] is False and result['module_executions'] == 2
    assert result['views']['64']['licenses'][0]['client_license_sha256'] == hashlib.sha256(
        (REPO.parent / 'shared' / 'fixtures' / 'license' / 'pbLicenseInfo_msrdpele.p7b').read_bytes()).hexdigest()
    # decoded on the controller from the live query: the real license's facts
    decoded = result['views']['64']['licenses'][0]['decoded']['licenses'][0]
    assert (decoded['valid_to'], decoded['temporary'], decoded['license_server']) == ('2007-09-18T14:51:35Z', True, 'RODENT')
    assert result['views']['64']['hardware_id_decoded']['dwords'][0] == 2
    assert _stores(lab, 'f_restore') == before
