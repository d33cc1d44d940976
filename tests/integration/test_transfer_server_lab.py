"""transfer.yml and the license server, end to end on a lab fleet: how the server's records are matched to a
source (its real computer name, the name its license carries; never the first label of an IP address), what the
--check plan says when they differ, the refusals that must come before any change (nothing matches while
revoking, the license server named as the target, an offline target) and the shapes of Revoke()'s answer.

Real ansible-playbook runs against Wine prefixes; the license server is the win_powershell contract double
(tests/lab/collections) answering from a scenario file written per test.
"""

from __future__ import annotations

import json
import pathlib
import sqlite3

import pytest
import yaml
from fleet import HostSpec, _synthetic_store

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _regfile

pytestmark = [pytest.mark.lab, pytest.mark.slow]

REPO = pathlib.Path(__file__).resolve().parents[2]
TRANSFER = REPO / 'playbooks' / 'transfer.yml'
COMPUTER_NAME_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName'

# host -> (computer name in its registry, the machine name its license carries)
SOURCES = {
    'pc-ren': ('PC-REN', 'WS-0042'),                    # renamed since its CAL was issued
    '10.20.30.40': ('PC-IP', 'PC-IP'),                  # named by IP address in the inventory
    'pc-dns.corp.example': ('NB-DNS', 'OLD-DNS'),       # DNS name != NetBIOS name; the server knows the latter
    'pc-nomatch': ('PC-NOMATCH', 'PC-NOMATCH'),         # the server holds nothing for it
    'pc-tospan': ('PC-TOSPAN', 'PC-TOSPAN'),            # Revoke() answers with a TimeSpan
    'pc-case': ('PC-CASE', 'PC-CASE'),
}
HOSTS = {**{host: HostSpec('win10-pro', {}) for host in SOURCES},
         'pc-new': HostSpec('win11-home', {}), 'licsrv': HostSpec('server2022', {})}
# What the license server recorded: the name at issue time (sIssuedToComputer) of one active CAL each.
ISSUED_TO = {'pc-ren': 'WS-0042', '10.20.30.40': 'PC-IP', 'pc-dns.corp.example': 'NB-DNS',
             'pc-tospan': 'PC-TOSPAN', 'pc-case': 'PC-CASE'}


def _scenario(path: pathlib.Path, revoke: dict | None = None) -> None:
    cals = [{'LicenseId': 100 + index, 'KeyPackId': 3, 'sIssuedToUser': 'CORP\\user', 'sIssuedToComputer': name,
             'LicenseStatus': 2, 'IssueDate': '20260110090000.000000+000', 'ExpirationDate': '20380110090000.000000+000',
             'sHardwareId': '{A1B2C3D4-0000-1111-2222-3333444455%02d}' % index}
            for index, name in enumerate(ISSUED_TO.values())]
    path.write_text(yaml.safe_dump({
        'classes': {
            'Win32_TSLicenseKeyPack': [{
                'KeyPackId': 3, 'Description': 'RDS Per Device CAL', 'KeyPackType': 1, 'ProductType': 0,
                'ProductVersion': 'Windows Server 2019', 'ProductVersionID': 6, 'TotalLicenses': 25,
                'IssuedLicenses': len(cals), 'AvailableLicenses': 25 - len(cals),
                'ExpirationDate': '20380119031407.000000+000', 'TypeAndModel': 'C50-10.00-S'}],
            'Win32_TSIssuedLicense': cals,
            'Win32_TSLicenseServer': {'ProductId': '00490-92005-99454-AT527', 'Version': '10.0',
                                      'VersionNumber': '10.0.17763.1', 'DatabasePath': 'C:\\lserver\\', 'ServerRole': 1}},
        'methods': {'Win32_TSLicenseServer.GetActivationStatus': {'ReturnValue': 0, 'ActivationStatus': 0},
                    'Win32_TSIssuedLicense.Revoke': {'RevokableCals': 10, 'NextRevokeAllowedOn': None,
                                                     'LimitReturnValue': '0x80041001', **(revoke or {})}},
    }))


