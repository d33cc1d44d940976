"""The audit spool: one private file per host, read back into the same report and observations as the results
it was written from; hostile inventory names never become paths."""

from __future__ import annotations

import json
import os
import stat

import pytest

import report_stores as rs
from ansible_collections.tslicensing.cal.plugins.plugin_utils._report import (
    ReportError, build_report, build_report_from, observations, observations_from_clients, render)
from ansible_collections.tslicensing.cal.plugins.plugin_utils._report import _spool

HOSTILE = ['../../etc/passwd', '..', '.', 'a/b', 'nul\u00e9\\x', '<script>', '-rf']
TRANSFERS = [{'id': 1, 'cal_id': 'CAL-1', 'source_host': 'pc-old', 'target_host': 'pc-permanent',
              'state': 'server_revoked', 'updated_at': '2026-02-01T10:00:00Z'}]


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture()
def spool(tmp_path):
    return _spool.open_spool(str(tmp_path / 'spools'))


def _spooled(spool, clients):
    for host, result in clients.items():
        _spool.write_entry(spool, host, result)
    return list(_spool.read_entries(spool, list(clients)))


def test_the_report_from_the_spool_is_the_report_from_the_results(spool, license_fixtures):
    clients = rs.fleet(license_fixtures)
    read = _spooled(spool, clients)
    assert [host for host, _result in read] == list(clients)
    direct = build_report(clients, TRANSFERS, rs.NOW)
    spooled = build_report_from(iter(read), TRANSFERS, rs.NOW)
    assert spooled == direct
    assert all(render(spooled, fmt) == render(direct, fmt) for fmt in ('html', 'json', 'csv'))
    assert list(observations(iter(read), rs.NOW)) == observations_from_clients(clients, rs.NOW)


def test_entries_are_private_and_keep_only_what_the_report_reads(spool, license_fixtures):
    clients = rs.fleet(license_fixtures)
    path = _spool.write_entry(spool, 'pc-several', clients['pc-several'])
    assert _mode(spool) == 0o700 and _mode(path) == 0o600
    assert os.path.dirname(path) == spool
    text = open(path, encoding='utf-8').read()
    assert 'extensions' not in text and 'subject_attributes' not in text
    assert len(text) < len(json.dumps(clients['pc-several'])) / 3


def test_hostile_names_stay_inside_the_spool_and_come_back_as_they_were(spool, license_fixtures):
    result = rs.fleet(license_fixtures)['pc-permanent']
    paths = {_spool.write_entry(spool, host, result) for host in HOSTILE}
    assert len(paths) == len(HOSTILE)
    assert all(os.path.dirname(path) == spool for path in paths)
    assert sorted(os.listdir(spool)) == sorted([_spool.MARKER] + [os.path.basename(p) for p in paths])
    assert [host for host, _r in _spool.read_entries(spool, HOSTILE)] == HOSTILE
    with pytest.raises(ReportError, match='NUL'):
        _spool.write_entry(spool, 'a\x00b', result)


def test_a_host_without_an_entry_is_not_reached_and_gives_no_observation(spool, license_fixtures):
    _spool.write_entry(spool, 'pc-permanent', rs.fleet(license_fixtures)['pc-permanent'])
    read = list(_spool.read_entries(spool, ['pc-permanent', 'pc-never', 'pc-permanent']))
    assert [host for host, _r in read] == ['pc-permanent', 'pc-never']  # a name given twice is one host
    report = build_report_from(iter(read), [], rs.NOW)
    never = [h for h in report['hosts'] if h['host'] == 'pc-never'][0]
    assert never['reached'] is False and never['message'] == 'unreachable: not reached'
    assert [o['host'] for o in observations(iter(read))] == ['pc-permanent']


def test_failed_results_are_kept_with_their_message(spool):
    read = _spooled(spool, {'pc-failed': {'failed': True, 'msg': 'reg.exe query failed: Access is denied.',
                                          'stderr': 'x' * 1000}})
    assert read == [('pc-failed', {'failed': True, 'msg': 'reg.exe query failed: Access is denied.'})]


def test_an_entry_of_another_host_or_not_json_is_refused(spool, license_fixtures):
    path = _spool.write_entry(spool, 'pc-a', rs.fleet(license_fixtures)['pc-permanent'])
    os.rename(path, _spool.entry_path(spool, 'pc-b'))
    with pytest.raises(ReportError, match='is not the one of pc-b'):
        list(_spool.read_entries(spool, ['pc-b']))
    with open(_spool.entry_path(spool, 'pc-c'), 'w', encoding='utf-8') as handle:
        handle.write('{not json')
    with pytest.raises(ReportError, match='of pc-c is not JSON'):
        list(_spool.read_entries(spool, ['pc-c']))


def test_only_a_spool_is_removed(spool, tmp_path):
    other = tmp_path / 'not-a-spool'
    other.mkdir()
    with pytest.raises(ReportError, match='is not an audit spool'):
        _spool.remove_spool(str(other))
    with pytest.raises(ReportError, match='is not an audit spool'):
        _spool.write_entry(str(other), 'pc1', {})
    assert other.is_dir()
    assert _spool.remove_spool(spool) is True and not os.path.exists(spool)
    assert _spool.remove_spool(spool) is False  # already gone: nothing to do
