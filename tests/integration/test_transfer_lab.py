"""End to end on a lab fleet: transfer.yml (KB 315262) from one client to another, refusals, the license
server step, then audit.yml; the ledger and the report must agree with the registry of every prefix.

Real ansible-playbook runs against Wine prefixes; the license server is the win_powershell contract double
(tests/lab/collections) answering from a scenario file copied per test.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import pathlib
import shutil
import sqlite3
import stat

import pytest
import yaml
from fleet import HostSpec

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license, _regfile

pytestmark = [pytest.mark.lab, pytest.mark.slow]

REPO = pathlib.Path(__file__).resolve().parents[2]
TRANSFER = REPO / 'playbooks' / 'transfer.yml'
AUDIT = REPO / 'playbooks' / 'audit.yml'
SCENARIOS = REPO / 'tests' / 'integration' / 'license_server' / 'scenarios'

# Seven clients and a license server. several_cals.yml issued two active CALs to PC-042 and one to PC-077.
HOSTS = {
    'pc-042': HostSpec('win10-pro', {'64': 'permanent-license'}),
    'pc-new': HostSpec('win11-home', {}),
    'pc-temp': HostSpec('win10-pro', {'64': 'temporary-license'}),
    'pc-both': HostSpec('win10-pro', {'64': 'permanent-license', '32': 'permanent-license'}),
    'pc-spare': HostSpec('win10-pro', {}),
    'pc-soon': HostSpec('win7-pro', {'64': 'expiring-license'}),
    'pc-077': HostSpec('win10-pro', {'64': 'permanent-license'}),
    'licsrv': HostSpec('server2022', {}),
}
CLIENTS = [host for host in HOSTS if host != 'licsrv']


@pytest.fixture(scope='module')
def lab(lab_factory):
    made = lab_factory('transfer', HOSTS)
    # The story below starts from exactly these stores: say so at once if the fleet did not get them.
    for host, spec in HOSTS.items():
        held = {view for view, data in made.fleet.export_stores(host).items() if data is not None}
        assert held == {view for view, seed in spec.stores.items() if seed != 'none'}, host
    return made


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    """One ledger, backups folder, report folder and license server scenario for the whole module: the tests
    below are the steps of one story, in order."""
    root = tmp_path_factory.mktemp('transfer-story')
    scenario = root / 'scenario.yml'
    shutil.copyfile(SCENARIOS / 'several_cals.yml', scenario)
    return {'root': root, 'ledger': root / 'ledger.sqlite3', 'backups': root / 'backups',
            'reports': root / 'reports', 'scenario': scenario}


def _transfer(lab, work, check=False, **variables):
    extra = {'transfer_reason': 'hardware replaced', 'transfer_license_server_version': '2019',
             'transfer_ledger': 'sqlite:///%s' % work['ledger'], 'transfer_backup_dir': str(work['backups'])}
    extra.update(variables)
    return lab.playbook(TRANSFER, extra_vars=extra, check=check, json_output=False,
                        env={'TSCAL_WMI_SCENARIO': str(work['scenario'])})


def _ledger_rows(work, table='transfers'):
    if not work['ledger'].exists():
        return []
    with sqlite3.connect(work['ledger']) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute('SELECT * FROM %s ORDER BY id' % table)]


def _summary(run):
    """The summary lines printed by the last play (default callback, YAML result format)."""
    text = run.stdout[run.stdout.rindex('Show the summary'):]
    return ' '.join(text.split())


def _changed_counts(run):
    """PLAY RECAP changed= per host."""
    recap = run.stdout[run.stdout.rindex('PLAY RECAP'):]
    return {line.split()[0]: int(line.split('changed=')[1].split()[0]) for line in recap.splitlines()[1:]
            if 'changed=' in line}


def test_refuses_to_run_without_source_or_target(lab, work):
    no_source = _transfer(lab, work, transfer_target='pc-new')
    assert no_source.rc != 0 and 'transfer_source is not set: name the hosts to act on' in no_source.stdout + no_source.stderr
    no_target = _transfer(lab, work, transfer_source='pc-042')
    assert no_target.rc != 0 and 'no transfer_target for pc-042: name the client receiving the CAL' in no_target.stdout + no_target.stderr
    unknown = _transfer(lab, work, transfer_source='pc-nowhere', transfer_target='pc-new')
    assert unknown.rc != 0 and 'transfer_source=pc-nowhere matches no host in the inventory' in unknown.stdout + unknown.stderr
    assert not work['ledger'].exists()


def test_bad_requests_are_refused_with_reasons_and_change_nothing(lab, work):
    before = lab.fleet.export_stores('pc-042')
    # What every transfer needs is refused once for the run; then what is wrong with one source, per source.
    request = _transfer(lab, work, transfer_source='pc-042', transfer_target='pc-042', transfer_reason=' ',
                        transfer_revoke=True)
    assert request.rc != 0
    flat = ' '.join(request.stdout.split())
    assert 'transfer.yml refused, nothing was changed: transfer_reason is not set' in flat
    assert 'transfer_revoke=true needs transfer_license_server' in flat
    run = _transfer(lab, work, transfer_source='pc-042', transfer_target='pc-042')
    assert run.rc != 0
    summary = _summary(run)
    assert 'pc-042: REFUSED: the target is the source itself' in summary
    assert '1 refused' in summary and '1 host(s) refused, left unchanged: pc-042' in run.stdout
    elsewhere = _transfer(lab, work, transfer_source='pc-042', transfer_target='pc-unknown',
                          transfer_license_server='nosuchserver')
    assert ('the target pc-unknown is not in the inventory; the license server nosuchserver is not in the '
            'inventory') in _summary(elsewhere)
    assert lab.fleet.export_stores('pc-042') == before
    assert _ledger_rows(work) == [] and not work['backups'].exists()


def test_refusals_in_a_rollout_do_not_stop_the_others_and_fail_the_run(lab, work):
    # pc-temp holds only a temporary license; pc-spare holds nothing; both are refused, nothing changes.
    before = {host: lab.fleet.export_stores(host) for host in ('pc-temp', 'pc-spare')}
    run = _transfer(lab, work, transfer_source='pc-temp:pc-spare', transfer_target='pc-new')
    assert run.rc == 2
    summary = _summary(run)
    assert 'Transfer: 2 host(s), 0 changed, 0 backup(s) written, 0 CAL(s) freed' in summary
    assert 'pc-temp: REFUSED: the source holds no permanent per-device CAL: LICENSE000 (view 64, LICSRV01' in summary
    assert 'temporary' in summary.split('pc-temp: REFUSED:')[1]
    assert 'pc-spare: REFUSED: the source holds no client license store' in summary
    assert {host: lab.fleet.export_stores(host) for host in ('pc-temp', 'pc-spare')} == before
    assert _ledger_rows(work) == []


def test_eligibility_refusal_names_the_rule(lab, work):
    # Windows 10 against a Windows 2000 license server: the sources are silent, so the role refuses.
    before = lab.fleet.export_stores('pc-042')
    run = _transfer(lab, work, transfer_source='pc-042', transfer_target='pc-new',
                    transfer_license_server_version='2000')
    assert run.rc == 2
    summary = _summary(run)
    assert 'pc-042: REFUSED: the source pc-042 (Windows 10' in summary
    assert 'the target pc-new (Windows 11' in summary
    assert lab.fleet.export_stores('pc-042') == before


def test_plan_in_check_mode_changes_nothing(lab, work):
    before = {host: lab.fleet.export_stores(host) for host in ('pc-042', 'pc-new')}
    scenario = work['scenario'].read_text()
    run = _transfer(lab, work, check=True, transfer_source='pc-042', transfer_target='pc-new',
                    transfer_license_server='licsrv', transfer_revoke=True)
    assert run.rc == 0, run.stdout[-3000:]
    summary = _summary(run)
    assert 'Transfer (check mode: nothing was changed): 1 host(s), 1 would be changed, 0 backup(s) written, ' \
           '1 CAL(s) would be freed, 2 would be revoked on the license server, 0 refused' in summary
    assert 'pc-042: would transfer LICSRV01/0x' in summary
    assert {host: lab.fleet.export_stores(host) for host in ('pc-042', 'pc-new')} == before
    assert work['scenario'].read_text() == scenario
    assert _ledger_rows(work) == [] and not work['backups'].exists()


def test_transfer_backs_up_removes_revokes_and_records(lab, work):
    before = lab.fleet.export_stores('pc-042')
    bystanders = {host: lab.fleet.export_stores(host) for host in CLIENTS if host != 'pc-042'}
    run = _transfer(lab, work, transfer_source='pc-042', transfer_target='pc-new',
                    transfer_license_server='licsrv', transfer_revoke=True)
    assert run.rc == 0, run.stdout[-3000:]
    summary = _summary(run)
    assert 'Transfer: 1 host(s), 1 changed, 1 backup(s) written, 1 CAL(s) freed, 2 revoked on the license ' \
           'server, 0 refused, 0 not reached' in summary
    # the store is gone from the source, and only from the source
    assert lab.fleet.export_stores('pc-042') == {'64': None, '32': None}
    assert {host: lab.fleet.export_stores(host) for host in bystanders} == bystanders
    # the backup on the controller is private and holds exactly what the registry held
    [backup] = (work['backups'] / 'pc-042').glob('*.reg')
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert _regfile.parse_reg(backup.read_bytes()) == _regfile.parse_reg(before['64'])
    # the license server double now holds both CALs of PC-042 as revoked (status 4)
    assert 'LicenseStatus: 4' in work['scenario'].read_text()
    [row] = _ledger_rows(work)
    decoded = _client_license.summary(_regfile.parse_reg(before['64']))['licenses'][0]['decoded']['licenses'][0]
    assert row['cal_id'] == 'LICSRV01/%s' % decoded['serial']
    assert (row['source_host'], row['target_host'], row['state']) == ('pc-042', 'pc-new', 'server_revoked')
    assert (row['reason'], row['backup_path']) == ('hardware replaced', str(backup))
    assert row['backup_sha256'] and row['license_serial'] == decoded['serial']


def test_second_run_changes_nothing(lab, work):
    rows = _ledger_rows(work)
    run = _transfer(lab, work, transfer_source='pc-042', transfer_target='pc-new',
                    transfer_license_server='licsrv', transfer_revoke=True)
    assert run.rc == 0
    assert set(_changed_counts(run).values()) == {0}
    assert 'pc-042: already transferred to pc-new: LICSRV01/0x' in _summary(run)
    assert _ledger_rows(work) == rows


def test_same_license_in_both_views_is_one_cal_and_needs_a_reissue_without_server(lab, work):
    run = _transfer(lab, work, transfer_source='pc-both', transfer_target='pc-spare')
    assert run.rc == 0, run.stdout[-3000:]
    summary = _summary(run)
    assert '2 backup(s) written, 2 CAL(s) freed, 0 revoked' in summary
    assert 'no license server given' in summary and 'a Clearinghouse reissue is needed' in summary
    rows = [row for row in _ledger_rows(work) if row['source_host'] == 'pc-both']
    assert [(row['target_host'], row['state']) for row in rows] == [('pc-spare', 'source_cleared')]
    assert lab.fleet.export_stores('pc-both') == {'64': None, '32': None}


def test_a_failed_license_server_step_is_recorded_and_a_rerun_finishes_it(lab, work):
    healthy = work['scenario'].read_text()
    # Reading the server works (a read that fails is refused before any change); Revoke() is denied.
    broken = yaml.safe_load(healthy)
    broken['errors'] = {'Win32_TSIssuedLicense.Revoke': {'hresult': '0x80041003', 'message': 'Access denied '}}
    work['scenario'].write_text(yaml.safe_dump(broken))
    before = lab.fleet.export_stores('pc-077')
    failed = _transfer(lab, work, transfer_source='pc-077', transfer_target='pc-new',
                       transfer_allow_multiple_to_target=True,
                       transfer_license_server='licsrv', transfer_revoke=True)
    assert failed.rc != 0
    printed = ' '.join(failed.stdout.split())
    assert 'the license server step on licsrv failed:' in printed and 'Access denied' in printed
    assert 'run the same transfer again to finish it' in printed
    # the client half is done and recorded: the store is backed up and gone, the ledger knows it
    assert lab.fleet.export_stores('pc-077') == {'64': None, '32': None}
    [row] = [row for row in _ledger_rows(work) if row['source_host'] == 'pc-077']
    assert row['state'] == 'source_cleared' and row['backup_path']
    assert _regfile.parse_reg(pathlib.Path(row['backup_path']).read_bytes()) == _regfile.parse_reg(before['64'])

    work['scenario'].write_text(healthy)
    plan = _transfer(lab, work, check=True, transfer_source='pc-077', transfer_target='pc-new',
                     transfer_allow_multiple_to_target=True,
                     transfer_license_server='licsrv', transfer_revoke=True)
    assert plan.rc == 0, plan.stdout[-3000:]
    assert 'pc-077: would transfer LICSRV01/0x' in _summary(plan) and '1 would be revoked' in _summary(plan)
    assert work['scenario'].read_text() == healthy
    assert [row['state'] for row in _ledger_rows(work) if row['source_host'] == 'pc-077'] == ['source_cleared']
    resumed = _transfer(lab, work, transfer_source='pc-077', transfer_target='pc-new',
                        transfer_allow_multiple_to_target=True,
                        transfer_license_server='licsrv', transfer_revoke=True)
    assert resumed.rc == 0, resumed.stdout[-3000:]
    summary = _summary(resumed)
    assert 'Transfer: 1 host(s), 1 changed, 0 backup(s) written, 0 CAL(s) freed, 1 revoked' in summary
    assert 'pc-077: transferred LICSRV01/0x' in summary and 'the source was cleared by an earlier run' in summary
    [row] = [row for row in _ledger_rows(work) if row['source_host'] == 'pc-077']
    assert row['state'] == 'server_revoked'
    # and now there is nothing left to do
    again = _transfer(lab, work, transfer_source='pc-077', transfer_target='pc-new',
                      transfer_allow_multiple_to_target=True,
                      transfer_license_server='licsrv', transfer_revoke=True)
    assert again.rc == 0 and set(_changed_counts(again).values()) == {0}


def _licenses_in_registry(lab, host):
    """(view, serial, temporary) of every license in the prefix's registry, decoded from a fresh export."""
    found = set()
    for view, data in lab.fleet.export_stores(host).items():
        if data is None:
            continue
        for entry in _client_license.summary(_regfile.parse_reg(data))['licenses']:
            for lic in entry['decoded']['licenses']:
                found.add((view, lic['serial'], lic['temporary']))
    return found


