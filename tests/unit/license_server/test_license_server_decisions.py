"""Every controller-side decision about the license server (plugins/plugin_utils/_license_server.py)."""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _license_server as ls

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def issued(license_id: int, key_pack_id: int = 3, computer: str = 'PC-042', status: int | None = 2,
           hwid: str = '{A1B2C3D4-0000-1111-2222-333344445555}') -> dict[str, t.Any]:
    return {'LicenseId': license_id, 'KeyPackId': key_pack_id, 'sIssuedToUser': 'CORP\\alice',
            'sIssuedToComputer': computer, 'LicenseStatus': status,
            'IssueDate': '2026-01-10T09:00:00.0000000+01:00', 'ExpirationDate': '20260320090000.000000+060',
            'sHardwareId': hwid}


def keypack(key_pack_id: int, product_type: int = 0, version_id: int = 6, total: int = 25,
            issued_count: int = 4, available: int = 21) -> dict[str, t.Any]:
    return {'KeyPackId': key_pack_id, 'Description': 'RDS CAL', 'KeyPackType': 1, 'ProductType': product_type,
            'ProductVersion': 'Windows Server', 'ProductVersionID': version_id, 'TotalLicenses': total,
            'IssuedLicenses': issued_count, 'AvailableLicenses': available,
            'ExpirationDate': '20380119031407.000000+000', 'TypeAndModel': 'C50-10.00-S'}


PACKS = ls.shape_key_packs([keypack(3), keypack(5, product_type=1, version_id=7), keypack(7)])


# --- names --------------------------------------------------------------------------------------------

@pytest.mark.parametrize('code, name', [
    (0, 'unknown'), (1, 'temporary'), (2, 'active'), (3, 'upgrade'), (4, 'revoked'), (5, 'pending'),
    (6, 'concurrent'), (9, 'unrecognized_9'), (None, 'missing'), ('2', 'active'),
])
def test_license_status_names(code: t.Any, name: str) -> None:
    assert ls.code_name(ls.LICENSE_STATUS_NAMES, code) == name


@pytest.mark.parametrize('code, name', [(0, 'per_device'), (1, 'per_user'), (2, 'invalid'), (3, 'built_in')])
def test_product_type_names(code: int, name: str) -> None:
    assert ls.code_name(ls.PRODUCT_TYPE_NAMES, code) == name


@pytest.mark.parametrize('code, name', [
    (0, 'unknown'), (1, 'retail'), (2, 'volume'), (3, 'concurrent'), (4, 'temporary'), (5, 'open'),
    (6, 'not_supported'),
])
def test_key_pack_type_names(code: int, name: str) -> None:
    assert ls.code_name(ls.KEYPACK_TYPE_NAMES, code) == name


@pytest.mark.parametrize('version_id, name', [
    (2, '2008'), (3, '2008R2'), (4, '2012'), (5, '2016'), (6, '2019'), (7, '2022'), (0, 'unsupported_0'),
    (8, 'unsupported_8'), (None, 'missing'),
])
def test_product_version_names(version_id: t.Any, name: str) -> None:
    assert ls.product_version_name(version_id) == name


# --- dates --------------------------------------------------------------------------------------------

@pytest.mark.parametrize('raw, iso', [
    ('20260110090000.000000+060', '2026-01-10T08:00:00Z'),   # CIM DATETIME, offset in minutes
    ('20260110090000.000000-300', '2026-01-10T14:00:00Z'),
    ('2026-01-10T09:00:00.0000000+01:00', '2026-01-10T08:00:00Z'),  # win_powershell 'o' of a Local DateTime
    ('2026-01-10T08:00:00.1234567Z', '2026-01-10T08:00:00Z'),
    ('2026-01-10T08:00:00', '2026-01-10T08:00:00Z'),  # kind Unspecified: taken as UTC
    ('/Date(1768032000000)/', '2026-01-10T08:00:00Z'),
    (None, None), ('', None), ('00000000000000.000000+000', None), ('0001-01-01T00:00:00.0000000', None),
])
def test_dates_become_iso_utc(raw: t.Any, iso: str | None) -> None:
    assert ls.iso_utc(raw) == iso


def test_unparseable_date_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match='not a WMI/ISO 8601 date'):
        ls.parse_wmi_datetime('next tuesday')


@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 1, 1)),
       st.integers(min_value=-720, max_value=840))
