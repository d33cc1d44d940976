"""Real ansible-playbook runs of the license_server action and role against the win_powershell contract double.

No RD Licensing WMI provider exists here, so ``ansible.windows.win_powershell`` is the lab's contract double
(tests/lab/collections, first on ANSIBLE_COLLECTIONS_PATH), answering from a scenario file copied per test;
Revoke() changes that copy, so idempotence and check mode are checked against the state the double keeps.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import typing as t

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]
SCENARIOS = pathlib.Path(__file__).resolve().parent / 'scenarios'
COLLECTIONS_PATH = '%s:%s' % (REPO / 'tests' / 'lab' / 'collections', REPO / '.venv' / 'collections')

pytestmark = pytest.mark.slow


class Lab:
    """One scenario copy plus a way to run plays against it and read every registered result."""

    def __init__(self, tmp_path: pathlib.Path, scenario: str) -> None:
        self.dir = tmp_path
        self.scenario = tmp_path / 'scenario.yml'
        shutil.copyfile(SCENARIOS / (scenario + '.yml'), self.scenario)
        (tmp_path / 'inventory').write_text('licsrv ansible_connection=local ansible_python_interpreter=%s\n'
                                            % sys.executable)

    def state(self) -> dict[str, t.Any]:
        return yaml.safe_load(self.scenario.read_text())

    def statuses(self) -> dict[int, int]:
        return {cal['LicenseId']: cal['LicenseStatus'] for cal in self.state()['classes']['Win32_TSIssuedLicense']}

    def edit(self, change: t.Callable[[dict[str, t.Any]], None]) -> None:
        state = self.state()
        change(state)
        self.scenario.write_text(yaml.safe_dump(state))

    def run(self, tasks: list[dict[str, t.Any]], check: bool = False) -> list[dict[str, t.Any]]:
        """Run the tasks (each registered, errors kept) in one play; return their results in order."""
        proc = self.play(tasks, check)
        out = self.dir / 'results.json'
        assert out.exists(), 'playbook did not finish:\n%s\n%s' % (proc.stdout[-4000:], proc.stderr[-4000:])
        return json.loads(out.read_text())

    def run_failing(self, tasks: list[dict[str, t.Any]]) -> str:
        """Run tasks whose failure must end the play (a failing role); return the play's output."""
        proc = self.play(tasks, check=False)
        assert proc.returncode != 0 and not (self.dir / 'results.json').exists(), proc.stdout[-4000:]
        return proc.stdout + proc.stderr

    def play(self, tasks: list[dict[str, t.Any]], check: bool) -> subprocess.CompletedProcess[str]:
        out = self.dir / 'results.json'
        out.unlink(missing_ok=True)
        registered = []
        for index, task in enumerate(tasks):
            registered.append({**task, 'register': 'r%d' % index, 'ignore_errors': True})
        collect = '{{ [%s] | to_json }}' % ', '.join('r%d' % i for i in range(len(tasks)))
        registered.append({'name': 'collect', 'ansible.builtin.copy': {'content': collect, 'dest': str(out)},
                           'check_mode': False})
        play = [{'hosts': 'licsrv', 'gather_facts': False, 'tasks': registered}]
        playbook = self.dir / 'play.yml'
        playbook.write_text(yaml.safe_dump(play, sort_keys=False))
        env = {**os.environ, 'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_PATH, 'TSCAL_WMI_SCENARIO': str(self.scenario),
               'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_RETRY_FILES_ENABLED': '0'}
        argv = [str(pathlib.Path(sys.executable).parent / 'ansible-playbook'), '-i', str(self.dir / 'inventory'),
                str(playbook)] + (['--check'] if check else [])
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)


def action(mode: str, **options: t.Any) -> dict[str, t.Any]:
    return {'tslicensing.cal.license_server': {'mode': mode, **options}}