@pytest.fixture(scope='module')
def lab(lab_factory, tmp_path_factory):
    made = lab_factory('transfer-server', HOSTS)
    seeds = tmp_path_factory.mktemp('seeds')
    for host, (computer, machine) in SOURCES.items():
        rc, out = made.fleet.reg(host, 'add', COMPUTER_NAME_KEY, '/v', 'ComputerName', '/t', 'REG_SZ',
                                 '/d', computer, '/f')
        assert rc == 0, out
        seed = seeds / ('%s.reg' % computer)
        seed.write_bytes(_regfile.write_reg(_synthetic_store(machine, days_left=75)))
        made.fleet.seed_store(host, '64', str(seed))
    # pc-offline is only an inventory record whose prefix does not exist: the connection cannot reach it.
    inventory = json.loads(made.inventory.read_text())
    hosts = inventory['all']['children']['lab_clients']['hosts']
    hosts['pc-offline'] = {**hosts['pc-new'], 'ansible_wine_prefix': str(made.fleet.lab_dir / 'no-such-prefix')}
    made.inventory.write_text(json.dumps(inventory, indent=2))
    return made


@pytest.fixture
def work(tmp_path):
    scenario = tmp_path / 'scenario.yml'
    _scenario(scenario)
    return {'ledger': tmp_path / 'ledger.sqlite3', 'backups': tmp_path / 'backups', 'scenario': scenario}


def _transfer(lab, work, source, check=False, **variables):
    extra = {'transfer_source': source, 'transfer_target': 'pc-new', 'transfer_reason': 'hardware replaced',
             'transfer_license_server_version': '2019', 'transfer_license_server': 'licsrv',
             'transfer_revoke': True, 'transfer_ledger': 'sqlite:///%s' % work['ledger'],
             'transfer_backup_dir': str(work['backups'])}
    extra.update(variables)
    return lab.playbook(TRANSFER, extra_vars=extra, check=check, json_output=False,
                        env={'TSCAL_WMI_SCENARIO': str(work['scenario'])})


def _summary(run):
    assert 'Show the summary' in run.stdout, run.stdout[-4000:]
    text = run.stdout[run.stdout.rindex('Show the summary'):]
    return ' '.join(text.split())


def _rows(work):
    if not work['ledger'].exists():
        return []
    with sqlite3.connect(work['ledger']) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute('SELECT * FROM transfers ORDER BY id')]


def _statuses(work):
    return {cal['sIssuedToComputer']: cal['LicenseStatus']
            for cal in yaml.safe_load(work['scenario'].read_text())['classes']['Win32_TSIssuedLicense']}


def _store(lab, host):
    return lab.fleet.export_store(host, '64')


def test_renamed_client_plan_shows_the_mismatch_then_the_cal_is_revoked(lab, work):
    plan = _transfer(lab, work, 'pc-ren', check=True)
    assert plan.rc == 0, plan.stdout[-3000:]
    summary = _summary(plan)
    assert '1 would be revoked on the license server' in summary
    assert 'would revoke 1 CAL(s) issued to PC-REN or WS-0042' in summary
    assert 'the license server recorded the client as WS-0042, not as PC-REN' in summary
    assert _statuses(work)['WS-0042'] == 2 and _rows(work) == []

    # The lab connection counts every module execution and file transfer (its kill-point counter, never killing).
    counter = work['ledger'].parent / 'round-trips'
    run = _transfer(lab, work, 'pc-ren', ansible_wine_kill_after=10 ** 9, ansible_wine_kill_count_file=str(counter))
    assert run.rc == 0, run.stdout[-3000:]
    assert _statuses(work)['WS-0042'] == 4
    # Round trips of the whole transfer: source 3 (its OS with the store, read+export, delete+confirm+clean-up),
    # target 1 (its OS), license server 2 (the list before any change, passed on to one Revoke()); no fetch.
    assert len(counter.read_text().splitlines()) == 6
    assert [(row['source_host'], row['state']) for row in _rows(work)] == [('pc-ren', 'server_revoked')]


@pytest.mark.parametrize('source, issued_to', [('10.20.30.40', 'PC-IP'), ('pc-dns.corp.example', 'NB-DNS')])
def test_hosts_named_by_ip_or_dns_match_on_their_computer_name(lab, work, source, issued_to):
    run = _transfer(lab, work, source)
    assert run.rc == 0, run.stdout[-3000:]
    assert 'revoked 1 CAL(s) issued to' in _summary(run)
    assert _statuses(work)[issued_to] == 4
    assert [(row['source_host'], row['state']) for row in _rows(work)] == [(source, 'server_revoked')]
    assert _store(lab, source) is None


