"""observations_from_clients: what an audit records in the ledger, checked against the licenses it was built
from and against a real ledger (which completes transfers only for permanent licenses)."""

from __future__ import annotations

import pytest

import license_factory as lf
import report_stores as rs
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import Observation, TransferRequest, open_ledger
from ansible_collections.tslicensing.cal.plugins.plugin_utils._report import ReportError, observations_from_clients

HWID_HEX = rs.HWID.hex()


def _by_host(observations):
    found = {}
    for observation in observations:
        found.setdefault(observation['host'], []).append(observation)
    return found


def test_one_observation_per_decoded_license_with_the_license_values(license_fixtures):
    observations = _by_host(observations_from_clients(rs.fleet(license_fixtures)))
    # Not reached, empty and undecodable hosts give nothing; pc-several's undecodable 32-bit key neither.
    assert sorted(observations) == ['pc-both-views', 'pc-expired', 'pc-expiring', 'pc-permanent', 'pc-real',
                                    'pc-several', 'pc-temporary']
    spec = rs.license('PC-TEMPORARY', 60, temporary=True, serial=0x0200000002)
    expected = lf.expected_fields(spec)
    assert observations['pc-temporary'] == [{
        'host': 'pc-temporary', 'hardware_id': HWID_HEX, 'license_server': expected['license_server'],
        'serial': expected['serial'], 'valid_to': expected['valid_to'], 'temporary': True}]
    assert [(o['serial'], o['license_server'], o['temporary']) for o in observations['pc-several']] == [
        ('0x0200000006', 'LICSRV01', False), ('0x0200000007', 'LICSRV02', True)]


def test_real_license_is_observed_as_the_temporary_cal_it_is(license_fixtures):
    clients = {'pc-real': rs.query_result({'64': rs.real_store(license_fixtures), '32': None})}
    assert observations_from_clients(clients) == [{
        'host': 'pc-real', 'hardware_id': '020000007d4eb2c01b6c4f2ea3914d05c87e21f9', 'license_server': 'RODENT',
        'serial': '0x030000000F', 'valid_to': '2007-09-18T14:51:35Z', 'temporary': True}]


def test_same_license_in_both_views_is_one_observation_but_another_hwid_is_another():
    license_blob = rs.blob(rs.license('PC-BOTH', 45))
    both = rs.query_result({'64': rs.store(license_blob), '32': rs.store(license_blob)})
    other_hwid = rs.query_result({'64': rs.store(license_blob), '32': rs.store(license_blob, hwid=b'\x02' * 20)})
    assert len(observations_from_clients({'pc': both})) == 1
    assert [o['hardware_id'] for o in observations_from_clients({'pc': other_hwid})] == [HWID_HEX, '02' * 20]


def test_unknown_temporary_flag_is_never_observed_as_permanent():
    clients = {'pc-unknown': rs.query_result({'64': rs.store(rs.blob(rs.license('PC-UNKNOWN', 50, versions=[])))})}
    decoded = clients['pc-unknown']['views']['64']['licenses'][0]['decoded']['licenses'][0]
    assert decoded['temporary'] is None  # the premise: the decoder cannot tell
    [observation] = observations_from_clients(clients)
    assert observation['temporary'] is True


def test_not_reached_results_give_nothing():
    clients = {
        'down': {'unreachable': True, 'msg': 'timed out'},
        'failed': {'failed': True, 'msg': 'Access is denied.', 'views': {'64': {'present': True}}},
        'skipped': {'skipped': True, 'skip_reason': 'Conditional result was False'},
        'no-views': {'changed': False},
        'not-a-dict': 'oops',
    }
    assert observations_from_clients(clients) == []


def test_observed_at_is_normalised_and_bad_input_is_refused():
    clients = {'pc': rs.query_result({'64': rs.store(rs.blob(rs.license('PC', 40)))})}
    [observation] = observations_from_clients(clients, observed_at='2026-03-01T09:00:00+01:00')
    assert observation['observed_at'] == '2026-03-01T08:00:00Z'
    with pytest.raises(ReportError, match="observed_at 'yesterday' is not an ISO 8601"):
        observations_from_clients(clients, observed_at='yesterday')
    with pytest.raises(ReportError, match='clients must be a dict of inventory hostname'):
        observations_from_clients([clients])
    with pytest.raises(ReportError, match=r"pc: views\['64'\] must be a dict"):
        observations_from_clients({'pc': {'views': {'64': 'present'}}})


def test_a_real_ledger_completes_transfers_only_to_hosts_seen_holding_a_permanent_license(tmp_path):
    permanent = rs.query_result({'64': rs.store(rs.blob(rs.license('PC-P', 70)))})
    temporary = rs.query_result({'64': rs.store(rs.blob(rs.license('PC-T', 70, temporary=True)))})
    unknown = rs.query_result({'64': rs.store(rs.blob(rs.license('PC-U', 70, versions=[])))})
    clients = {'pc-p': permanent, 'pc-t': temporary, 'pc-u': unknown}
    with open_ledger('sqlite://%s/ledger.sqlite3' % tmp_path) as ledger:
        for number, target in enumerate(clients):
            ledger.record_transfer(TransferRequest(cal_id='CAL-%d' % number, source_host='old-%d' % number,
                                                   target_host=target))
            ledger.mark('server_revoked', cal_id='CAL-%d' % number)
        outcome = ledger.record_observations([Observation(**o) for o in observations_from_clients(clients)])
        assert [row['target_host'] for row in outcome.completed] == ['pc-p']
        assert {row['target_host']: row['state'] for row in ledger.transfers()} == {
            'pc-p': 'completed', 'pc-t': 'server_revoked', 'pc-u': 'server_revoked'}