def role(**variables: t.Any) -> list[dict[str, t.Any]]:
    return [
        {'ansible.builtin.include_role': {'name': 'tslicensing.cal.license_server'}, 'vars': variables},
        {'ansible.builtin.debug': {'var': 'license_server_outcome'}},
    ]


# --- list -----------------------------------------------------------------------------------------------

def test_list_by_name_and_by_hardware_id(tmp_path: pathlib.Path) -> None:
    lab = Lab(tmp_path, 'several_cals')
    by_name, by_hwid, both, everything = lab.run([
        action('list', computer='pc-042.corp.example'),
        action('list', hardware_id='b0b0b0b0000011112222333344445555'),
        action('list', computer='PC-042', hardware_id='{99999999-0000-1111-2222-333344445555}'),
        action('list'),
    ])
    assert not by_name['changed'] and not by_name.get('failed')
    assert [(c['license_id'], c['status']) for c in by_name['cals']] == [(5, 'revoked'), (11, 'active'), (14, 'active')]
    eleven = by_name['cals'][1]
    assert eleven['issue_date'] == '2026-01-10T08:00:00Z' and eleven['expiration_date'] == '2026-03-20T08:00:00Z'
    assert (eleven['product_type'], eleven['product_version']) == ('per_device', '2019')
    assert [c['issued_to_computer'] for c in by_hwid['cals']] == ['PC-077']
    assert by_hwid['cals'][0]['issue_date'] == '2026-01-05T12:00:00Z'  # -300 minutes offset
    assert [c['license_id'] for c in both['cals']] == [5]
    assert everything['count'] == 6
    assert {c['status'] for c in everything['cals']} == {'active', 'revoked', 'temporary'}
    assert by_name['module_executions'] == 1  # key packs and issued CALs in one script call


def test_list_in_check_mode_still_reads(tmp_path: pathlib.Path) -> None:
    [listed] = Lab(tmp_path, 'several_cals').run([action('list', computer='PC-077')], check=True)
    assert listed['count'] == 1 and not listed['changed']


def test_nothing_issued(tmp_path: pathlib.Path) -> None:
    listed, revoke, activation = Lab(tmp_path, 'nothing_issued').run([
        action('list', computer='PC-042'), action('revoke', computer='PC-042'), action('activation')])
    assert listed['cals'] == [] and listed['count'] == 0 and not listed.get('failed')
    assert not revoke['changed'] and not revoke.get('failed') and revoke['revoked'] == []
    assert 'nothing to revoke' in revoke['msg']
    assert activation['activation_status'] == 'not_activated' and activation['activated'] is False
    assert activation['server_role'] == 'workgroup'


# --- revoke ---------------------------------------------------------------------------------------------

def test_revoke_check_mode_then_real_then_idempotent(tmp_path: pathlib.Path) -> None:
    lab = Lab(tmp_path, 'several_cals')
    [preview] = lab.run([action('revoke', computer='pc-042.corp.example')], check=True)
    assert preview['changed'] and not preview.get('failed')
    assert [c['license_id'] for c in preview['would_revoke']] == [11, 14] and preview['revoked'] == []
    assert lab.statuses()[11] == 2 and lab.statuses()[14] == 2  # check mode revoked nothing
    assert preview['module_executions'] == 1  # the one read only

    first, second, after = lab.run([
        action('revoke', computer='PC-042'), action('revoke', computer='PC-042'), action('list', computer='PC-042')])
    assert first['changed'] and not first.get('failed')
    assert [(c['license_id'], c['status']) for c in first['revoked']] == [(11, 'revoked'), (14, 'revoked')]
    assert first['revokable_cals'] == 3 and first['module_executions'] == 3  # one read, two Revoke()
    assert not second['changed'] and second['revoked'] == [] and 'nothing to revoke' in second['msg']
    assert {c['status'] for c in after['cals']} == {'revoked'}
    statuses = lab.statuses()
    assert (statuses[11], statuses[14], statuses[20], statuses[21]) == (4, 4, 2, 2)  # look-alikes untouched


