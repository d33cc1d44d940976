"""build_report on query results made from synthetic stores (tests/license_factory.py) and the real export."""

from __future__ import annotations

import copy
import datetime

import pytest

import report_stores as rs
from ansible_collections.tslicensing.cal.plugins.plugin_utils._report import ReportError, build_report, render

DAY = datetime.timedelta(days=1)


def _transfer(transfer_id, source, target, state, cal=None):
    return {'id': transfer_id, 'cal_id': cal or 'CAL-%d' % transfer_id, 'source_host': source,
            'target_host': target, 'state': state, 'reissue_reference': None,
            'created_at': '2026-02-%02dT10:00:00Z' % transfer_id, 'updated_at': '2026-02-%02dT11:00:00Z' % transfer_id,
            'completed_at': None, 'reason': 'ignored by the report'}


@pytest.fixture(scope='module')
def fleet(license_fixtures):
    return rs.fleet(license_fixtures)


@pytest.fixture(scope='module')
def report(fleet):
    return build_report(fleet, [], rs.NOW)


def _hosts(report):
    return {host['host']: host for host in report['hosts']}


def test_every_host_gets_the_status_of_its_most_urgent_license(report):
    assert {name: host['status'] for name, host in _hosts(report).items()} == {
        'pc-both-views': 'permanent', 'pc-down': 'not reached', 'pc-empty': 'no license', 'pc-expired': 'expired',
        'pc-expiring': 'expiring', 'pc-failed': 'not reached', 'pc-permanent': 'permanent', 'pc-real': 'expired',
        'pc-several': 'expiring', 'pc-temporary': 'temporary', 'pc-undecodable': 'undecodable'}
    assert [host['host'] for host in report['hosts']] == sorted(_hosts(report))


def test_license_rows_carry_the_decoded_values_and_days_counted_from_the_report_time(report):
    several = _hosts(report)['pc-several']['licenses']
    assert [(r['views'], r['key'], r['license_server'], r['serial'], r['days_left'], r['license_type'], r['status'])
            for r in several] == [
        (['64'], 'LICENSE000', 'LICSRV01', '0x0200000006', 80, 'permanent', 'permanent'),
        (['64'], 'LICENSE001', 'LICSRV02', '0x0200000007', 20, 'temporary', 'expiring'),
        (['32'], 'LICENSE000', None, None, None, 'unknown', 'undecodable')]
    assert several[0]['issued_to'] == 'PC-SEVERAL' and several[0]['issued_to_user'] == 'alice'
    assert several[0]['scope'] == 'CONTOSO'
    assert several[0]['valid_to'] == (rs.NOW + 80 * DAY).strftime('%Y-%m-%dT%H:%M:%SZ')
    assert 'expected 3' in several[2]['note']  # the decoder's warning says why
    assert _hosts(report)['pc-undecodable']['licenses'][1]['note'] == 'no ClientLicense value'


def test_real_export_is_an_expired_temporary_cal(report):
    [row] = _hosts(report)['pc-real']['licenses']
    assert (row['license_server'], row['scope'], row['issued_to'], row['license_type'], row['status']) == (
        'RODENT', 'WORKGROUP', 'RODENT', 'temporary', 'expired')
    assert row['days_left'] == (datetime.datetime(2007, 9, 18, 14, 51, 35, tzinfo=rs.UTC) - rs.NOW).days


def test_license_in_both_views_is_one_row_naming_both(report):
    [row] = _hosts(report)['pc-both-views']['licenses']
    assert row['views'] == ['64', '32']


def test_not_reached_hosts_keep_their_message(report):
    hosts = _hosts(report)
    assert hosts['pc-down']['reached'] is False
    assert hosts['pc-down']['message'] == 'unreachable: Failed to connect to the host via winrm: timed out'
    assert hosts['pc-failed']['message'] == 'failed: reg.exe query failed: Access is denied.'
    assert hosts['pc-down']['licenses'] == [] and hosts['pc-down']['hardware_ids'] == []
    odd = build_report({'s': {'skipped': True, 'skip_reason': 'Conditional result was False'}, 'n': None,
                        'v': {'changed': False}}, [], rs.NOW)
    assert [h['message'] for h in odd['hosts']] == [
        'no client_license result (got null)', 'skipped: Conditional result was False',
        'no client_license query result (no views)']