def test_revoking_with_nothing_on_the_server_is_refused_before_any_change(lab, work):
    before = _store(lab, 'pc-nomatch')
    for check in (True, False):
        run = _transfer(lab, work, 'pc-nomatch', check=check)
        assert run.rc != 0
        assert ('pc-nomatch: REFUSED: transfer_revoke is true, but the license server licsrv lists no CAL issued to '
                'PC-NOMATCH') in _summary(run)
    # an explicit transfer_source_computer replaces both names
    named = _transfer(lab, work, 'pc-nomatch', check=True, transfer_source_computer='PC-ELSE')
    assert named.rc != 0 and 'lists no CAL issued to PC-ELSE (transfer_source_computer):' in _summary(named)
    assert _store(lab, 'pc-nomatch') == before and _rows(work) == [] and not work['backups'].exists()
    # without revocation the plan goes on, and says what the server holds
    plan = _transfer(lab, work, 'pc-nomatch', check=True, transfer_revoke=False)
    assert plan.rc == 0, plan.stdout[-3000:]
    assert 'the license server lists no CAL issued to PC-NOMATCH' in _summary(plan)


def test_the_license_server_as_target_is_refused_before_any_change(lab, work):
    before = _store(lab, 'pc-case')
    run = _transfer(lab, work, 'pc-case', transfer_target='licsrv', transfer_source_computer='')
    assert run.rc != 0
    assert 'pc-case: REFUSED:' in _summary(run)
    assert 'the license server licsrv is the target too' in _summary(run)
    assert _store(lab, 'pc-case') == before and _rows(work) == [] and _statuses(work)['PC-CASE'] == 2


def test_an_offline_target_is_named_with_the_way_to_go_on(lab, work):
    before = _store(lab, 'pc-case')
    run = _transfer(lab, work, 'pc-case', transfer_target='pc-offline')
    assert run.rc != 0
    summary = _summary(run)
    assert 'pc-case: REFUSED: the target pc-offline is offline or cannot be reached' in summary
    assert 'transfer_target_declared_os' in summary
    assert 'unreachable=0' in run.stdout.split('PLAY RECAP')[-1].split('pc-case')[1].splitlines()[0]
    assert _store(lab, 'pc-case') == before and _rows(work) == []
    declared = _transfer(lab, work, 'pc-case', check=True, transfer_target='pc-offline',
                         transfer_target_declared_os={'product_name': 'Windows 10 Pro'})
    assert declared.rc == 0, declared.stdout[-3000:]
    assert 'pc-case: would transfer LICSRV01/0x' in _summary(declared)


@pytest.mark.parametrize('version', ['2008r2', '2012 r2', '2019'])
def test_license_server_version_in_any_case(lab, work, version):
    plan = _transfer(lab, work, 'pc-case', check=True, transfer_license_server_version=version)
    assert plan.rc == 0, plan.stdout[-3000:]
    assert 'pc-case: would transfer LICSRV01/0x' in _summary(plan)


def test_a_timespan_in_next_revoke_allowed_on_still_reaches_server_revoked(lab, work):
    _scenario(work['scenario'], {'NextRevokeAllowedOnAfterSuccess': '00000000000000.000000:000'})
    run = _transfer(lab, work, 'pc-tospan')
    assert run.rc == 0, run.stdout[-3000:]
    assert _statuses(work)['PC-TOSPAN'] == 4
    assert [(row['source_host'], row['state']) for row in _rows(work)] == [('pc-tospan', 'server_revoked')]


def test_a_license_server_that_cannot_be_read_is_refused_before_any_change(lab, work):
    work['scenario'].write_text((REPO / 'tests' / 'integration' / 'license_server' / 'scenarios'
                                 / 'wmi_access_denied.yml').read_text())
    before = _store(lab, 'pc-case')
    run = _transfer(lab, work, 'pc-case', transfer_revoke=False)
    assert run.rc != 0
    assert 'pc-case: REFUSED: the license server licsrv cannot be read:' in _summary(run)
    assert 'WBEM_E_ACCESS_DENIED' in _summary(run)
    assert _store(lab, 'pc-case') == before and _rows(work) == [] and not work['backups'].exists()