def test_revoke_per_user_only_is_refused(tmp_path: pathlib.Path) -> None:
    lab = Lab(tmp_path, 'per_user_only')
    [refused] = lab.run([action('revoke', computer='PC-042')])
    assert refused['failed'] and not refused['changed'] and refused['blocked_by'] == 'per_user'
    assert 'per-user CALs never can' in refused['msg'] and [c['license_id'] for c in refused['refused']] == [31]
    assert lab.statuses() == {31: 2}


def test_revoke_limit_reached_stops_and_reports(tmp_path: pathlib.Path) -> None:
    lab = Lab(tmp_path, 'revoke_limit')
    [blocked] = lab.run([action('revoke', computer='PC-042')])
    assert blocked['failed'] and not blocked['changed'] and blocked['blocked_by'] == 'revoke_limit'
    assert blocked['next_revoke_allowed_on'] == '2099-03-01T00:00:00Z' and blocked['revokable_cals'] == 0
    assert 'revocation limit reached' in blocked['msg'] and '2099-03-01T00:00:00Z' in blocked['msg']
    assert [c['license_id'] for c in blocked['not_revoked']] == [11]
    assert lab.statuses() == {11: 2}


def test_allowance_running_out_midway(tmp_path: pathlib.Path) -> None:
    lab = Lab(tmp_path, 'several_cals')
    lab.edit(lambda state: state['methods']['Win32_TSIssuedLicense.Revoke'].update(RevokableCals=1))
    [partial] = lab.run([action('revoke', computer='PC-042')])
    assert partial['failed'] and partial['changed'] and partial['blocked_by'] == 'revoke_limit'
    assert [c['license_id'] for c in partial['revoked']] == [11]
    assert [c['license_id'] for c in partial['not_revoked']] == [14]
    assert partial['module_executions'] == 2  # stopped before a Revoke() that could only fail
    assert lab.statuses()[11] == 4 and lab.statuses()[14] == 2


def test_revoke_requires_a_non_empty_computer(tmp_path: pathlib.Path) -> None:
    lab = Lab(tmp_path, 'several_cals')
    missing, blank = lab.run([action('revoke', hardware_id='a1b2'), action('revoke', computer='  ')])
    assert missing['failed'] and 'computer' in missing['msg']
    # A blank name would select every CAL on the server: refused before anything is read.
    assert blank['failed'] and 'computer must not be empty' in blank['msg']
    assert lab.statuses()[20] == 2 and lab.statuses()[21] == 2


# --- key packs, activation ------------------------------------------------------------------------------

def test_keypacks_keep_reissued_installations_apart(tmp_path: pathlib.Path) -> None:
    [packs] = Lab(tmp_path, 'several_cals').run([action('keypacks')], check=True)
    assert [p['key_pack_id'] for p in packs['key_packs']] == [2, 3, 5, 7]
    by_id = {p['key_pack_id']: p for p in packs['key_packs']}
    assert (by_id[3]['key_pack_type'], by_id[3]['product_version'], by_id[3]['total']) == ('retail', '2019', 25)
    assert (by_id[5]['product_type'], by_id[5]['product_version']) == ('per_user', '2022')
    assert by_id[2]['product_type'] == 'built_in' and by_id[2]['total'] is None
    [device_2019] = [row for row in packs['summary'] if row['product_type'] == 'per_device']
    assert device_2019['installations'] == 2 and device_2019['key_pack_ids'] == [3, 7]
    assert (device_2019['total'], device_2019['issued'], device_2019['available']) == (30, 5, 25)


def test_activation(tmp_path: pathlib.Path) -> None:
    [activation] = Lab(tmp_path, 'several_cals').run([action('activation')])
    assert activation['activated'] is True and activation['version_number'] == '10.0.17763.1'
    assert activation['module_executions'] == 1 and not activation['changed']


# --- WMI errors, non-admin --------------------------------------------------------------------------------

