"""The eligibility decisions, written from the sources (domain.md sections 2, 3 and 6), not from the matrix.

Every case names what the sources say; the table in _eligibility.py must reproduce it. A final test checks
that these cases exercise every built-in row, so a row without a test (or a dead row) fails.
"""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _eligibility
from ansible_collections.tslicensing.cal.plugins.plugin_utils._eligibility import (
    ELIGIBILITY_MATRIX, MatrixError, decide, effective_matrix, os_from_declared)

U = 'unknown'
NEEDS_TRANSFERABLE_CAL = (True, False, True)      # cal_required, built_in_license, transfer_applicable
BUILT_IN = (False, True, False)
UNDECIDED = (U, U, U)
PER_USER = (True, False, False)
MODERN = ['2008', '2008R2', '2012', '2012R2', '2016', '2019', '2022', '2025']


class Case(t.NamedTuple):
    family: str
    edition: str
    product_type: str
    server: str
    mode: str
    expected: tuple[t.Any, t.Any, t.Any]
    source: str  # the KB/document that states this answer (must appear in the decision's references)


CASES: list[Case] = [
    # --- Windows 2000 license server (KB 315262, KB 248430) ---
    Case('windows_2000', 'professional', 'client', '2000', 'per_device', BUILT_IN, 'KB 248430'),
    Case('windows_2000', 'unknown', 'server', '2000', 'per_device', BUILT_IN, 'KB 248430'),
    Case('windows_2000', 'unknown', 'unknown', '2000', 'per_device', BUILT_IN, 'KB 315262'),
    Case('windows_xp', 'professional', 'client', '2000', 'per_device', BUILT_IN, 'KB 315262'),
    Case('windows_xp', 'home', 'client', '2000', 'per_device', NEEDS_TRANSFERABLE_CAL, 'KB 315262'),
    # KB 315262 splits XP by edition: an unknown or other edition cannot be decided.
    Case('windows_xp', 'unknown', 'client', '2000', 'per_device', UNDECIDED, 'KB 315262'),
    Case('windows_xp', 'media_center', 'client', '2000', 'per_device', UNDECIDED, 'KB 315262'),
    # Pre-W2K and non-Windows clients buy a W2K TS CAL (Professor Windows 2001, transition brief).
    Case('windows_nt4', 'unknown', 'client', '2000', 'per_device', NEEDS_TRANSFERABLE_CAL, 'Professor Windows'),
    Case('windows_9x', 'unknown', 'client', '2000', 'per_device', NEEDS_TRANSFERABLE_CAL, 'Professor Windows'),
    Case('windows_3x', 'unknown', 'client', '2000', 'per_device', NEEDS_TRANSFERABLE_CAL, 'Transition Plan'),
    Case('windows_ce', 'unknown', 'unknown', '2000', 'per_device', NEEDS_TRANSFERABLE_CAL, 'Transition Plan'),
    Case('non_windows', 'unknown', 'unknown', '2000', 'per_device', NEEDS_TRANSFERABLE_CAL, 'Professor Windows'),
    # Vista..11 against W2K: the sources say nothing (domain.md section 9).
    *[Case(family, edition, 'client', '2000', 'per_device', UNDECIDED, 'not confirmed')
      for family, edition in [('windows_vista', 'business'), ('windows_7', 'professional'),
                              ('windows_8', 'core'), ('windows_8_1', 'professional'),
                              ('windows_10', 'professional'), ('windows_11', 'home')]],
    # Server 2003+ used as a client against W2K: UNCERTAIN in domain.md section 6.
    *[Case(family, 'standard', 'server', '2000', 'per_device', UNDECIDED, 'not confirmed')
      for family in ['windows_server_2003', 'windows_server_2012_r2', 'windows_server_2022', 'windows_server']],
    # W2K TS CALs were per-device only (transition brief): per-user against W2K is contradictory.
    Case('windows_xp', 'home', 'client', '2000', 'per_user', UNDECIDED, 'Transition Plan'),
    Case('windows_2000', 'professional', 'client', '2000', 'per_user', UNDECIDED, 'Transition Plan'),

    # --- Windows Server 2003: a TS CAL for every device regardless of client OS (KB 823313) ---
    *[Case(family, edition, ptype, '2003', 'per_device', NEEDS_TRANSFERABLE_CAL, 'KB 823313')
      for family, edition, ptype in [('windows_2000', 'professional', 'client'), ('windows_xp', 'professional', 'client'),
                                     ('windows_xp', 'home', 'client'), ('windows_xp', 'unknown', 'client'),
                                     ('windows_nt4', 'unknown', 'client'), ('windows_7', 'professional', 'client'),
                                     ('windows_11', 'home', 'client'), ('windows_server_2003', 'standard', 'server'),
                                     ('non_windows', 'unknown', 'unknown')]],
    # Per-user: the CAL is the user's; nothing in MSLicensing worth transferring.
    Case('windows_xp', 'home', 'client', '2003', 'per_user', PER_USER, 'KB 823313'),
    Case('windows_2000', 'professional', 'client', '2003', 'per_user', PER_USER, 'KB 823313'),

    # --- RDS 2008..2025 (rds-client-access-license.md): every device needs a per-device CAL ---
    *[Case(family, edition, ptype, server, 'per_device', NEEDS_TRANSFERABLE_CAL, 'rds-client-access-license')
      for server in MODERN
      for family, edition, ptype in [('windows_xp', 'home', 'client'), ('windows_xp', 'professional', 'client'),
                                     ('windows_2000', 'unknown', 'unknown'), ('windows_10', 'professional', 'client'),
                                     ('windows_server_2022', 'standard', 'server')]],
    *[Case('windows_10', 'professional', 'client', server, 'per_user', PER_USER, 'rds-client-access-license')
      for server in MODERN],
    Case('windows_xp', 'professional', 'client', '2025', 'per_user', PER_USER, 'rds-client-access-license'),
]