def test_totals(report):
    assert report['totals'] == {
        # With a CAL: a permanent license that has not expired (temporary, expired, undecodable: without).
        'hosts': 11, 'reached': 9, 'not_reached': 2, 'with_license': 4, 'without_license': 5, 'licenses': 11,
        'permanent': 5, 'temporary': 3, 'type_unknown': 0, 'expiring': 2, 'expired': 2, 'undecodable': 3,
        'transfers': {'intent_recorded': 0, 'source_cleared': 0, 'server_revoked': 0, 'reissue_requested': 0,
                      'completed': 0}}


def test_timeline_is_every_known_end_date_in_order(report):
    timeline = report['timeline']
    assert [(e['host'], e['days_left']) for e in timeline] == [
        ('pc-real', -6739), ('pc-expired', -3), ('pc-expiring', 12), ('pc-several', 20), ('pc-both-views', 45),
        ('pc-temporary', 60), ('pc-permanent', 70), ('pc-several', 80)]


@pytest.mark.parametrize('offset,status,days_left', [
    (-DAY, 'expired', -1),
    (datetime.timedelta(0), 'expired', 0),  # ends exactly now: over
    (datetime.timedelta(seconds=1), 'expiring', 0),
    (30 * DAY, 'expiring', 30),  # the last day of the window is in it
    (30 * DAY + datetime.timedelta(seconds=1), 'permanent', 30),
])
def test_expiring_window_edges(offset, status, days_left):
    ends = rs.NOW + offset
    clients = {'pc': rs.query_result({'64': rs.store(rs.blob(rs.license('PC', offset / DAY)))})}
    [row] = build_report(clients, [], rs.NOW, expiring_days=30)['hosts'][0]['licenses']
    assert row['valid_to'] == ends.strftime('%Y-%m-%dT%H:%M:%SZ')
    assert (row['status'], row['days_left']) == (status, days_left)


def test_dates_are_judged_at_the_report_time_not_when_the_host_was_queried(fleet, report):
    # The decoder's `expired` was judged against the wall clock when the host was queried: flipping it
    # changes nothing in the report.
    flipped = copy.deepcopy(fleet)
    for host in flipped.values():
        for view in host.get('views', {}).values():
            for entry in view['licenses']:
                for license in (entry['decoded'] or {}).get('licenses', []):
                    license['expired'] = not license['expired']
    assert build_report(flipped, [], rs.NOW) == report
    later = build_report(fleet, [], rs.NOW + 100 * DAY)
    assert later['totals']['expired'] == 8 and later['totals']['expiring'] == 0
    assert later['report_time'] == '2026-06-09T08:00:00Z'


def test_unknown_temporary_flag_is_its_own_type_and_status():
    clients = {'pc': rs.query_result({'64': rs.store(rs.blob(rs.license('PC', 60, versions=[])))})}
    report = build_report(clients, [], rs.NOW)
    [row] = report['hosts'][0]['licenses']
    assert (row['license_type'], row['status']) == ('unknown', 'unknown')
    assert 'temporary/permanent unknown' in row['note']
    assert report['totals']['type_unknown'] == 1 and report['totals']['permanent'] == 0


def test_latest_transfer_in_each_direction(fleet):
    transfers = [
        _transfer(1, 'pc-permanent', 'pc-new', 'completed'),
        _transfer(2, 'pc-old', 'pc-permanent', 'completed'),
        _transfer(3, 'pc-permanent', 'pc-newer', 'reissue_requested', cal='CAL-1'),
        _transfer(4, 'elsewhere', 'pc-unaudited', 'source_cleared'),
    ]
    report = build_report(fleet, transfers, rs.NOW)
    host = _hosts(report)['pc-permanent']
    assert (host['transfer_out']['id'], host['transfer_out']['state'], host['transfer_out']['target_host']) == (
        3, 'reissue_requested', 'pc-newer')
    assert (host['transfer_in']['id'], host['transfer_in']['source_host']) == (2, 'pc-old')
    assert 'reason' not in host['transfer_out']
    assert _hosts(report)['pc-temporary']['transfer_out'] is None
    # Only transfers touching a host of the report are counted.
    assert report['totals']['transfers'] == {'intent_recorded': 0, 'source_cleared': 0, 'server_revoked': 0,
                                             'reissue_requested': 1, 'completed': 2}


