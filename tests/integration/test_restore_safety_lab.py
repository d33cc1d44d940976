"""playbooks/restore.yml refuses, on the controller and before any step on the host, every backup that could
bring back the wrong thing (issue 16 section 3, issue 11 section 4): real ansible-playbook runs on a Wine lab
fleet; the registry is read back through Wine's reg.exe, the ledger through its own API.

One reset run backs up and removes the store of every host; each host then gets one hostile backup (through
its host_vars, as an operator's inventory would) and one restore run over the whole fleet shows what each
host's restore did.
"""

from __future__ import annotations

import json
import pathlib

import pytest

from fleet import HostSpec

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license as store
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import TransferRequest, open_ledger
from ansible_collections.tslicensing.cal.plugins.plugin_utils._transfer import cal_id

pytestmark = pytest.mark.lab

REPO = pathlib.Path(__file__).resolve().parents[2]
RESET = REPO / 'playbooks' / 'reset_license_store.yml'
RESTORE = REPO / 'playbooks' / 'restore.yml'
TASK = 'tslicensing.cal.client_license : Query, back up and remove, or restore the client license store'
LONG_S_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Micro\u017foft\\MSLicensing'
SECRET = 'db_password=hunter2-do-not-echo'

HOSTS = ('r_edit', 'r_cutkey', 'r_cutdata', 'r_notreg', 'r_zero', 'r_foreign', 'r_renamed', 'r_planted',
         'r_halfmanifest', 'r_single', 'r_moved', 'r_moved_ok', 'r_longs', 'r_other')


@pytest.fixture(scope='module')
def lab(lab_factory):
    return lab_factory('restore-safety', {host: HostSpec('win10-pro', {'64': 'one-license'}) for host in HOSTS})


def _only_backup(backup_dir: pathlib.Path, host: str) -> pathlib.Path:
    (found,) = sorted((backup_dir / host).glob('*-reg64.reg'))
    return found


def _write_backup(path: pathlib.Path, data: bytes, manifest: dict | None) -> pathlib.Path:
    path.write_bytes(data)
    if manifest is not None:
        pathlib.Path(store.manifest_path(str(path))).write_text(json.dumps(manifest))
    return path


def _manifest(path: pathlib.Path) -> dict:
    return json.loads(pathlib.Path(store.manifest_path(str(path))).read_text())


def _newer(path: pathlib.Path, directory: pathlib.Path) -> pathlib.Path:
    """A backup name in ``directory`` that sorts after every real one (20xx -> 29xx)."""
    return directory / path.name.replace('20', '29', 1)