@pytest.mark.parametrize('scenario, code, name', [
    ('wmi_invalid_namespace', '0x8004100E', 'WBEM_E_INVALID_NAMESPACE'),
    ('wmi_access_denied', '0x80041003', 'WBEM_E_ACCESS_DENIED'),
])
def test_wmi_errors_fail_every_mode_clearly(tmp_path: pathlib.Path, scenario: str, code: str, name: str) -> None:
    results = Lab(tmp_path, scenario).run([action('list', computer='PC-042'), action('revoke', computer='PC-042'),
                                           action('keypacks'), action('activation')])
    for result in results:
        assert result['failed'] and not result['changed']
        assert result['wmi_error_code'] == code and name in result['msg']


def test_non_admin_fails_every_mode_clearly(tmp_path: pathlib.Path) -> None:
    results = Lab(tmp_path, 'non_admin').run([action('list'), action('revoke', computer='PC-042'),
                                              action('keypacks'), action('activation')])
    for result in results:
        assert result['failed'] and result['not_administrator'] is True
        assert 'Administrators' in result['msg']


# --- role -----------------------------------------------------------------------------------------------

def outcome(results: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    return results[-1]['license_server_outcome']


def test_role_revokes_and_second_run_has_nothing_left(tmp_path: pathlib.Path) -> None:
    lab = Lab(tmp_path, 'several_cals')
    first = lab.run(role(license_server_computer='PC-042', license_server_revoke=True))
    assert not any(r.get('failed') for r in first)
    assert [c['license_id'] for c in outcome(first)['revoked']] == [11, 14]
    assert outcome(first)['reissue_required'] is False and outcome(first)['blocked_by'] is None
    assert lab.statuses()[11] == 4

    second = lab.run(role(license_server_computer='PC-042', license_server_revoke=True))
    assert outcome(second)['revoked'] == [] and outcome(second)['reissue_required'] is False
    assert 'nothing to revoke' in outcome(second)['reason']


def test_role_in_check_mode_lists_what_it_would_revoke(tmp_path: pathlib.Path) -> None:
    lab = Lab(tmp_path, 'several_cals')
    results = lab.run(role(license_server_computer='PC-042', license_server_revoke=True), check=True)
    assert [c['license_id'] for c in outcome(results)['would_revoke']] == [11, 14]
    assert outcome(results)['revoked'] == [] and lab.statuses()[11] == 2


def test_role_without_revoke_records_a_reissue(tmp_path: pathlib.Path) -> None:
    lab = Lab(tmp_path, 'several_cals')
    results = lab.run(role(license_server_computer='PC-042'))
    recorded = outcome(results)
    assert recorded['reissue_required'] is True and 'Clearinghouse reissue is needed' in recorded['reason']
    assert '2 active CAL(s)' in recorded['reason'] and len(recorded['issued']) == 3
    assert lab.statuses()[11] == 2


def test_role_without_revoke_and_no_active_cal_needs_no_reissue(tmp_path: pathlib.Path) -> None:
    results = Lab(tmp_path, 'nothing_issued').run(role(license_server_computer='PC-042'))
    assert outcome(results)['reissue_required'] is False
    assert outcome(results)['reason'].startswith('the license server lists no CAL issued to PC-042; nothing to revoke')


@pytest.mark.parametrize('scenario, blocked_by', [('per_user_only', 'per_user'), ('revoke_limit', 'revoke_limit')])
def test_role_records_a_reissue_when_revocation_is_refused(tmp_path: pathlib.Path, scenario: str,
                                                           blocked_by: str) -> None:
    results = Lab(tmp_path, scenario).run(role(license_server_computer='PC-042', license_server_revoke=True))
    assert not any(r.get('failed') for r in results)  # recorded, not failed
    recorded = outcome(results)
    assert recorded['reissue_required'] is True and recorded['blocked_by'] == blocked_by
    assert recorded['reason'].startswith('revocation refused, a Clearinghouse reissue is needed')


def test_role_fails_on_wmi_errors(tmp_path: pathlib.Path) -> None:
    output = Lab(tmp_path, 'wmi_access_denied').run_failing(role(license_server_computer='PC-042',
                                                                 license_server_revoke=True))
    assert 'WBEM_E_ACCESS_DENIED (0x80041003)' in output and 'failed=1' in output


def test_role_argument_spec_rejects_a_missing_computer(tmp_path: pathlib.Path) -> None:
    lab = Lab(tmp_path, 'several_cals')
    output = lab.run_failing(role(license_server_revoke=True))
    assert 'license_server_computer' in output and 'failed=1' in output
    output = lab.run_failing(role(license_server_computer='', license_server_revoke=True))
    assert 'computer must not be empty' in output
    assert set(lab.statuses().values()) == {1, 2, 4} and lab.statuses()[20] == 2  # nothing revoked


# --- NextRevokeAllowedOn in the shapes a real server hands back (jagilber's revoke script reads them all) ---

@pytest.mark.parametrize('after_success', [
    '00000000000000.000000:000',        # a CIM interval: a TimeSpan's properties through win_powershell
    '00000001020304.000000:000',
    '20250101000000.000000+000',        # a stale date, through the CIM cmdlets an ISO 8601 DateTime
    '00000000000000.000000+000',        # WMI's zero date
    'not a date',
])
def test_revoke_succeeds_whatever_next_revoke_allowed_on_holds(tmp_path: pathlib.Path, after_success: str) -> None:
    lab = Lab(tmp_path, 'revoke_timespan')
    lab.edit(lambda state: state['methods']['Win32_TSIssuedLicense.Revoke'].update(
        NextRevokeAllowedOnAfterSuccess=after_success))
    [revoked] = lab.run([action('revoke', computer='PC-042')])
    assert revoked['changed'] and not revoked.get('failed'), revoked.get('msg')
    assert [c['license_id'] for c in revoked['revoked']] == [11] and revoked['revokable_cals'] == 4
    assert 'next_revoke_allowed_on' not in revoked and lab.statuses() == {11: 4}


def test_role_records_the_revocation_when_next_revoke_allowed_on_is_a_timespan(tmp_path: pathlib.Path) -> None:
    lab = Lab(tmp_path, 'revoke_timespan')
    results = lab.run(role(license_server_computer='PC-042', license_server_revoke=True))
    assert not any(r.get('failed') for r in results)
    assert [c['license_id'] for c in outcome(results)['revoked']] == [11]
    assert outcome(results)['reissue_required'] is False


def test_limit_reached_with_a_timespan_instead_of_a_date(tmp_path: pathlib.Path) -> None:
    lab = Lab(tmp_path, 'revoke_timespan')
    lab.edit(lambda state: state['methods']['Win32_TSIssuedLicense.Revoke'].update(RevokableCals=0))
    [blocked] = lab.run([action('revoke', computer='PC-042')])
    assert blocked['failed'] and blocked['blocked_by'] == 'revoke_limit' and not blocked['changed']
    assert blocked['next_revoke_allowed_on'] is None and 'again later (no date given)' in blocked['msg']
    assert lab.statuses() == {11: 2}


def test_role_matches_any_of_several_names_and_names_the_mismatch(tmp_path: pathlib.Path) -> None:
    # The client is now called WS-0042; the server issued its CALs to PC-042, the name its license carries.
    lab = Lab(tmp_path, 'several_cals')
    results = lab.run(role(license_server_computer=['WS-0042', 'PC-042'], license_server_revoke=True), check=True)
    planned = outcome(results)
    assert [c['license_id'] for c in planned['would_revoke']] == [11, 14] and planned['matched_computers'] == ['PC-042']
    assert 'would revoke 2 CAL(s) issued to WS-0042 or PC-042' in planned['reason']
    assert planned['reason'].endswith('the license server recorded the client as PC-042, not as WS-0042')
    [listed] = lab.run([action('list', computer='10.20.30.40')])  # an IP address is not the computer "10"
    assert listed['count'] == 0 and listed['matched_computers'] == []
