"""parse_current_version: real CurrentVersion value sets in, normalized OS descriptor out; bad data -> unknown."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.tslicensing.cal.plugins.plugin_utils._eligibility import parse_current_version

from eligibility_values import REAL_CURRENT_VERSION

# (value set, family, edition, product_type, version, build)
EXPECTED = [
    ('windows_2000_pro', 'windows_2000', 'unknown', 'unknown', '5.0', 2195),
    ('windows_xp_real', 'windows_xp', 'unknown', 'client', '5.1', 2600),
    ('windows_xp_home_seeded', 'windows_xp', 'home', 'client', '5.1', 2600),
    ('windows_xp_pro_seeded', 'windows_xp', 'professional', 'client', '5.1', 2600),
    ('windows_xp_x64', 'windows_xp', 'professional', 'client', '5.2', 3790),
    ('windows_server_2003', 'windows_server_2003', 'unknown', 'server', '5.2', 3790),
    ('windows_server_2003_r2', 'windows_server_2003', 'unknown', 'server', '5.2', 3790),
    ('windows_vista_business', 'windows_vista', 'business', 'client', '6.0', 6002),
    ('windows_7_pro', 'windows_7', 'professional', 'client', '6.1', 7601),
    ('windows_8_1_pro', 'windows_8_1', 'professional', 'client', '6.3', 9600),
    ('windows_10_pro', 'windows_10', 'professional', 'client', '10.0', 19045),
    ('windows_11_home', 'windows_11', 'home', 'client', '10.0', 22631),
    ('windows_server_2016', 'windows_server_2016', 'datacenter', 'server', '10.0', 14393),
    ('windows_server_2019_core', 'windows_server_2019', 'standard', 'server', '10.0', 17763),
    ('windows_server_2022', 'windows_server_2022', 'standard', 'server', '10.0', 20348),
    ('windows_server_2025', 'windows_server_2025', 'datacenter', 'server', '10.0', 26100),
]


@pytest.mark.parametrize('name, family, edition, product_type, version, build', EXPECTED,
                         ids=[row[0] for row in EXPECTED])
def test_real_value_sets(name: str, family: str, edition: str, product_type: str, version: str, build: int) -> None:
    os_info = parse_current_version(REAL_CURRENT_VERSION[name])
    assert (os_info['family'], os_info['edition'], os_info['product_type'], os_info['version'], os_info['build']) \
        == (family, edition, product_type, version, build)
    assert os_info['reason'] == ''
    assert os_info['source'] == 'registry'


def test_descriptor_keeps_raw_identity() -> None:
    os_info = parse_current_version(REAL_CURRENT_VERSION['windows_11_home'])
    assert os_info['name'] == 'Windows 11'
    assert os_info['product_name'] == 'Windows 10 Home'  # kept as reported, not "corrected"
    assert os_info['edition_id'] == 'Core'
    assert os_info['installation_type'] == 'Client'
    assert parse_current_version(REAL_CURRENT_VERSION['windows_xp_real'])['service_pack'] == 'Service Pack 3'


def test_windows_11_boundary_is_build_22000() -> None:
    values = dict(REAL_CURRENT_VERSION['windows_10_pro'])
    assert parse_current_version({**values, 'CurrentBuildNumber': '21999'})['family'] == 'windows_10'
    assert parse_current_version({**values, 'CurrentBuildNumber': '22000'})['family'] == 'windows_11'


def test_major_version_dword_wins_over_current_version_6_3() -> None:
    without_major = {k: v for k, v in REAL_CURRENT_VERSION['windows_10_pro'].items()
                     if not k.startswith('CurrentM')}
    # Without the DWORDs the same values read as Windows 8.1 (what old programs are meant to see).
    assert parse_current_version(without_major)['family'] == 'windows_8_1'


def test_wine_style_current_version_10_0_without_dwords() -> None:
    # Wine's own win10 switch writes CurrentVersion 10.0 (lab-notes.md).
    values = {'ProductName': 'Microsoft Windows 10', 'CurrentVersion': '10.0', 'CurrentBuildNumber': '18362',
              'EditionID': 'Professional', 'InstallationType': 'Client'}
    assert parse_current_version(values)['family'] == 'windows_10'


def test_value_names_are_case_insensitive_and_numbers_may_be_strings() -> None:
    values = {'productname': 'Windows 10 Pro', 'EDITIONID': 'Professional', 'currentversion': '6.3',
              'CurrentBuild': '19045', 'InstallationType': 'Client', 'CurrentMajorVersionNumber': '0xa',
              'CurrentMinorVersionNumber': '0'}
    os_info = parse_current_version(values)
    assert (os_info['family'], os_info['version'], os_info['build']) == ('windows_10', '10.0', 19045)


def test_server_without_installation_type_is_told_by_edition_id() -> None:
    values = {'ProductName': 'Windows Server (R) 2008 Standard', 'EditionID': 'ServerStandard',
              'CurrentVersion': '6.0', 'CurrentBuildNumber': '6002', 'CSDVersion': 'Service Pack 2'}
    assert parse_current_version(values)['family'] == 'windows_server_2008'


def test_nt4() -> None:
    values = {'ProductName': 'Microsoft Windows NT', 'CurrentVersion': '4.0', 'CurrentBuildNumber': '1381',
              'CSDVersion': 'Service Pack 6'}
    assert parse_current_version(values)['family'] == 'windows_nt4'


@pytest.mark.parametrize('values, reason_part', [
    ({}, 'CurrentVersion'),
    ({'ProductName': 'Windows 10 Pro'}, 'CurrentVersion'),
    ({'CurrentVersion': 'six'}, 'major.minor'),
    ({'CurrentVersion': '5.1', 'CurrentBuildNumber': 'abc'}, 'not a number'),
    ({'CurrentVersion': '6.3', 'CurrentMajorVersionNumber': 10, 'InstallationType': 'Client'}, 'build'),
    ({'CurrentVersion': '6.3', 'CurrentMajorVersionNumber': 10, 'CurrentBuildNumber': '19045'}, 'client or server'),
    ({'CurrentVersion': '6.1', 'CurrentBuildNumber': '7601'}, 'client or server'),
    ({'CurrentVersion': '5.2', 'CurrentBuildNumber': '3790', 'ProductName': 'Microsoft Windows'}, 'XP x64'),
    ({'CurrentVersion': '7.4', 'CurrentBuildNumber': '1'}, 'not one this collection knows'),
    ({'CurrentVersion': b'5.1'}, 'CurrentVersion'),
], ids=['empty', 'no-version', 'bad-version', 'bad-build', 'nt10-no-build', 'nt10-no-type', 'nt61-no-type',
        '5.2-ambiguous', 'future-version', 'bytes'])
def test_malformed_or_missing_values_give_unknown_with_reason(values: dict, reason_part: str) -> None:
    os_info = parse_current_version(values)
    assert os_info['family'] == 'unknown'
    assert reason_part in os_info['reason']


@pytest.mark.parametrize('values', [None, 'CurrentVersion 5.1', ['5.1'], 42])
def test_not_a_mapping_gives_unknown(values: object) -> None:
    assert parse_current_version(values)['family'] == 'unknown'  # type: ignore[arg-type]


registry_data = st.one_of(st.none(), st.text(max_size=20), st.integers(), st.binary(max_size=8),
                          st.lists(st.text(max_size=3), max_size=2))


@settings(database=None)  # no .hypothesis/ directory in the checkout
@given(st.dictionaries(st.sampled_from(['ProductName', 'EditionID', 'CurrentVersion', 'CurrentBuild',
                                        'CurrentBuildNumber', 'CSDVersion', 'InstallationType',
                                        'CurrentMajorVersionNumber', 'CurrentMinorVersionNumber', 'Other']),
                       registry_data))
def test_never_raises_and_unknown_always_has_a_reason(values: dict) -> None:
    os_info = parse_current_version(values)
    assert os_info['family'] != 'unknown' or os_info['reason']