def test_restore_refuses_every_wrong_backup_before_touching_the_host(lab, tmp_path):
    backups = tmp_path / 'backups'
    hosts = ','.join(HOSTS)
    removed = lab.playbook(RESET, extra_vars={'reset_license_store_hosts': hosts,
                                              'reset_license_store_backup_dir': str(backups)})
    assert removed.rc == 0, removed.stdout + removed.stderr
    assert all(lab.fleet.export_store(host, '64') is None for host in HOSTS)
    good = {host: _only_backup(backups, host) for host in HOSTS}
    data = {host: good[host].read_bytes() for host in HOSTS}
    decoded = removed.result('r_moved', TASK)['views']['64']['licenses'][0]['decoded']['licenses'][0]
    cal = cal_id(decoded['license_server'], decoded['serial'])

    host_vars: dict[str, dict] = {}
    work = tmp_path / 'work'
    work.mkdir()

    # one hex digit edited: still a valid .reg file, but not the file its manifest describes
    text = data['r_edit'].decode('utf-16')
    at = text.index('hex:') + 4
    edited = text[:at] + ('1' if text[at] != '1' else '2') + text[at + 1:]
    good['r_edit'].write_bytes(b'\xff\xfe' + edited.encode('utf-16-le'))
    # cut short at a key boundary (a valid .reg file that lacks the licenses) and in the middle of the data
    cut = data['r_cutkey'].decode('utf-16')
    good['r_cutkey'].write_bytes(b'\xff\xfe' + cut[:cut.index('[', cut.index('HardwareID'))].encode('utf-16-le'))
    good['r_cutdata'].write_bytes(data['r_cutdata'][:len(data['r_cutdata']) * 2 // 3])
    # not a .reg file at all, given as the backup
    notreg = work / 'notes.txt'
    notreg.write_text(SECRET + '\n' * 3)
    host_vars['r_notreg'] = {'restore_backup': str(notreg), 'restore_views': ['64']}
    # a device that never ends
    host_vars['r_zero'] = {'restore_backup': '/dev/zero', 'restore_views': ['64']}
    # another host's backup, by path; the same for a renamed host, with the override
    host_vars['r_foreign'] = {'restore_backup': str(good['r_other'])}
    host_vars['r_renamed'] = {'restore_backup': str(good['r_other']), 'restore_from_host': 'r_other'}
    # another host's backup (and its manifest) placed newest in this host's folder
    planted = _newer(good['r_other'], backups / 'r_planted')
    _write_backup(planted, data['r_other'], _manifest(good['r_other']) | {'created': '29991231T235959.000000Z'})
    # a newer backup whose manifest was cut short while being written, beside the good one
    half = _newer(good['r_halfmanifest'], backups / 'r_halfmanifest')
    half.write_bytes(data['r_halfmanifest'])
    pathlib.Path(store.manifest_path(str(half))).write_text(json.dumps(_manifest(good['r_halfmanifest']))[:40])
    # (planted and half-written ones are newer than the good backups: they would be chosen)
    # one file, the default views (both): the view comes from the manifest
    host_vars['r_single'] = {'restore_backup': str(good['r_single'])}
    # the ledger says this CAL went to another computer; once refused, once overridden
    ledgers = {}
    for host in ('r_moved', 'r_moved_ok'):
        ledgers[host] = 'sqlite://%s/%s.sqlite3' % (tmp_path, host)
        with open_ledger(ledgers[host]) as ledger:
            ledger.record_transfer(TransferRequest(cal_id=cal, source_host=host, target_host='new07'))
        host_vars[host] = {'restore_ledger': ledgers[host]}
    host_vars['r_moved_ok']['restore_transferred_cal'] = True
    host_vars['r_renamed']['restore_ledger'] = ledgers['r_renamed'] = 'sqlite://%s/renamed.sqlite3' % tmp_path
    # a backup under HKLM\SOFTWARE\Micro\u017foft (long s): another key to the registry, whatever casefold() says
    longs = data['r_longs'].decode('utf-16').replace('\\Microsoft\\MSLicensing', '\\Micro\u017foft\\MSLicensing')
    longs_file = good['r_longs']
    longs_file.write_bytes(b'\xff\xfe' + longs.encode('utf-16-le'))
    pathlib.Path(store.manifest_path(str(longs_file))).write_text(json.dumps(
        _manifest(longs_file) | {'sha256': store.sha256(longs_file.read_bytes())}))
    host_vars['r_longs'] = {'restore_backup': str(longs_file)}

    vars_dir = lab.inventory.parent / 'host_vars'
    vars_dir.mkdir(exist_ok=True)
    for host, values in host_vars.items():
        (vars_dir / ('%s.yml' % host)).write_text(json.dumps(values))

    # hosts without their own restore_ledger check an empty one (never the user's default ledger)
    run = lab.playbook(RESTORE, extra_vars={'restore_hosts': hosts, 'restore_backup_dir': str(backups)},
                       env={'TSCAL_LEDGER_URL': 'sqlite://%s/default.sqlite3' % tmp_path})
    assert run.rc != 0
    results = {host: run.result(host, TASK) for host in HOSTS if host != 'r_other'}

    refused = {
        'r_edit': 'does not match its manifest',
        'r_cutkey': 'does not match its manifest',
        'r_cutdata': 'does not match its manifest',
        'r_notreg': 'is not a valid .reg export (line 1): not a .reg file: the first line must be',
        'r_zero': 'is not a regular file',
        'r_foreign': 'is of the host r_other, not r_foreign',
        'r_planted': 'is of the host r_other, not r_planted',
        'r_moved': 'CAL %s was transferred to new07' % cal,
        'r_longs': 'does not start with the key HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing',
    }
    for host, message in refused.items():
        result = results[host]
        assert result.get('failed') is True, (host, result)
        assert message in result['msg'], (host, result['msg'])
        # decided on the controller: not one module ran on the host, and its store is still absent
        assert 'module_executions' not in result or result['module_executions'] == 0, (host, result)
        assert lab.fleet.export_store(host, '64') is None, host
    assert SECRET not in results['r_notreg']['msg'] and 'hunter2' not in run.stdout
    assert 'restore_from_host' in results['r_foreign']['msg']
    assert 'restore_transferred_cal' in results['r_moved']['msg']
    assert lab.fleet.export_store('r_longs', '64', key=LONG_S_KEY) is None

    restored = {'r_renamed': 'r_other', 'r_halfmanifest': 'r_halfmanifest', 'r_single': 'r_single',
                'r_moved_ok': 'r_moved_ok'}
    for host, source in restored.items():
        result = results[host]
        assert result.get('failed') is not True and result['changed'] is True, (host, result)
        assert lab.fleet.export_store(host, '64') == data[source], host
    assert results['r_halfmanifest']['backups']['64']['path'] == str(good['r_halfmanifest'])
    assert any('skipped the backup %s' % half in w for w in results['r_halfmanifest'].get('warnings', []))

    # every override is in the ledger's event log, with who, where and which backup
    for host, kind_detail in (('r_renamed', {'restore_from_host': 'r_other'}),
                              ('r_moved_ok', {'cals': [cal]})):
        with open_ledger(ledgers[host], dry_run=True) as ledger:
            events = [e for e in ledger.events() if e['kind'] == 'restore_override']
        assert len(events) == 1 and events[0]['host'] == host, events
        detail = json.loads(events[0]['detail'])
        assert {k: detail[k] for k in kind_detail} == kind_detail
        assert detail['backups']['64']['sha256'] == store.sha256(data[restored[host]])
    with open_ledger(ledgers['r_moved'], dry_run=True) as ledger:
        assert [e['kind'] for e in ledger.events()] == ['transfer_recorded']


def test_restore_reads_a_device_with_a_limit():
    with pytest.raises(store.BackupError, match='is not a regular file'):
        store.read_backup('/dev/zero')


def test_newest_backup_skips_a_half_written_manifest(tmp_path):
    good = tmp_path / '20260101T000000.000000Z-reg64.reg'
    _write_backup(good, b'x', {'view': '64', 'host': 'h', 'sha256': store.sha256(b'x'), 'created': '20260101'})
    half = tmp_path / '20270101T000000.000000Z-reg64.reg'
    half.write_bytes(b'y')
    pathlib.Path(store.manifest_path(str(half))).write_text('{"view": "64", "ho')
    plan, warnings = store.latest_backups(str(tmp_path), ['64', '32'])
    assert plan == {'64': str(good)}
    assert len(warnings) == 1 and str(half) in warnings[0] and 'not valid JSON' in warnings[0]


@pytest.mark.parametrize('manifest, problem', [
    ({'view': '64', 'host': 'h'}, 'holds no sha256'),
    ({'view': '64', 'sha256': '0' * 64}, 'names no host'),
    ({'view': '16', 'host': 'h', 'sha256': '0' * 64}, 'names no registry view'),
])
def test_incomplete_manifests_are_refused(tmp_path, manifest, problem):
    path = _write_backup(tmp_path / 'b.reg', b'x', manifest)
    with pytest.raises(store.BackupError, match=problem):
        store.read_manifest(str(path))


def test_backup_host_check():
    manifest = {'host': 'old01'}
    assert store.check_backup_host(manifest, 'old01', None, 'b') is None
    assert store.check_backup_host(None, 'new01', None, 'b') is None
    assert store.check_backup_host(manifest, 'new01', 'old01', 'b') == 'old01'
    for accepted in (None, 'old02'):
        with pytest.raises(store.BackupError, match='is of the host old01, not new01'):
            store.check_backup_host(manifest, 'new01', accepted, 'b')


def test_backup_checksum_check():
    manifest = {'sha256': store.sha256(b'abc').upper()}
    store.check_backup(b'abc', 'b', manifest)
    store.check_backup(b'anything', 'b', None)
    with pytest.raises(store.BackupError, match='does not match its manifest'):
        store.check_backup(b'abd', 'b', manifest)
