"""The outcome of one host's run, the run summary, and which licenses a transfer moves (pure logic)."""

from __future__ import annotations

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _outcome, _transfer


def _license(server='LICSRV01', serial='0x0200000001', temporary=False, valid_to='2027-01-01T00:00:00Z',
             machine='WS-0042'):
    return {'license_server': server, 'serial': serial, 'temporary': temporary, 'valid_to': valid_to,
            'issued_to_machine': machine}


def _store(*licenses, hwid='02aa', present=True, backup=None):
    """A view as client_license reports it: one LICENSEnnn key per license."""
    store = {'present': present, 'hardware_id': hwid if present else None,
             'licenses': [{'name': 'LICENSE%03d' % index, 'decoded': {'status': 'decoded', 'licenses': [lic]}}
                          for index, lic in enumerate(licenses)]}
    if backup:
        store['backup'] = {'path': backup, 'sha256': 'ab' * 32}
    return store


# -- store_outcome -------------------------------------------------------------------------------------

def test_absent_counts_the_licenses_of_every_view_removed_and_lists_the_backups():
    result = {'changed': True, 'msg': 'backed up and removed the store in view(s) 64, 32', 'views': {
        '64': _store(_license(), backup='/b/pc/1-reg64.reg'),
        '32': _store(_license(serial='0x2'), _license(serial='0x3'), backup='/b/pc/1-reg32.reg')}}
    outcome = _outcome.store_outcome(result, 'absent')
    assert outcome == {'changed': True, 'backups': ['/b/pc/1-reg64.reg', '/b/pc/1-reg32.reg'], 'cals_freed': 3,
                       'cals_revoked': 0, 'refused': None,
                       'detail': result['msg'] + ' (3 license(s): 3 permanent)'}


def test_only_unexpired_permanent_cals_count_as_freed():
    expired_temporary = dict(_license(temporary=True), expired=True)
    result = {'changed': True, 'msg': 'removed', 'views': {
        '64': _store(_license(), _license(temporary=True), expired_temporary, dict(_license(), expired=True)),
        '32': {'present': True, 'licenses': [{'name': 'LICENSE009', 'decoded': {'status': 'undecodable'}}]}}}
    outcome = _outcome.store_outcome(result, 'absent')
    assert outcome['cals_freed'] == 1
    assert outcome['detail'] == 'removed (5 license(s): 1 permanent, 1 temporary, 2 expired, 1 unknown)'
    assert _outcome.permanent_licenses(result['views']['64']) == ['LICENSE000']


def test_check_mode_plan_counts_what_would_be_freed_but_no_backup():
    result = {'changed': True, 'msg': 'would back up and remove', 'views': {'64': _store(_license())}}
    outcome = _outcome.store_outcome(result, 'absent', check_mode=True)
    assert (outcome['cals_freed'], outcome['backups']) == (1, [])


def test_query_and_restore_free_nothing_and_describe_the_views():
    result = {'changed': False, 'views': {'64': _store(_license()), '32': _store(present=False)}}
    outcome = _outcome.store_outcome(result, 'query')
    assert (outcome['cals_freed'], outcome['detail']) == (0, 'view 32: no store; view 64: 1 license(s): 1 permanent')
    restored = {'changed': True, 'msg': 'restored view 64', 'views': {'64': _store(present=False)},
                'backups': {'64': {'path': '/b/x.reg'}}}
    assert _outcome.store_outcome(restored, 'present')['backups'] == []


@pytest.mark.parametrize('result,message', [
    ('text', 'expected the registered result'),
    ({'failed': True, 'msg': 'boom'}, 'did not succeed: boom'),
    ({'changed': False}, 'has no "views"'),
])
def test_store_outcome_rejects_what_is_not_a_successful_result(result, message):
    with pytest.raises(_outcome.OutcomeError, match=message):
        _outcome.store_outcome(result, 'absent')


def test_unchanged_is_a_refusal_or_nothing_to_do():
    assert _outcome.unchanged('', refused='no CAL')['refused'] == 'no CAL'
    assert _outcome.unchanged('already done') == {'changed': False, 'backups': [], 'cals_freed': 0,
                                                  'cals_revoked': 0, 'refused': None, 'detail': 'already done'}
    with pytest.raises(_outcome.OutcomeError):
        _outcome.unchanged('')