def test_cim_and_iso_renderings_agree(moment: dt.datetime, offset_minutes: int) -> None:
    moment = moment.replace(microsecond=0)
    zone = dt.timezone(dt.timedelta(minutes=offset_minutes))
    dmtf = '%s.000000%s%03d' % (moment.strftime('%Y%m%d%H%M%S'), '-' if offset_minutes < 0 else '+',
                                abs(offset_minutes))
    iso = moment.replace(tzinfo=zone).isoformat()
    expected = moment.replace(tzinfo=zone).astimezone(UTC)
    assert ls.parse_wmi_datetime(dmtf) == expected
    assert ls.parse_wmi_datetime(iso) == expected


# --- matching -----------------------------------------------------------------------------------------

@pytest.mark.parametrize('issued_to, wanted, match', [
    ('PC-042', 'PC-042', True),
    ('PC-042', 'pc-042', True),
    ('PC-042', 'pc-042.corp.example', True),      # FQDN inventory vs NetBIOS record
    ('pc-042.corp.example', 'PC-042', True),
    ('pc-042.corp.example', 'PC-042.CORP.EXAMPLE', True),
    ('pc-042.corp.example', 'pc-042.other.example', False),  # two FQDNs: the domain counts
    ('PC-0420', 'PC-042', False),
    ('PC-04', 'PC-042', False),
    ('', 'PC-042', False), (None, 'PC-042', False),
    ('10', '10.20.30.40', False),                  # an IP address is not cut to its first label
    ('10.20.30.40', '10.20.30.40', True),
    ('fe80', 'fe80::1', False),
])
def test_computer_matching(issued_to: t.Any, wanted: str, match: bool) -> None:
    assert ls.computer_matches(issued_to, wanted) is match


@pytest.mark.parametrize('issued_hwid, wanted, match', [
    ('{A1B2C3D4-0000-1111-2222-333344445555}', 'a1b2c3d4000011112222333344445555', True),
    ('A1:B2:C3:D4', 'a1b2c3d4', True),
    ('{A1B2C3D4-0000-1111-2222-333344445555}', '{A1B2C3D4-0000-1111-2222-333344445556}', False),
    ('', '', False), (None, 'a1', False),
])
def test_hardware_id_matching(issued_hwid: t.Any, wanted: str, match: bool) -> None:
    assert ls.hardware_id_matches(issued_hwid, wanted) is match


def test_select_by_name_hwid_both_or_none() -> None:
    cals = ls.shape_issued_cals([
        issued(1), issued(2, computer='pc-042'), issued(3, computer='PC-077'),
        issued(4, hwid='{FFFFFFFF-0000-1111-2222-333344445555}'),
    ], PACKS)

    def ids(selected):
        return [cal.license_id for cal in selected]

    assert ids(ls.select_cals(cals, computer='PC-042.corp.example')) == [1, 2, 4]
    assert ids(ls.select_cals(cals, hardware_id='ffffffff000011112222333344445555')) == [4]
    assert ids(ls.select_cals(cals, computer='PC-042', hardware_id='A1B2C3D4000011112222333344445555')) == [1, 2]
    assert ids(ls.select_cals(cals, computer='PC-077', hardware_id='FFFFFFFF000011112222333344445555')) == []
    assert ids(ls.select_cals(cals)) == [1, 2, 3, 4]
    # several names: the computer name and the name the license carries; a CAL issued to either matches
    assert ids(ls.select_cals(cals, computer=['WS-0042', 'pc-077'])) == [3]
    assert ids(ls.select_cals(cals, computer=['10.0.0.5', 'PC-077.corp.example', 'pc-042'])) == [1, 2, 3, 4]
    assert ls.matched_names(ls.select_cals(cals, computer=['WS-0042', 'pc-077']), ['WS-0042', 'pc-077']) == ['pc-077']
    assert ls.matched_names(cals, 'PC-042') == ['PC-042'] and ls.matched_names(cals, None) == []


# --- shaping, non-admin ---------------------------------------------------------------------------------

def test_issued_cal_is_named_dated_and_joined_to_its_pack() -> None:
    [cal] = ls.shape_issued_cals([issued(11, key_pack_id=5)], PACKS)
    assert cal.as_dict() == {
        'license_id': 11, 'key_pack_id': 5, 'issued_to_computer': 'PC-042', 'issued_to_user': 'CORP\\alice',
        'hardware_id': '{A1B2C3D4-0000-1111-2222-333344445555}', 'status': 'active', 'status_code': 2,
        'issue_date': '2026-01-10T08:00:00Z', 'expiration_date': '2026-03-20T08:00:00Z',
        'product_type': 'per_user', 'product_version': '2022',
    }


