"""tslicensing.cal.client_license and its playbooks, run for real with ansible-playbook on a Wine lab fleet.

Every assertion about the registry reads the prefix's real registry through Wine's reg.exe
(``Fleet.export_store``), never the plugin's own report.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
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
# The parent of each run's own staging folder (remote_backup_dir's default C:\Windows\Temp).
STAGING_PARENT = ('drive_c', 'windows', 'temp')

HOSTS = {
    'one64': HostSpec('win10-pro', {'64': 'one-license'}),
    'both': HostSpec('win11-home', {'64': 'several-licenses', '32': 'one-license'}),
    'nokey': HostSpec('server2022', {}),
    'only32': HostSpec('win7-pro', {'32': 'other-hwid'}),
    'checkme': HostSpec('win10-pro', {'64': 'one-license', '32': 'one-license'}),
    'oneview': HostSpec('win10-pro', {'64': 'one-license'}),
    'restoreme': HostSpec('win11-home', {'64': 'several-licenses', '32': 'one-license'}),
    'keepme': HostSpec('win10-pro', {'64': 'one-license'}),
}
FAULT_HOSTS = {name: HostSpec('win10-pro', {'64': 'one-license'})
               for name in ('f_remote', 'f_export', 'f_truncate', 'f_corrupt', 'f_localdir', 'f_restore',
                            'f_denied_query', 'f_denied_delete', 'f_changed', 'f_log', 'f_denied_arch')}
FAULT_HOSTS['f_denied_parent'] = HostSpec('win10-pro', {})
# 32-bit Windows (WINEARCH=win32): /reg:64 and /reg:32 open one key, seeded once.
X86_HOSTS = {'x86one': HostSpec('win7-pro', {'64': 'one-license'}, arch='win32'),
             'x86restore': HostSpec('win10-pro', {'32': 'several-licenses'}, arch='win32')}


@pytest.fixture(scope='module')
def lab(lab_factory):
    return lab_factory('client-license', {**HOSTS, **FAULT_HOSTS, **X86_HOSTS})


def _reset(lab, backup_dir, limit, **kwargs):
    extra = {'reset_license_store_backup_dir': str(backup_dir), 'reset_license_store_hosts': limit}
    extra.update(kwargs.pop('extra_vars', {}))
    return lab.playbook(RESET, extra_vars=extra, limit=limit, **kwargs)


def _staging_left(lab, host):
    return sorted(p.name for p in lab.fleet.prefix(host).joinpath(*STAGING_PARENT).glob('tscal-*'))


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_remove_backs_up_exactly_then_second_run_changes_nothing(lab, tmp_path):
    before = {host: lab.fleet.export_stores(host) for host in ('one64', 'both', 'nokey', 'only32')}
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
            assert result['views'][view]['backups'] == [backup]  # the store did not change before the delete
            assert 'remote_path' not in backup  # no copy of the license stays on the client
        assert _staging_left(lab, host) == [], 'the staging folder stayed on %s' % host

    assert run.result('one64', RESET_TASK)['views']['64']['backup']['sha256'] == hashlib.sha256(REAL_EXPORT.read_bytes()).hexdigest()
    licenses = run.result('both', RESET_TASK)['views']['64']['licenses']
    assert [item['name'] for item in licenses] == ['LICENSE000', 'LICENSE001', 'LICENSE002']
    assert run.result('only32', RESET_TASK)['views']['32']['hardware_id'] == '02000000' + '11' * 16

    # round trips: read+stage+export+hash+print (1: the export's bytes come back in the output, no fetch),
    # export again+hash+print+delete+confirm+remove the staging folder (1); a host without a store: the first only
    executions = {host: run.result(host, RESET_TASK)['module_executions'] for host in before}
    assert executions == {'one64': 2, 'both': 2, 'nokey': 1, 'only32': 2}

    again = _reset(lab, tmp_path, 'one64,both,nokey,only32')
    assert again.rc == 0
    for host in before:
        result = again.result(host, RESET_TASK)
        assert result['changed'] is False
        assert result['module_executions'] == 1
    assert len(list(tmp_path.glob('*/*.reg'))) == 4  # one64 1, both 2, only32 1; none new on the second run


def test_one_view_asked_costs_two_executions_and_no_fetch(lab, tmp_path):
    run = _reset(lab, tmp_path, 'oneview', extra_vars={'reset_license_store_views': ['64']})
    assert run.rc == 0, run.stdout
    result = run.result('oneview', RESET_TASK)
    assert result['changed'] is True and result['module_executions'] == 2
    assert lab.fleet.export_store('oneview', '64') is None


def test_keep_remote_copy_keeps_the_export_in_the_protected_folder_only(lab, tmp_path):
    before = lab.fleet.export_store('keepme', '64')
    playbook = _module_playbook(lab, 'keep.yml', 'keepme', {'state': 'absent', 'backup_dir': "'%s'" % tmp_path,
                                                            'registry_views': "['64']", 'keep_remote_copy': 'true'})
    run = lab.playbook(playbook)
    assert run.rc == 0, run.stdout
    result = run.result('keepme', 'Run the module')
    staging = pathlib.PureWindowsPath(result['remote_backup_dir'])
    assert _staging_left(lab, 'keepme') == [staging.name]
    remote = pathlib.PureWindowsPath(result['views']['64']['backup']['remote_path'])
    assert remote.parent == staging
    kept = lab.fleet.prefix('keepme').joinpath(*STAGING_PARENT, staging.name, remote.name)
    assert kept.read_bytes() == before
    assert result['module_executions'] == 2  # read+export, export again+delete (without the clean-up)


def test_check_mode_changes_nothing_and_says_what_would_change(lab, tmp_path):
    before = lab.fleet.export_stores('checkme')
    run = _reset(lab, tmp_path, 'checkme', check=True, diff=True)
    assert run.rc == 0, run.stdout
    result = run.result('checkme', RESET_TASK)
    assert result['changed'] is True
    assert 'would back up and remove' in result['msg']
    assert [d['before_header'].endswith('(view 64)') for d in result['diff']] == [True, False]
    # The decoded licenses, not the key tree (a hex dump: only at -vvv).
    assert result['diff'][0]['before'].startswith('LICENSE000: expired, license server ') and result['diff'][0]['after'] == ''
    assert 'ClientHWID' not in result['diff'][0]['before']
    assert lab.fleet.export_stores('checkme') == before
    assert not list(tmp_path.iterdir()), 'check mode wrote a backup'
    assert _staging_left(lab, 'checkme') == [], 'check mode created a staging folder'
    assert result['module_executions'] == 1


def test_restore_gives_back_an_identical_tree(lab, tmp_path):
    before = lab.fleet.export_stores('restoreme')
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
    assert lab.fleet.export_stores('restoreme') == before
    # the staging folders on the host are gone; per view: read, stage, put, hash, import+confirm+clean
    assert _staging_left(lab, 'restoreme') == []
    assert result['module_executions'] == 8  # 2 views x 4 executions (the put is a transfer, not a module)

    again = lab.playbook(RESTORE, extra_vars={'restore_backup_dir': str(tmp_path), 'restore_hosts': 'restoreme'}, limit='restoreme')
    assert again.rc == 0 and again.result('restoreme', RESTORE_TASK)['changed'] is False


def _assert_failed_untouched(lab, run, host, before, message, task=RESET_TASK):
    assert run.rc != 0
    result = run.result(host, task)
    assert result.get('failed') is True
    assert message in result['msg'], result['msg']
    assert lab.fleet.export_stores(host) == before, 'the store changed although the backup failed'


def _module_playbook(lab, name, host, args):
    lines = ''.join('        %s: %s\n' % (key, value) for key, value in args.items())
    return lab.write_playbook(name, """