# -- summarize -----------------------------------------------------------------------------------------

def _done(changed=True, backups=('/b/1.reg',), freed=1, revoked=0, detail='done'):
    return {'changed': changed, 'backups': list(backups), 'cals_freed': freed, 'cals_revoked': revoked,
            'refused': None, 'detail': detail}


def test_summary_counts_and_lists_refusals_and_hosts_not_reached():
    summary = _outcome.summarize({
        'pc1': _done(revoked=2), 'pc2': _done(changed=False, backups=(), freed=0, detail='nothing to do'),
        'pc3': _outcome.unchanged('', refused='temporary license only'), 'pc4': None,
    }, title='Transfer')
    assert summary['totals'] == {'hosts': 4, 'changed': 1, 'backups': 1, 'cals_freed': 1, 'cals_revoked': 2,
                                 'refused': 1, 'not_reached': 1, 'failed': 0, 'left': 0}
    assert summary['refused'] == {'pc3': 'temporary license only'} and summary['not_reached'] == ['pc4']
    assert summary['lines'][0] == ('Transfer: 4 host(s), 1 changed, 1 backup(s) written, 1 CAL(s) freed, '
                                   '2 revoked on the license server, 1 refused, 1 not reached, 0 failed, 0 left')
    assert summary['lines'][1:] == [
        'pc1: done (backups: /b/1.reg)', 'pc2: nothing to do', 'pc3: REFUSED: temporary license only',
        'pc4: NOT REACHED: failed or unreachable before its outcome was recorded (see the task errors above)']


def test_summary_in_check_mode_says_would():
    line = _outcome.summarize({'pc1': _done(backups=())}, check_mode=True)['lines'][0]
    assert line.startswith('Summary (check mode: nothing was changed): 1 host(s), 1 would be changed')
    assert '1 CAL(s) would be freed' in line


def test_summary_rejects_an_outcome_of_another_shape():
    with pytest.raises(_outcome.OutcomeError, match='outcome of pc1 lacks cals_revoked'):
        _outcome.summarize({'pc1': {'changed': True, 'backups': [], 'cals_freed': 0, 'refused': None,
                                    'detail': ''}})


# -- transferable_cals ---------------------------------------------------------------------------------

def test_only_permanent_licenses_are_cals_and_one_license_in_both_views_is_one_cal():
    result = {'views': {
        '64': _store(_license(), _license(serial='0xT', temporary=True), _license(serial='0xU', temporary=None)),
        '32': _store(_license(), hwid='02bb'),
    }}
    found = _transfer.transferable_cals(result)
    assert found['cals'] == [{'cal': 'LICSRV01/0x0200000001', 'license_server': 'LICSRV01', 'serial': '0x0200000001',
                              'valid_to': '2027-01-01T00:00:00Z', 'view': '32', 'license': 'LICENSE000',
                              'hardware_id': '02bb', 'issued_to_machine': 'WS-0042'}]
    assert found['not_transferable'] == ['LICENSE001 (view 64, LICSRV01, serial 0xT): temporary',
                                         'LICENSE002 (view 64, LICSRV01, serial 0xU): temporary/permanent unknown']


def test_undecodable_licenses_are_listed_not_transferred():
    result = {'views': {'64': {'present': True, 'hardware_id': None, 'licenses': [
        {'name': 'LICENSE001', 'decoded': {'status': 'undecodable', 'licenses': []}}]}}}
    assert _transfer.transferable_cals(result) == {
        'cals': [], 'not_transferable': ['LICENSE001 (view 64): not decodable (undecodable)']}


def test_transfer_outcome_adds_the_server_and_the_ledger():
    store = _done(detail='backed up and removed the store in view(s) 64')
    transfers = [{'cal_id': 'LS/0x1', 'state': 'server_revoked'}]
    server = {'revoked': [{'license_id': 11}, {'license_id': 14}], 'reissue_required': False, 'reason': 'revoked 2'}
    recorded = [{'changed': True, 'transfer': {'state': 'server_revoked'}}]
    outcome = _transfer.transfer_outcome(store, transfers, 'pc-new', server, recorded)
    assert (outcome['cals_revoked'], outcome['changed'], outcome['backups']) == (2, True, ['/b/1.reg'])
    assert outcome['detail'] == ('transferred LS/0x1 to pc-new; backed up and removed the store in view(s) 64; '
                                 'revoked 2; ledger: server_revoked')
    without_server = _transfer.transfer_outcome(store, transfers, 'pc-new', None, [], check_mode=True)
    assert without_server['detail'].startswith('would transfer LS/0x1 to pc-new;')
    assert 'would record the transfer in the ledger (source_cleared)' in without_server['detail']
    assert 'ledger: ' not in without_server['detail']
    assert without_server['detail'].endswith('a Clearinghouse reissue is needed (transfer_reissue_reference records it)')
    assert without_server['cals_revoked'] == 0