def test_cal_of_an_unknown_pack_says_so() -> None:
    [cal] = ls.shape_issued_cals([issued(11, key_pack_id=99)], PACKS)
    assert (cal.product_type, cal.product_version) == ('unknown_key_pack', 'unknown_key_pack')


@pytest.mark.parametrize('shape', [
    lambda: ls.shape_issued_cals([{'LicenseId': None, 'KeyPackId': None, 'sIssuedToComputer': None}]),
    lambda: ls.shape_key_packs([{'KeyPackId': None, 'Description': None}]),
    lambda: ls.shape_activation({'ReturnValue': 0, 'ActivationStatus': 2,
                                 'Server': {'ProductId': '', 'Version': '', 'VersionNumber': '',
                                            'DatabasePath': ''}}),
    lambda: ls.shape_activation({'ReturnValue': 0, 'ActivationStatus': 0, 'Server': None}),
])
def test_empty_properties_mean_not_administrator(shape: t.Callable[[], t.Any]) -> None:
    with pytest.raises(ls.NotAdministratorError, match='not a member of the license server.s local Administrators'):
        shape()


def test_nothing_issued_is_not_mistaken_for_non_admin() -> None:
    assert ls.shape_issued_cals([]) == []


def test_key_packs_stay_separate_and_summary_shows_installations() -> None:
    packs = ls.shape_key_packs([
        keypack(7, total=5, issued_count=1, available=4), keypack(3),
        {**keypack(2, product_type=3, version_id=0), 'TotalLicenses': 4294967295, 'AvailableLicenses': -1},
        keypack(5, product_type=1, version_id=7, total=10, issued_count=12, available=0),
    ])
    assert [p.key_pack_id for p in packs] == [2, 3, 5, 7]
    assert packs[0].total is None and packs[0].available is None  # built-in: unlimited
    assert packs[0].product_type == 'built_in'
    assert packs[1].key_pack_type == 'retail' and packs[1].expiration_date == '2038-01-19T03:14:07Z'
    summary = {(row['product_type'], row['product_version']): row for row in ls.summarize_key_packs(packs)}
    assert summary[('per_device', '2019')] == {
        'product_type': 'per_device', 'product_version': '2019', 'installations': 2, 'key_pack_ids': [3, 7],
        'total': 30, 'issued': 5, 'available': 25,
    }
    assert summary[('built_in', 'unsupported_0')]['total'] is None
    assert summary[('per_user', '2022')]['issued'] == 12  # over-allocated per-user packs are shown as read


# --- revocation plan ----------------------------------------------------------------------------------

def plan_for(*raw: dict[str, t.Any]) -> ls.RevokePlan:
    return ls.plan_revocation(ls.shape_issued_cals(list(raw), PACKS))


def test_plan_revokes_only_active_per_device() -> None:
    plan = plan_for(issued(1), issued(2, key_pack_id=7), issued(3, status=4), issued(4, status=1),
                    issued(5, key_pack_id=5), issued(6, key_pack_id=99))
    assert [c.license_id for c in plan.to_revoke] == [1, 2]
    assert [c.license_id for c in plan.refused_per_user] == [5, 6]  # per-user, and unknown pack
    assert [c.license_id for c in plan.not_active] == [3, 4]
    assert not plan.blocked_by_per_user


def test_plan_with_only_per_user_is_a_refusal() -> None:
    plan = plan_for(issued(31, key_pack_id=5))
    assert plan.blocked_by_per_user and not plan.to_revoke
    message = ls.refusal_message(plan, 'PC-042')
    assert 'per-user CALs never can' in message and '5/31' in message and 'per_user' in message


@pytest.mark.parametrize('raw', [(), (issued(3, status=4),), (issued(4, status=1),)])
def test_nothing_active_is_nothing_to_do(raw: tuple[dict[str, t.Any], ...]) -> None:
    plan = plan_for(*raw)
    assert not plan.to_revoke and not plan.blocked_by_per_user


# --- judging Revoke() ---------------------------------------------------------------------------------

def test_successful_revoke_with_allowance_left() -> None:
    outcome = ls.judge_revoke_result({'Found': True, 'ReturnValue': 0, 'RevokableCals': 3,
                                      'NextRevokeAllowedOn': None}, NOW)
    assert outcome.revoked and not outcome.limit_reached and outcome.revokable_cals == 3


def test_successful_revoke_that_used_up_the_allowance_stops_further_revokes() -> None:
    outcome = ls.judge_revoke_result({'ReturnValue': 0, 'RevokableCals': 0}, NOW)
    assert outcome.revoked and outcome.limit_reached