- hosts: %s
  gather_facts: false
  tasks:
    - name: Run the module
      tslicensing.cal.client_license:
%s""" % (host, lines))


def test_remote_backup_folder_not_creatable_leaves_the_key(lab, tmp_path):
    (lab.fleet.prefix('f_remote') / 'drive_c' / 'afile').write_text('a file where the folder should be')
    before = lab.fleet.export_stores('f_remote')
    playbook = _module_playbook(lab, 'remote-fault.yml', 'f_remote', {
        'state': 'absent', 'backup_dir': "'%s'" % tmp_path, 'remote_backup_dir': "'C:\\afile'"})
    run = lab.playbook(playbook)
    _assert_failed_untouched(lab, run, 'f_remote', before, 'cannot create the protected staging folder', 'Run the module')
    assert 'nothing was deleted' in run.result('f_remote', 'Run the module')['msg']


def test_export_failure_leaves_the_key(lab, tmp_path):
    before = lab.fleet.export_stores('f_export')
    run = _reset(lab, tmp_path, 'f_export', extra_vars={'ansible_wine_command_faults': ['reg export /reg:64']})
    _assert_failed_untouched(lab, run, 'f_export', before, 'reg export of view 64')
    msg = run.result('f_export', RESET_TASK)['msg']
    assert 'ERROR: Access is denied.' in msg and 'nothing was deleted' in msg
    assert _staging_left(lab, 'f_export') == []


def test_access_denied_on_the_store_is_an_error_not_nothing_to_do(lab, tmp_path):
    # reg.exe rc 1 means any failure: the store is there (its parent lists it) but cannot be read
    before = lab.fleet.export_stores('f_denied_query')
    run = _reset(lab, tmp_path, 'f_denied_query',
                 extra_vars={'ansible_wine_command_faults': ['reg query MSLicensing /reg:64']})
    _assert_failed_untouched(lab, run, 'f_denied_query', before, 'ERROR: Access is denied.')
    assert 'nothing to do' not in run.result('f_denied_query', RESET_TASK)['msg']
    query = lab.playbook(QUERY, limit='f_denied_query',
                         extra_vars={'ansible_wine_command_faults': ['reg query MSLicensing /reg:64']})
    assert query.rc != 0 and 'ERROR: Access is denied.' in query.result('f_denied_query', ROLE_TASK)['msg']
    assert _staging_left(lab, 'f_denied_query') == []


def test_unknown_architecture_fails_and_leaves_no_export_behind(lab, tmp_path):
    # the exports ran in the same program start; the host fails, and its staging folder goes with them
    before = lab.fleet.export_stores('f_denied_arch')
    run = _reset(lab, tmp_path, 'f_denied_arch', extra_vars={'ansible_wine_command_faults': ['reg query Environment']})
    _assert_failed_untouched(lab, run, 'f_denied_arch', before, 'unknown whether this is 32-bit Windows')
    assert 'ERROR: Access is denied.' in run.result('f_denied_arch', RESET_TASK)['msg']
    assert _staging_left(lab, 'f_denied_arch') == [] and not list(tmp_path.glob('*/*.reg'))


def test_no_store_but_unreadable_parent_is_an_error_not_absent(lab, tmp_path):
    # the store query fails (not found), and the parent that would prove it absent cannot be read either
    run = _reset(lab, tmp_path, 'f_denied_parent',
                 extra_vars={'ansible_wine_command_faults': ['reg query Microsoft /reg:32']})
    assert run.rc != 0
    msg = run.result('f_denied_parent', RESET_TASK)['msg']
    assert 'cannot tell whether the store is there' in msg and 'ERROR: Access is denied.' in msg, msg
    assert not list(tmp_path.glob('*/*.reg'))


def test_delete_denied_fails_with_reg_exe_message_and_keeps_the_backup(lab, tmp_path):
    before = lab.fleet.export_stores('f_denied_delete')
    run = _reset(lab, tmp_path, 'f_denied_delete', extra_vars={'ansible_wine_command_faults': ['reg delete']})
    assert run.rc != 0
    msg = run.result('f_denied_delete', RESET_TASK)['msg']
    assert 'reg delete of view 64 failed (rc 1: ERROR: Access is denied.)' in msg, msg
    assert lab.fleet.export_stores('f_denied_delete') == before
    backups = list(tmp_path.glob('f_denied_delete/*-reg64.reg'))
    assert len(backups) == 1 and backups[0].read_bytes() == before['64']


def test_a_change_between_backup_and_delete_is_backed_up_too(lab, tmp_path):
    # the RDP client writes into the store after the verified backup, just before the delete's round trip
    before = lab.fleet.export_stores('f_changed')
    writer = ['reg', 'add', 'HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\Store\\LICENSE009', '/v', 'ClientLicense',
              '/t', 'REG_BINARY', '/d', '0badc0de', '/f', '/reg:64']
    run = _reset(lab, tmp_path, 'f_changed', extra_vars={'ansible_wine_command_before': {'reg delete': writer}})
    assert run.rc == 0, run.stdout
    view = run.result('f_changed', RESET_TASK)['views']['64']
    first, later = view['backups']
    assert pathlib.Path(first['path']).read_bytes() == before['64']
    later_data = pathlib.Path(later['path']).read_bytes()
    assert 'LICENSE009' in later_data.decode('utf-16') and view['backup'] == later
    assert later['sha256'] == hashlib.sha256(later_data).hexdigest() and later['later_than'] == first['path']
    assert later['created'] > first['created']  # the newest backup of the view, the one a restore picks
    assert _mode(later['path']) == 0o600 and _mode(later['manifest']) == 0o600
    assert lab.fleet.export_store('f_changed', '64') is None
    assert _staging_left(lab, 'f_changed') == []


def test_staging_folder_is_protected_before_anything_is_written(lab, tmp_path):
    # Wine has no ACLs: what can be proven here is the exact icacls call and its place in the order of steps
    log = tmp_path / 'commands.jsonl'
    first = _reset(lab, tmp_path, 'f_log', extra_vars={'ansible_wine_command_log': str(log), 'reset_license_store_views': ['64']})
    assert first.rc == 0, first.stdout
    chains = [json.loads(line) for line in log.read_text().splitlines()]
    read_chain = chains[0]
    assert read_chain[:4] == ['cmd.exe', '/d', '/v:on', '/c']
    mkdir = read_chain.index('mkdir')
    staging = read_chain[mkdir + 1]
    assert re.fullmatch(r'C:\\Windows\\Temp\\tscal-[0-9a-f]{16}', staging)
    icacls = read_chain.index('%SystemRoot%\\System32\\icacls.exe')
    assert read_chain[icacls:icacls + 6] == ['%SystemRoot%\\System32\\icacls.exe', staging, '/inheritance:r', '/grant:r',
                                             '*S-1-5-18:^(OI^)^(CI^)F', '*S-1-5-32-544:^(OI^)^(CI^)F']
    export = read_chain.index('export')
    assert mkdir < icacls < export and read_chain[export + 2].startswith(staging + '\\')
    # the icacls and the export run only when mkdir (which fails on an existing folder) and icacls succeeded
    assert read_chain[icacls - 6:icacls - 3] == ['(if', 'x!tscal_mkdir!==x0', '(']
    assert 'x!tscal_store64!!tscal_mkdir!!tscal_protect!==x000' in read_chain[:export]
    # the delete needs the export made just before it; the staging folder is removed at the end
    delete_chain = chains[1]
    assert delete_chain.index('delete') > delete_chain.index('export')
    assert 'x!tscal_later64!==x0' in delete_chain[:delete_chain.index('delete')]
    assert delete_chain[delete_chain.index('rd'):delete_chain.index('rd') + 4] == ['rd', '/s', '/q', staging]
    assert delete_chain.index('rd') > delete_chain.index('delete')
    assert first.result('f_log', RESET_TASK)['module_executions'] == 2  # no round trip of its own for the clean-up
    # a second run picks a new name
    restored = lab.playbook(RESTORE, extra_vars={'restore_backup_dir': str(tmp_path), 'ansible_wine_command_log': str(log),
                                                 'restore_hosts': 'f_log'},
                            limit='f_log')
    assert restored.rc == 0, restored.stdout
    chains = [json.loads(line) for line in log.read_text().splitlines()]
    stage_chain, hash_chain, import_chain = chains[-3:]
    new_staging = stage_chain[stage_chain.index('mkdir') + 1]
    assert new_staging != staging and 'icacls' in ' '.join(stage_chain)
    assert hash_chain[hash_chain.index('-hashfile') + 1] == new_staging + '\\import.reg'
    assert import_chain.index('import') < import_chain.index('rd')
    assert _staging_left(lab, 'f_log') == []


@pytest.mark.parametrize('host,fault', [('f_truncate', 'truncate'), ('f_corrupt', 'corrupt')])
def test_damaged_fetch_leaves_the_key(lab, tmp_path, host, fault):
    before = lab.fleet.export_stores(host)
    run = _reset(lab, tmp_path, host, extra_vars={'ansible_wine_fetch_fault': fault})
    _assert_failed_untouched(lab, run, host, before, 'nothing was deleted')
    assert not list(tmp_path.glob('*/*.reg')), 'a damaged backup was kept as if valid'


def test_unwritable_controller_backup_dir_leaves_the_key(lab, tmp_path):
    not_a_dir = tmp_path / 'file'
    not_a_dir.write_text('')
    before = lab.fleet.export_stores('f_localdir')
    run = _reset(lab, not_a_dir / 'backups', 'f_localdir')
    _assert_failed_untouched(lab, run, 'f_localdir', before, 'is not writable')
    # refused before touching the host: no remote folder either
    assert _staging_left(lab, 'f_localdir') == []


def test_restore_refuses_files_that_are_not_an_mslicensing_export(lab, tmp_path):
    before = lab.fleet.export_stores('f_restore')
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
    assert lab.fleet.export_stores('f_restore') == before


def test_query_playbook_reports_without_changing(lab):
    before = lab.fleet.export_stores('f_restore')
    run = lab.playbook(QUERY, limit='f_restore')
    assert run.rc == 0
    result = run.result('f_restore', ROLE_TASK)
    assert result['changed'] is False and result['module_executions'] == 1
    assert result['views']['64']['licenses'][0]['client_license_sha256'] == hashlib.sha256(
        (REPO.parent / 'shared' / 'fixtures' / 'license' / 'pbLicenseInfo_msrdpele.p7b').read_bytes()).hexdigest()
    # decoded on the controller from the live query: the real license's facts
    decoded = result['views']['64']['licenses'][0]['decoded']['licenses'][0]
    assert (decoded['valid_to'], decoded['temporary'], decoded['license_server']) == ('2007-09-18T14:51:35Z', True, 'RODENT')
    assert result['views']['64']['hardware_id_decoded']['dwords'][0] == 2
    assert lab.fleet.export_stores('f_restore') == before


# -- 32-bit Windows: one key behind both views ----------------------------------------------------------------
def test_32_bit_host_has_one_view_query_reset_restore(lab, tmp_path):
    before = lab.fleet.export_store('x86one', '64')
    assert before is not None and lab.fleet.export_store('x86one', '32') == before  # one key
    query = lab.playbook(QUERY, limit='x86one')
    assert query.rc == 0, query.stdout
    result = query.result('x86one', ROLE_TASK)
    assert result['architecture'] == 'x86' and list(result['views']) == ['64'] and result['views']['64']['present']

    removed = _reset(lab, tmp_path, 'x86one')
    assert removed.rc == 0, removed.stdout
    result = removed.result('x86one', RESET_TASK)
    assert list(result['views']) == ['64'] and len(result['views']['64']['backups']) == 1
    assert len(list(tmp_path.glob('x86one/*.reg'))) == 1  # backed up once, deleted once
    assert lab.fleet.export_store('x86one', '64') is None and lab.fleet.export_store('x86one', '32') is None
    assert result['module_executions'] == 2
    again = _reset(lab, tmp_path, 'x86one')
    assert again.rc == 0 and again.result('x86one', RESET_TASK)['changed'] is False

    restored = lab.playbook(RESTORE, extra_vars={'restore_backup_dir': str(tmp_path), 'restore_hosts': 'x86one'},
                            limit='x86one')
    assert restored.rc == 0, restored.stdout
    assert lab.fleet.export_store('x86one', '64') == before


def test_32_bit_host_store_seeded_with_reg32_is_found_once(lab, tmp_path):
    run = _reset(lab, tmp_path, 'x86restore', extra_vars={'reset_license_store_views': ['32', '64']})
    assert run.rc == 0, run.stdout
    result = run.result('x86restore', RESET_TASK)
    assert list(result['views']) == ['32']  # the first view asked stands for the one key
    assert [item['name'] for item in result['views']['32']['licenses']] == ['LICENSE000', 'LICENSE001', 'LICENSE002']
    assert lab.fleet.export_store('x86restore', '32') is None
