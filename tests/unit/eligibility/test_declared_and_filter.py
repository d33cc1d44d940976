"""os_from_declared (inventory records) and the tslicensing.cal.cal_eligibility filter."""

from __future__ import annotations

import typing as t

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.tslicensing.cal.plugins.filter.eligibility import FilterModule
from ansible_collections.tslicensing.cal.plugins.plugin_utils._eligibility import (
    os_from_declared, parse_current_version)

from eligibility_values import REAL_CURRENT_VERSION

cal_eligibility = FilterModule().filters()['cal_eligibility']


@pytest.mark.parametrize('decl, family, edition, product_type', [
    ({'product_name': 'Windows XP Home Edition'}, 'windows_xp', 'home', 'client'),
    ({'product_name': 'Microsoft Windows XP Professional'}, 'windows_xp', 'professional', 'client'),
    ({'product_name': 'Windows XP Professional x64 Edition'}, 'windows_xp', 'professional', 'client'),
    ({'product_name': 'Windows XP Media Center Edition'}, 'windows_xp', 'unknown', 'client'),
    ({'product_name': 'Windows 2000 Professional'}, 'windows_2000', 'professional', 'client'),
    ({'product_name': 'Windows 2000 Advanced Server'}, 'windows_2000', 'unknown', 'server'),
    ({'product_name': 'Windows NT 4.0 Workstation'}, 'windows_nt4', 'unknown', 'unknown'),
    ({'product_name': 'Windows 98 Second Edition'}, 'windows_9x', 'unknown', 'client'),
    ({'product_name': 'Windows Server 2003 R2 Standard'}, 'windows_server_2003', 'unknown', 'server'),
    ({'product_name': 'Windows Server 2008 R2 Enterprise'}, 'windows_server_2008_r2', 'unknown', 'server'),
    ({'product_name': 'Windows 8.1 Pro'}, 'windows_8_1', 'professional', 'client'),
    ({'family': 'windows_xp', 'edition': 'home'}, 'windows_xp', 'home', 'client'),
    ({'family': 'Windows-XP', 'edition': 'Pro'}, 'windows_xp', 'professional', 'client'),
    ({'family': 'windows_2000'}, 'windows_2000', 'unknown', 'unknown'),
    ({'family': 'non_windows'}, 'non_windows', 'unknown', 'unknown'),
    ({'family': 'windows_10', 'edition': 'professional', 'product_type': 'client'}, 'windows_10', 'professional',
     'client'),
])
def test_declarations(decl: dict, family: str, edition: str, product_type: str) -> None:
    os_info = os_from_declared(decl)
    assert (os_info['family'], os_info['edition'], os_info['product_type']) == (family, edition, product_type)
    assert os_info['source'] == 'declared'


@pytest.mark.parametrize('decl, reason_part', [
    ({}, 'non-empty mapping'),
    (None, 'non-empty mapping'),
    ('Windows XP', 'non-empty mapping'),
    ({'product_name': 'Ubuntu 22.04'}, 'names no Windows version'),
    ({'family': 'windows_12'}, 'not one of'),
    ({'family': 'windows_xp', 'product_type': 'laptop'}, 'client or server'),
    ({'os': 'windows_xp'}, 'unknown keys'),
    ({'edition': 'home'}, 'neither family nor product_name'),
])
def test_bad_declarations_give_unknown(decl: t.Any, reason_part: str) -> None:
    os_info = os_from_declared(decl)
    assert os_info['family'] == 'unknown'
    assert reason_part in os_info['reason']


def test_declared_raw_current_version_values_are_parsed() -> None:
    os_info = os_from_declared(REAL_CURRENT_VERSION['windows_xp_home_seeded'])
    assert (os_info['family'], os_info['edition'], os_info['source']) == ('windows_xp', 'home', 'declared')


def test_a_descriptor_survives_a_round_trip() -> None:
    for values in REAL_CURRENT_VERSION.values():
        detected = parse_current_version(values)
        again = os_from_declared(detected)
        for key in ('family', 'edition', 'product_type', 'version', 'build', 'product_name'):
            assert again[key] == detected[key], (key, values)


# --- the filter ---

def test_filter_on_declared_os() -> None:
    decision = cal_eligibility({'product_name': 'Windows XP Home Edition'}, license_server='2000',
                               licensing_mode='per_device')
    assert decision['transfer_applicable'] is True
    assert decision['os']['family'] == 'windows_xp'


def test_filter_on_raw_values_and_on_a_client_os_info_result() -> None:
    values = REAL_CURRENT_VERSION['windows_2000_pro']
    assert cal_eligibility(values, license_server='2000', licensing_mode='per_device')['built_in_license'] is True
    detected = parse_current_version(REAL_CURRENT_VERSION['windows_11_home'])
    registered = {'changed': False, 'os': detected, 'eligibility': {}, 'module_executions': 1}
    decision = cal_eligibility(registered, license_server='2022', licensing_mode='per_user')
    assert (decision['transfer_applicable'], decision['os']) == (False, detected)


def test_filter_passes_an_unknown_detection_through_with_its_reason() -> None:
    detected = parse_current_version({'CurrentVersion': '6.3', 'CurrentMajorVersionNumber': 10})
    decision = cal_eligibility(detected, license_server='2003', licensing_mode='per_device')
    assert decision['transfer_applicable'] == 'unknown'
    assert 'without a build number' in decision['reason']


def test_filter_without_context_is_unknown_not_an_error() -> None:
    assert cal_eligibility({'family': 'windows_xp', 'edition': 'home'})['transfer_applicable'] == 'unknown'


def test_filter_reports_a_bad_override() -> None:
    with pytest.raises(AnsibleFilterError, match='matrix_override'):
        cal_eligibility({'family': 'windows_xp'}, '2000', 'per_device', [{'reason': 'incomplete'}])