def _os(case: Case) -> dict[str, t.Any]:
    return os_from_declared({'family': case.family, 'edition': case.edition, 'product_type': case.product_type})


@pytest.mark.parametrize('case', CASES, ids=['-'.join(c[:5]) for c in CASES])
def test_decision_matches_the_sources(case: Case) -> None:
    decision = decide(_os(case), case.server, case.mode)
    assert (decision['cal_required'], decision['built_in_license'], decision['transfer_applicable']) == case.expected
    assert decision['reason']
    assert any(case.source in ref for ref in decision['references']), decision['references']
    assert decision['os']['family'] == case.family


def test_every_built_in_row_is_exercised_by_a_case() -> None:
    used = {decide(_os(case), case.server, case.mode)['rule'] for case in CASES}
    assert used == {row['id'] for row in ELIGIBILITY_MATRIX}


def test_built_in_rows_are_valid_and_cite_sources() -> None:
    for row in effective_matrix():
        assert row['references'], row['id']
        assert len(row['reason'].splitlines()) == 1


def test_transfer_never_applies_where_the_client_has_a_built_in_license() -> None:
    for row in effective_matrix():
        if row['built_in_license'] is True:
            assert row['transfer_applicable'] is False, row['id']


# --- licensing context that cannot be decided ---

@pytest.mark.parametrize('server, mode, reason_part', [
    (None, 'per_device', 'not given'),
    ('', 'per_device', 'not given'),
    ('2001', 'per_device', 'not one of'),
    ('2003', None, 'licensing mode'),
    ('2003', 'concurrent', 'licensing mode'),
])
def test_missing_or_bad_context_is_unknown(server: t.Any, mode: t.Any, reason_part: str) -> None:
    decision = decide(os_from_declared({'family': 'windows_xp', 'edition': 'home'}), server, mode)
    assert (decision['cal_required'], decision['built_in_license'], decision['transfer_applicable']) == UNDECIDED
    assert reason_part in decision['reason']
    assert decision['rule'] is None


@pytest.mark.parametrize('server', [2012, '2012 R2', '2012r2', '2008 r2'])
def test_generation_spellings(server: t.Any) -> None:
    decision = decide(os_from_declared({'family': 'windows_10'}), server, 'per-device')
    assert decision['transfer_applicable'] is True