@pytest.mark.parametrize('raw', [
    {'ReturnValue': 2147749889, 'RevokableCals': 0, 'NextRevokeAllowedOn': None},
    {'ReturnValue': 2147749889, 'RevokableCals': 2, 'NextRevokeAllowedOn': '2026-04-01T00:00:00.0000000Z'},
    {'ReturnValue': 1, 'RevokableCals': 0, 'NextRevokeAllowedOn': '20260401000000.000000+000'},
])
def test_failed_revoke_at_the_limit_is_reported_not_raised(raw: dict[str, t.Any]) -> None:
    outcome = ls.judge_revoke_result(raw, NOW)
    assert not outcome.revoked and outcome.limit_reached
    assert 'revocation limit reached' in outcome.message and '20%' in outcome.message
    if raw['NextRevokeAllowedOn']:
        assert outcome.next_revoke_allowed_on == '2026-04-01T00:00:00Z'
        assert 'again on 2026-04-01T00:00:00Z' in outcome.message


def test_failed_revoke_with_a_past_date_and_allowance_is_a_wmi_error() -> None:
    with pytest.raises(ls.WmiError, match=r'WBEM_E_NOT_FOUND \(0x80041002\)') as error:
        ls.judge_revoke_result({'ReturnValue': 0x80041002, 'RevokableCals': 4,
                                'NextRevokeAllowedOn': '2026-02-01T00:00:00Z'}, NOW)
    assert error.value.code == 0x80041002


TIMESPAN = {'Ticks': 0, 'Days': 0, 'Hours': 0, 'Minutes': 0, 'Seconds': 0, 'Milliseconds': 0,
            'TotalDays': 0.0, 'TotalHours': 0.0, 'TotalMinutes': 0.0, 'TotalSeconds': 0.0, 'TotalMilliseconds': 0.0}


@pytest.mark.parametrize('next_allowed', [
    TIMESPAN, '00000000000000.000000:000', '20990101000000.000000+000', '2099-01-01T00:00:00.0000000Z',
    '00000000000000.000000+000', 'garbage', '', 12345, ['x'],
])
def test_successful_revoke_never_reads_next_revoke_allowed_on(next_allowed: t.Any) -> None:
    outcome = ls.judge_revoke_result({'ReturnValue': 0, 'RevokableCals': 3, 'NextRevokeAllowedOn': next_allowed}, NOW)
    assert outcome.revoked and not outcome.limit_reached and outcome.next_revoke_allowed_on is None


@pytest.mark.parametrize('next_allowed', [TIMESPAN, '00000000000000.000000:000', 'garbage', 7, None])
def test_failed_revoke_with_no_usable_date_still_reports_the_limit(next_allowed: t.Any) -> None:
    outcome = ls.judge_revoke_result({'ReturnValue': 1, 'RevokableCals': 0, 'NextRevokeAllowedOn': next_allowed}, NOW)
    assert not outcome.revoked and outcome.limit_reached and outcome.next_revoke_allowed_on is None
    assert 'again later (no date given)' in outcome.message


@pytest.mark.parametrize('raw, expected', [
    ('20260401000000.000000+000', dt.datetime(2026, 4, 1, tzinfo=UTC)),       # Get-WmiObject's DMTF text
    ('2026-04-01T02:00:00.0000000+02:00', dt.datetime(2026, 4, 1, tzinfo=UTC)),  # CIM cmdlets' DateTime
    (TIMESPAN, None), ('00000000000000.000000:000', None), ('00000000000000.000000+000', None),
    ('', None), (None, None), ('not a date', None), ({'DateTime': 'x'}, None),
])
def test_next_revoke_date_takes_every_shape_and_never_raises(raw: t.Any, expected: t.Any) -> None:
    assert ls.next_revoke_date(raw) == expected


def test_cal_gone_between_list_and_revoke() -> None:
    with pytest.raises(ls.WmiError, match='disappeared'):
        ls.judge_revoke_result({'Found': False}, NOW)


# --- WMI errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('raw, code', [
    (0x8004100E, 0x8004100E), (-2147217394, 0x8004100E), ('0x8004100e', 0x8004100E), ('8004100E', 0x8004100E),
    ('2147749902', 0x8004100E), ('-2147217394', 0x8004100E), (None, None), ('nonsense', None), (True, None),
])
def test_hresult_spellings(raw: t.Any, code: int | None) -> None:
    assert ls.parse_hresult(raw) == code


@given(st.integers(min_value=0, max_value=0xFFFFFFFF))
def test_hresult_signed_and_unsigned_agree(code: int) -> None:
    signed = code - (1 << 32) if code >= 1 << 31 else code
    assert ls.parse_hresult(signed) == ls.parse_hresult(code) == ls.parse_hresult('0x%08X' % code) == code


