"""Where a transfer starts (new, resume, skip) and what its license server step found: the decisions the
transfer and license_server roles take through the transfer_plan and server_outcome filters."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.tslicensing.cal.plugins.filter.transfer import FilterModule

FILTERS = FilterModule().filters()
transfer_plan = FILTERS['transfer_plan']
server_outcome = FILTERS['server_outcome']


def _row(state, target='pc-new', source='pc-old', cal='LIC/0x1'):
    return {'source_host': source, 'target_host': target, 'state': state, 'cal_id': cal}


# -- transfer_plan -------------------------------------------------------------------------------------------

def test_a_first_transfer_is_new():
    plan = transfer_plan([], 'pc-old', 'pc-new')
    assert plan == {'step': 'new', 'previous': [], 'resumable': [], 'detail': None}


def test_transfers_to_other_targets_or_from_other_sources_do_not_count():
    history = [_row('server_revoked', target='pc-other'), _row('completed', source='pc-else')]
    assert transfer_plan(history, 'pc-old', 'pc-new')['step'] == 'new'


def test_a_recorded_intent_without_a_cleared_source_is_cleared_again():
    history = [_row('intent_recorded'), _row('source_cleared', cal='LIC/0x2')]
    plan = transfer_plan(history, 'pc-old', 'pc-new', revoke=True)
    assert plan['step'] == 'new' and plan['resumable'] == [history[1]]


@pytest.mark.parametrize('revoke, reference', [(True, None), ('yes', ''), (False, 'REF-1'), ('false', ' REF-2 ')])
def test_a_cleared_source_resumes_with_a_revocation_or_a_reissue_reference(revoke, reference):
    history = [_row('source_cleared')]
    plan = transfer_plan(history, 'pc-old', 'pc-new', revoke=revoke, reissue_reference=reference)
    assert plan['step'] == 'resume' and plan['resumable'] == history and plan['detail'] is None


@pytest.mark.parametrize('history', [
    [_row('source_cleared')],                                        # nothing new to bring
    [_row('server_revoked'), _row('reissue_requested', cal='LIC/0x2'), _row('server_revoked', cal='LIC/0x3')],
])
def test_a_transfer_the_ledger_holds_with_nothing_to_add_is_skipped(history):
    plan = transfer_plan(history, 'pc-old', 'pc-new', revoke=False, reissue_reference='')
    assert plan['step'] == 'skip'
    states = ', '.join(dict.fromkeys(row['state'] for row in history))
    assert plan['detail'] == 'already transferred to pc-new: %s (ledger state %s)' % (
        ', '.join(row['cal_id'] for row in history), states)


def test_a_finished_transfer_is_skipped_even_with_revoke():
    assert transfer_plan([_row('server_revoked')], 'pc-old', 'pc-new', revoke=True)['step'] == 'skip'


@pytest.mark.parametrize('history', ['rows', {'a': 1}, [1, 2]])
def test_transfer_plan_rejects_what_is_not_ledger_rows(history):
    with pytest.raises(AnsibleFilterError, match='^transfer_plan: expected the ledger transfer rows'):
        transfer_plan(history, 'pc-old', 'pc-new')


# -- server_outcome ------------------------------------------------------------------------------------------

def _issued(*statuses, matched=('PC-042',)):
    cals = [{'license_id': 10 + i, 'status': status} for i, status in enumerate(statuses)]
    return {'cals': cals, 'count': len(cals), 'matched_computers': list(matched) if cals else []}


def test_a_revocation_needs_no_reissue():
    revocation = {'changed': True, 'revoked': [{'license_id': 10}], 'msg': 'revoked 1 CAL(s)'}
    outcome = server_outcome(_issued('active'), 'PC-042', revocation=revocation)
    assert outcome == {'computer': 'PC-042', 'matched_computers': ['PC-042'], 'issued': _issued('active')['cals'],
                       'revoked': [{'license_id': 10}], 'would_revoke': [], 'blocked_by': None,
                       'reissue_required': False, 'reason': 'revoked 1 CAL(s)'}


def test_a_check_mode_revocation_lists_what_it_would_revoke():
    revocation = {'changed': True, 'would_revoke': [{'license_id': 10}], 'msg': 'would revoke 1 CAL(s)'}
    outcome = server_outcome(_issued('active'), 'PC-042', revocation=revocation)
    assert outcome['would_revoke'] == [{'license_id': 10}] and outcome['revoked'] == []


@pytest.mark.parametrize('blocked_by', ['per_user', 'revoke_limit'])
def test_a_refused_revocation_needs_a_reissue(blocked_by):
    revocation = {'failed': True, 'blocked_by': blocked_by, 'msg': 'the limit is reached'}
    outcome = server_outcome(_issued('active'), 'PC-042', revocation=revocation)
    assert outcome['reissue_required'] is True and outcome['blocked_by'] == blocked_by
    assert outcome['reason'] == 'revocation refused, a Clearinghouse reissue is needed: the limit is reached'


def test_active_cals_left_issued_without_revocation_need_a_reissue():
    outcome = server_outcome(_issued('active', 'revoked', 'active'), ['PC-042', 'PC-042-OLD'], revocation=None)
    assert outcome['reissue_required'] is True
    assert outcome['reason'] == (
        'revocation not requested (license_server_revoke is false): 2 active CAL(s) stay issued to PC-042 or '
        'PC-042-OLD until they expire; a Clearinghouse reissue is needed; the license server recorded the client '
        'as PC-042, not as PC-042-OLD')


def test_no_active_cal_needs_no_reissue():
    outcome = server_outcome(_issued('revoked'), 'PC-042')
    assert outcome['reissue_required'] is False
    assert outcome['reason'] == 'no active CAL is issued to PC-042; nothing to revoke or reissue'


def test_a_client_the_server_does_not_know_needs_no_reissue_and_says_why():
    outcome = server_outcome(_issued(), 'PC-042')
    assert outcome['reissue_required'] is False and outcome['matched_computers'] == []
    assert outcome['reason'].startswith('the license server lists no CAL issued to PC-042; nothing to revoke there')
    assert 'recorded the client as' not in outcome['reason']


@pytest.mark.parametrize('issued, revocation, message', [
    ({'cals': 'x'}, None, 'expected the registered result of tslicensing.cal.license_server mode=list'),
    ('text', None, 'expected the registered result'),
    (_issued('active'), 'revoked', 'revocation must be the registered result of mode=revoke, or null'),
])
def test_server_outcome_rejects_what_is_not_license_server_results(issued, revocation, message):
    with pytest.raises(AnsibleFilterError, match='^server_outcome: %s' % message):
        server_outcome(issued, 'PC-042', revocation=revocation)