def test_unknown_os_is_unknown_whatever_the_context() -> None:
    os_info = _eligibility.parse_current_version({'CurrentVersion': 'garbage'})
    for server in _eligibility.LICENSE_SERVER_GENERATIONS:
        for mode in _eligibility.LICENSING_MODES:
            decision = decide(os_info, server, mode)
            assert decision['transfer_applicable'] == U
            assert 'client OS unknown' in decision['reason'] and 'major.minor' in decision['reason']


# --- admin overrides ---

def test_override_row_takes_precedence() -> None:
    override = [{'id': 'site/w2k-ts-win10', 'families': ['windows_10'], 'servers': [2000],
                 'cal_required': 'true', 'built_in_license': 'no', 'transfer_applicable': True,
                 'reason': 'site policy', 'references': 'site licensing memo 7'}]
    os_info = os_from_declared({'family': 'windows_10', 'edition': 'professional'})
    decision = decide(os_info, '2000', 'per_device', override)
    assert (decision['cal_required'], decision['built_in_license'], decision['transfer_applicable']) == (True, False, True)
    assert decision['rule'] == 'site/w2k-ts-win10'
    assert decision['references'] == ['site licensing memo 7']
    # Rows the override does not match still come from the built-in table.
    assert decide(os_info, '2003', 'per_device', override)['rule'] == 'ws2003-ts/per-device'


@pytest.mark.parametrize('override, message', [
    ([{'families': ['windows_10'], 'cal_required': True, 'built_in_license': False}], 'lacks'),
    ([{'cal_required': 'maybe', 'built_in_license': False, 'transfer_applicable': True, 'reason': 'x'}],
     'true, false or "unknown"'),
    ([{'families': ['windows_12'], 'cal_required': True, 'built_in_license': False, 'transfer_applicable': True,
       'reason': 'x'}], 'not in'),
    ([{'servers': ['1999'], 'cal_required': True, 'built_in_license': False, 'transfer_applicable': True,
       'reason': 'x'}], 'not in'),
    ([{'family': 'windows_10', 'cal_required': True, 'built_in_license': False, 'transfer_applicable': True,
       'reason': 'x'}], 'unknown keys'),
    ({'cal_required': True}, 'list of rows'),
    (['not a row'], 'mapping'),
])
def test_malformed_override_is_a_configuration_error(override: t.Any, message: str) -> None:
    with pytest.raises(MatrixError, match=message):
        decide(os_from_declared({'family': 'windows_10'}), '2003', 'per_device', override)


def test_no_decision_points_users_to_a_file_they_do_not_have() -> None:
    # Users get the reason and references in every result: they must say what is uncertain and why, not
    # cite the developers' notes (domain.md is not shipped).
    from ansible_collections.tslicensing.cal.plugins.plugin_utils._eligibility import ELIGIBILITY_MATRIX

    for row in ELIGIBILITY_MATRIX:
        for text in [row['reason'], *row['references']]:
            assert 'domain.md' not in text and 'section ' not in text, (row['id'], text)


@pytest.mark.parametrize('spelling, generation', [
    ('2008r2', '2008R2'), ('2012 r2', '2012R2'), (' 2012 R2 ', '2012R2'), (2019, '2019'), ('2025', '2025'),
])
def test_license_server_generation_takes_any_case_and_spacing(spelling, generation) -> None:
    from ansible_collections.tslicensing.cal.plugins.plugin_utils._eligibility import license_server_generation

    assert license_server_generation(spelling) == {'generation': generation, 'error': ''}


@pytest.mark.parametrize('value, shown', [(None, 'not set'), ('', 'not set'), ('  ', 'not set'), ('2017', "'2017'")])
def test_license_server_generation_names_the_variable_and_the_choices(value, shown) -> None:
    from ansible_collections.tslicensing.cal.plugins.plugin_utils._eligibility import (
        LICENSE_SERVER_GENERATIONS, license_server_generation,
    )

    result = license_server_generation(value, 'transfer_license_server_version')
    assert result['generation'] is None
    assert result['error'].startswith('transfer_license_server_version is %s:' % shown)
    assert ', '.join(LICENSE_SERVER_GENERATIONS) in result['error']