@pytest.mark.parametrize('code, words', [
    (0x8004100E, ['WBEM_E_INVALID_NAMESPACE', 'root\\CIMV2']),
    (0x80041003, ['WBEM_E_ACCESS_DENIED', 'Administrators']),
    (0x80041010, ['WBEM_E_INVALID_CLASS', 'not installed']),
    (0x8004100C, ['WBEM_E_NOT_SUPPORTED']),
    (0x8004103A, ['WBEM_E_INVALID_OBJECT_PATH']),
    (0x12345678, ['unrecognized code', '0x12345678']),
])
def test_codes_have_clear_messages(code: int, words: list[str]) -> None:
    text = ls.describe_wmi_code(code)
    for word in words:
        assert word in text


def test_every_documented_provider_code_is_named() -> None:
    documented = [0x80041001, 0x80041002, 0x80041004, 0x80041005, 0x80041006, 0x80041008, 0x80041009,
                  0x8004100C, 0x8004100E, 0x8004100F, 0x80041014, 0x80041016, 0x80041017, 0x80041018,
                  0x80041019, 0x80041021, 0x80041023, 0x80041024, 0x80041028, 0x8004102B, 0x8004102E,
                  0x8004102F, 0x8004103A]
    for code in documented:
        assert ls.describe_wmi_code(code).startswith('WBEM_E_')


def cim_error(fqid: str, hresult: int = -2146233088, message: str = 'Invalid namespace ') -> dict[str, t.Any]:
    return {'output': message, 'exception': {'message': message, 'hresult': hresult,
                                             'type': 'Microsoft.Management.Infrastructure.CimException'},
            'fully_qualified_error_id': fqid}


def test_code_is_taken_from_the_fully_qualified_error_id() -> None:
    result = {'failed': True, 'error': [cim_error(
        'HRESULT 0x8004100e,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand')]}
    error = ls.wmi_failure_from_result(result, 'reading')
    assert error is not None and error.code == 0x8004100E
    assert 'WBEM_E_INVALID_NAMESPACE' in str(error) and 'Invalid namespace' in str(error)


def test_code_from_exception_hresult_when_it_is_a_wmi_code() -> None:
    error = ls.wmi_failure_from_result({'failed': True, 'error': [cim_error('X', hresult=-2147217405)]}, 'step')
    assert error is not None and error.code == 0x80041003


def test_error_without_any_code_keeps_the_message() -> None:
    error = ls.wmi_failure_from_result({'failed': True, 'error': [cim_error('Foo', message='kaputt')]}, 'step')
    assert error is not None and error.code is None and 'step failed: kaputt' == str(error)


def test_failure_without_error_records_uses_msg() -> None:
    error = ls.wmi_failure_from_result({'failed': True, 'msg': 'module not found'}, 'step')
    assert error is not None and 'module not found' in str(error)


def test_non_terminating_errors_also_count() -> None:
    # error_action 'continue' leaves failed false but the records are there: never read them as success.
    result = {'failed': False, 'error': [cim_error('HRESULT 0x80041003,X', message='Access denied ')]}
    error = ls.wmi_failure_from_result(result, 'reading')
    assert error is not None and error.code == 0x80041003


def test_success_is_no_failure() -> None:
    assert ls.wmi_failure_from_result({'failed': False, 'error': [], 'result': {}}, 'step') is None


# --- activation ---------------------------------------------------------------------------------------

SERVER = {'ProductId': '00490-92005-99454-AT527', 'Version': '10.0', 'VersionNumber': '10.0.17763.1',
          'DatabasePath': 'C:\\Windows\\system32\\lserver\\', 'ServerRole': 1}


@pytest.mark.parametrize('status, name, activated', [(0, 'activated', True), (1, 'not_activated', False),
                                                     (2, 'unknown', False)])
def test_activation_status(status: int, name: str, activated: bool) -> None:
    shaped = ls.shape_activation({'ReturnValue': 0, 'ActivationStatus': status, 'Server': SERVER})
    assert shaped['activation_status'] == name and shaped['activated'] is activated
    assert shaped['server_role'] == 'domain' and shaped['version_number'] == '10.0.17763.1'


def test_activation_call_failure_is_a_wmi_error() -> None:
    with pytest.raises(ls.WmiError, match='WBEM_E_PROVIDER_FAILURE'):
        ls.shape_activation({'ReturnValue': 0x80041004, 'ActivationStatus': None, 'Server': SERVER})
