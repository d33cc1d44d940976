"""Real-Windows behaviour on the lab (issue 14): a 32-bit Windows source (one registry key behind both views)
through transfer and audit, and reg.exe's "Access is denied" (rc 1) reported as an error by transfer and audit,
never as "no store" or "no license". Real ansible-playbook runs against Wine prefixes."""

from __future__ import annotations

import datetime
import json
import pathlib
import shutil
import sqlite3

import pytest
from fleet import HostSpec

pytestmark = [pytest.mark.lab, pytest.mark.slow]

REPO = pathlib.Path(__file__).resolve().parents[2]
TRANSFER = REPO / 'playbooks' / 'transfer.yml'
AUDIT = REPO / 'playbooks' / 'audit.yml'
SCENARIOS = REPO / 'tests' / 'integration' / 'license_server' / 'scenarios'
DENIED = ['reg query MSLicensing /reg:64']

# several_cals.yml issued two active CALs to PC-042: here PC-042 is a 32-bit Windows 7.
HOSTS = {
    'pc-042': HostSpec('win7-pro', {'64': 'permanent-license'}, arch='win32'),
    'pc-new': HostSpec('win10-pro', {}),
    'pc-denied': HostSpec('win10-pro', {'64': 'permanent-license'}),
    'licsrv': HostSpec('server2022', {}),
}


@pytest.fixture(scope='module')
def lab(lab_factory):
    return lab_factory('real-windows', HOSTS)


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp('real-windows')
    scenario = root / 'scenario.yml'
    shutil.copyfile(SCENARIOS / 'several_cals.yml', scenario)
    return {'root': root, 'ledger': root / 'ledger.sqlite3', 'backups': root / 'backups',
            'reports': root / 'reports', 'scenario': scenario}


def _transfer(lab, work, **variables):
    extra = {'transfer_reason': 'hardware replaced', 'transfer_license_server_version': '2019',
             'transfer_ledger': 'sqlite:///%s' % work['ledger'], 'transfer_backup_dir': str(work['backups']),
             'transfer_target': 'pc-new'}
    extra.update(variables)
    return lab.playbook(TRANSFER, extra_vars=extra, json_output=False, env={'TSCAL_WMI_SCENARIO': str(work['scenario'])})


def _transfers(work):
    if not work['ledger'].exists():
        return []
    with sqlite3.connect(work['ledger']) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute('SELECT * FROM transfers ORDER BY id')]


def test_access_denied_on_the_source_fails_the_transfer_with_reg_exe_message(lab, work):
    before = lab.fleet.export_stores('pc-denied')
    run = _transfer(lab, work, transfer_source='pc-denied', ansible_wine_command_faults=DENIED)
    assert run.rc != 0
    printed = ' '.join(run.stdout.split())
    assert 'ERROR: Access is denied.' in printed, printed[-3000:]
    assert 'holds no client license store' not in printed and 'no permanent per-device CAL' not in printed
    assert lab.fleet.export_stores('pc-denied') == before
    assert _transfers(work) == [] and not list(work['backups'].glob('pc-denied/*.reg'))


def test_transfer_from_32_bit_windows_backs_up_and_deletes_once(lab, work):
    before = lab.fleet.export_stores('pc-042')
    assert before['64'] is not None and before['32'] == before['64']  # one key behind both views
    run = _transfer(lab, work, transfer_source='pc-042', transfer_license_server='licsrv', transfer_revoke=True)
    assert run.rc == 0, run.stdout[-3000:]
    summary = ' '.join(run.stdout[run.stdout.rindex('Show the summary'):].split())
    assert 'Transfer: 1 host(s), 1 changed, 1 backup(s) written, 1 CAL(s) freed, 2 revoked' in summary
    assert lab.fleet.export_stores('pc-042') == {'64': None, '32': None}
    [backup] = (work['backups'] / 'pc-042').glob('*.reg')
    assert backup.read_bytes() == before['64']
    [row] = _transfers(work)
    assert (row['source_host'], row['state'], row['backup_path']) == ('pc-042', 'server_revoked', str(backup))


def test_audit_reports_access_denied_as_an_error_and_reads_32_bit_once(lab, work):
    lab.fleet.seed_store('pc-new', '64', 'permanent-license')
    lab.fleet.seed_store('pc-042', '64', 'expiring-license')
    inventory = json.loads(lab.inventory.read_text())
    inventory['all']['children']['lab_clients']['hosts']['pc-denied']['ansible_wine_command_faults'] = DENIED
    lab.inventory.write_text(json.dumps(inventory))
    audit_vars = {'audit_hosts': 'pc-042:pc-new:pc-denied', 'audit_ledger': 'sqlite:///%s' % work['ledger'],
                  'audit_report_dir': str(work['reports']),
                  'audit_report_time': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}
    run = lab.playbook(AUDIT, json_output=False, extra_vars=audit_vars)
    report = json.loads((work['reports'] / 'tscal-audit.json').read_text())
    by_host = {host['host']: host for host in report['hosts']}
    assert by_host['pc-denied']['status'] != 'no license', run.stdout[-3000:]
    assert by_host['pc-denied']['status'] == 'not reached'
    assert 'ERROR: Access is denied.' in json.dumps(by_host['pc-denied'])
    # the 32-bit host's one license is counted once, in one view
    [license_row] = by_host['pc-042']['licenses']
    assert license_row['views'] == ['64'] and by_host['pc-042']['status'] == 'expiring'
    assert by_host['pc-new']['status'] != 'not reached'