def test_summary_lists_failed_hosts_and_hosts_left_and_a_batch_stops_past_its_share():
    outcomes = {'pc1': _done(), 'pc2': _outcome.failed('reg export failed\n  (rc 1)', task='Back up'),
                'pc3': None, 'pc4': None}
    summary = _outcome.summarize(outcomes, left=['pc4'])
    assert summary['lines'][0].endswith('0 refused, 1 not reached, 1 failed, 1 left')
    assert summary['lines'][1:] == [
        'pc1: done (backups: /b/1.reg)', 'pc2: FAILED at "Back up": reg export failed (rc 1)',
        'pc3: NOT REACHED: failed or unreachable before its outcome was recorded (see the task errors above)',
        'pc4: LEFT: not started, the run stopped before its batch']
    batch = {host: outcomes[host] for host in ('pc1', 'pc2')}
    assert _outcome.batch_stops(batch, 0) and _outcome.batch_stops(batch, 49)
    assert not _outcome.batch_stops(batch, 50) and not _outcome.batch_stops({}, 0)


GROUPS = {'all': ['pc1', 'licsrv', 'gone'], 'license_servers': ['licsrv'], 'ledger_only': ['gone']}


@pytest.mark.parametrize('pattern', [None, '', '  '])
def test_run_hosts_needs_a_pattern(pattern):
    with pytest.raises(_outcome.OutcomeError, match='reset_hosts is not set: .* e.g. -e reset_hosts=pc042'):
        _outcome.run_hosts(pattern, 'reset_hosts', [], GROUPS)


def test_run_hosts_leaves_out_protected_hosts_and_names_what_matched_nothing():
    assert _outcome.run_hosts('all', 'v', GROUPS['all'], GROUPS, protect=True) == (['pc1'], ['licsrv', 'gone'])
    assert _outcome.run_hosts('all', 'v', GROUPS['all'], GROUPS) == (['pc1', 'licsrv'], ['gone'])
    with pytest.raises(_outcome.OutcomeError, match='v=tmp01 matches no host in the inventory'):
        _outcome.run_hosts('tmp01', 'v', [], GROUPS)
    with pytest.raises(_outcome.OutcomeError, match=r'matches no host this playbook may act on \(left out: licsrv'):
        _outcome.run_hosts('licsrv', 'v', ['licsrv'], GROUPS, protect=True)
    with pytest.raises(_outcome.OutcomeError, match='--limit pc9 leaves none of the 1 host'):
        _outcome.run_hosts('pc1', 'v', ['pc1'], GROUPS, limit='pc9', limited=['pc9'])


@pytest.mark.parametrize('value, expected', [(None, '100%'), ('', '100%'), (1, 1), ('25%', '25%'), ([1, '50%'], [1, '50%'])])
def test_batch_size_accepts_numbers_and_percentages(value, expected):
    assert _outcome.batch_size(value, 'transfer_serial') == expected


@pytest.mark.parametrize('value', ['abc', 0, '0%', True, [1, 'x']])
def test_batch_size_refuses_the_rest_naming_the_variable(value):
    with pytest.raises(_outcome.OutcomeError, match='transfer_serial=.* is not a batch size'):
        _outcome.batch_size(value, 'transfer_serial')


def test_fail_percentage():
    assert [_outcome.fail_percentage(v, 'x', 7) for v in (None, '', 0, '30', '100%')] == [7, 7, 0, 30, 100]
    for bad in ('abc', 101, -1, True):
        with pytest.raises(_outcome.OutcomeError, match='is not a percentage'):
            _outcome.fail_percentage(bad, 'x', 0)