def test_audit_completes_the_transfer_and_agrees_with_every_registry(lab, work):
    # The new client connects and gets its CAL from the license server: a permanent license appears.
    lab.fleet.seed_store('pc-new', '64', 'permanent-license')
    audit_vars = {'audit_hosts': ':'.join(CLIENTS), 'audit_ledger': 'sqlite:///%s' % work['ledger'],
                  'audit_report_dir': str(work['reports']),
                  # after the transfers were recorded: an observation only completes earlier transfers
                  'audit_report_time': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}
    plan = lab.playbook(AUDIT, json_output=False, extra_vars=audit_vars, check=True)
    assert plan.rc == 0, plan.stdout[-3000:]
    assert not work['reports'].exists() and _ledger_rows(work, 'observations') == []
    assert {row['state'] for row in _ledger_rows(work)} == {'server_revoked', 'source_cleared'}
    run = lab.playbook(AUDIT, json_output=False, extra_vars=audit_vars)
    assert run.rc == 0, run.stdout[-3000:]
    printed = ' '.join(run.stdout.split())
    assert 'Transfer completed (the target holds a permanent license): LICSRV01/0x' in printed
    assert ('7 host(s) (0 not reached), 3 license(s): 2 permanent, 1 temporary, 1 expiring within 30 days, '
            '0 expired') in printed
    transfers = {row['source_host']: row for row in _ledger_rows(work)}
    assert transfers['pc-042']['state'] == 'completed' and transfers['pc-042']['completed_at']
    # pc-spare holds nothing yet: its incoming transfer stays open
    assert transfers['pc-both']['state'] == 'source_cleared'

    report = json.loads((work['reports'] / 'tscal-audit.json').read_text())
    by_host = {host['host']: host for host in report['hosts']}
    assert sorted(by_host) == sorted(CLIENTS)
    observations = _ledger_rows(work, 'observations')
    for host in CLIENTS:
        registry = _licenses_in_registry(lab, host)
        reported = {(view, row['serial'], row['license_type'] == 'temporary')
                    for row in by_host[host]['licenses'] for view in row['views']}
        assert reported == registry, host
        observed = {obs['serial'] for obs in observations if obs['host'] == host}
        assert observed == {serial for _view, serial, _temporary in registry}, host
    assert by_host['pc-new']['transfer_in']['state'] == 'completed'
    assert by_host['pc-042']['transfer_out']['state'] == 'completed'
    assert by_host['pc-soon']['status'] == 'expiring' and by_host['pc-temp']['status'] == 'temporary'
    assert by_host['pc-042']['status'] == 'no license'

    with open(work['reports'] / 'tscal-audit.csv', newline='') as handle:
        rows = list(csv.DictReader(handle))
    assert {row['host'] for row in rows} == set(CLIENTS)
    html = (work['reports'] / 'tscal-audit.html').read_text()
    for host in CLIENTS:
        assert host in html
    for name in ('tscal-audit.json', 'tscal-audit.csv', 'tscal-audit.html'):
        assert stat.S_IMODE(os.stat(work['reports'] / name).st_mode) == 0o600

    # an audit with the same report time changes nothing the second time
    again = lab.playbook(AUDIT, json_output=False, extra_vars=audit_vars)
    assert again.rc == 0
    # the controller-side steps run delegated from an audited host (so --limit keeps them): nothing changed anywhere
    assert set(_changed_counts(again).values()) == {0}