def test_every_incoming_cal_and_interrupted_transfers_are_shown(fleet):
    transfers = [
        _transfer(1, 'pc-old', 'pc-permanent', 'completed', cal='CAL-A'),
        _transfer(2, 'pc-other', 'pc-permanent', 'intent_recorded', cal='CAL-B'),
    ]
    report = build_report(fleet, transfers, rs.NOW)
    host = _hosts(report)['pc-permanent']
    assert [(row['cal_id'], row['state']) for row in host['transfers_in']] == [('CAL-A', 'completed'),
                                                                               ('CAL-B', 'intent_recorded')]
    assert report['totals']['transfers']['intent_recorded'] == 1
    page = render(report, 'html')
    assert page.count('CAL moving in') == 2
    assert 'interrupted: removal not confirmed, run the transfer again' in page


@pytest.mark.parametrize('kwargs,message', [
    ({'clients': ['pc1']}, 'clients must be a dict of inventory hostname -> client_license query result, not list'),
    ({'clients': {'': {}}}, "clients: every key must be an inventory hostname, not ''"),
    ({'transfers': 'none'}, 'transfers must be a list of ledger transfer rows, not str'),
    ({'transfers': [{'id': 1, 'source_host': 'a'}]}, r'transfers\[0\] is not a ledger transfer row'),
    ({'now': 'tomorrow'}, "report_time 'tomorrow' is not an ISO 8601 date or time"),
    ({'now': 1772352000}, 'report_time must be an ISO 8601 string or a datetime, not int'),
    ({'expiring_days': -1}, 'expiring_days must be a whole number of days >= 0, not -1'),
    ({'expiring_days': True}, 'expiring_days must be a whole number of days >= 0, not True'),
    ({'clients': {'pc': {'views': {'64': {'present': True, 'licenses': 'LICENSE000'}}}}},
     r"pc: views\['64'\].licenses must be a list"),
])
def test_bad_input_is_refused_with_a_message_naming_it(kwargs, message):
    args = {'clients': {}, 'transfers': [], 'now': rs.NOW}
    args.update(kwargs)
    with pytest.raises(ReportError, match=message):
        build_report(args['clients'], args['transfers'], args['now'], **{k: v for k, v in kwargs.items()
                                                                         if k == 'expiring_days'})


def test_report_time_forms():
    assert build_report({}, [], '2026-03-01')['report_time'] == '2026-03-01T00:00:00Z'
    assert build_report({}, [], '2026-03-01T10:00:00+02:00')['report_time'] == '2026-03-01T08:00:00Z'
    assert build_report({}, [], datetime.datetime(2026, 3, 1, 8))['report_time'] == '2026-03-01T08:00:00Z'


def test_empty_fleet():
    report = build_report({}, [], rs.NOW)
    assert report['hosts'] == [] and report['timeline'] == []
    assert report['totals']['hosts'] == 0


def test_each_host_gets_its_next_action(report):
    actions = {host['host']: host['next_action'] for host in report['hosts']}
    assert actions == {
        'pc-permanent': None, 'pc-both-views': None, 'pc-empty': None,
        'pc-temporary': 'assign a permanent CAL (the client holds a temporary license only)',
        'pc-expiring': 'renew the CAL before 2026-03-13 (connect the client to the terminal server)',
        'pc-expired': 'reset the license store (reset_license_store.yml): a license expired',
        'pc-real': 'reset the license store (reset_license_store.yml): a license expired',
        'pc-several': 'reset the license store (reset_license_store.yml): a license cannot be decoded',
        'pc-undecodable': 'reset the license store (reset_license_store.yml): a license cannot be decoded',
        'pc-down': 'reach the host and read its store (see why above), then audit again',
        'pc-failed': 'reach the host and read its store (see why above), then audit again',
    }


def test_an_open_transfer_comes_first_in_the_next_action():
    clients = {'pc-old': rs.query_result({'64': None, '32': None}),
               'pc-new': rs.query_result({'64': None, '32': None})}
    transfers = [{'id': 1, 'cal_id': 'LICSRV01/0x1', 'source_host': 'pc-old', 'target_host': 'pc-new',
                  'state': 'source_cleared', 'reissue_reference': None}]
    actions = {h['host']: h['next_action'] for h in build_report(clients, transfers, rs.NOW)['hosts']}
    assert actions['pc-old'].startswith('record the Clearinghouse reissue reference of LICSRV01/0x1')
    assert actions['pc-new'].startswith('connect the client to the terminal server so that it receives the CAL '
                                        'from pc-old')
    transfers[0].update(state='completed')
    assert all(h['next_action'] is None for h in build_report(clients, transfers, rs.NOW)['hosts'])
