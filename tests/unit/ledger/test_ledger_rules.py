"""The ledger's rules, on both backends: one-time transfers, reissues, idempotency, states, events."""

from __future__ import annotations

import json
import typing as t

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import (
    CURRENT_VERSION, Ledger, LedgerError, Observation, StateChangeRefused, TransferRefused, TransferRequest,
    open_ledger)

SHA = 'ab' * 32


def transfer(cal: str = 'CAL-1', source: str = 'pc-old', target: str = 'pc-new', **extra: t.Any) -> TransferRequest:
    return TransferRequest(cal_id=cal, source_host=source, target_host=target, **extra)


def test_new_ledger_has_current_schema(ledger: Ledger) -> None:
    assert ledger.schema_version() == CURRENT_VERSION == 4


def test_transfer_is_stored_with_all_fields(ledger: Ledger) -> None:
    outcome = ledger.record_transfer(transfer(
        license_server='LS01', license_serial='SER-9', source_hardware_id='HWID-1', reason='replaced desk',
        operator='alice', backup_path='C:\\backups\\pc-old.reg', backup_sha256=SHA.upper()))
    assert outcome.changed
    row = outcome.record
    assert row is not None
    assert (row['cal_id'], row['source_host'], row['target_host'], row['state'], row['sequence']) == \
        ('CAL-1', 'pc-old', 'pc-new', 'source_cleared', 1)
    assert row['backup_sha256'] == SHA  # normalised to lower case
    assert row['license_serial'] == 'SER-9' and row['reissue_reference'] is None
    assert ledger.transfers() == [row]


def test_same_transfer_twice_is_unchanged(ledger: Ledger) -> None:
    first = ledger.record_transfer(transfer(reason='first'))
    again = ledger.record_transfer(transfer(reason='typed differently the second time'))
    assert (first.changed, again.changed) == (True, False)
    assert again.record == first.record
    assert len(ledger.transfers()) == 1
    assert [e['kind'] for e in ledger.events()] == ['transfer_recorded']


def test_second_transfer_of_a_cal_is_refused(ledger: Ledger) -> None:
    ledger.record_transfer(transfer())
    with pytest.raises(TransferRefused, match=r"CAL 'CAL-1' was already transferred to pc-new on \S+ \(transfer "
                                              r"#1 from pc-old, state source_cleared\).*set reissue_reference"):
        ledger.record_transfer(transfer(source='pc-new', target='pc-third'))
    assert len(ledger.transfers()) == 1


def test_reissue_reference_allows_one_more_transfer(ledger: Ledger) -> None:
    ledger.record_transfer(transfer())
    second = ledger.record_transfer(transfer(source='pc-new', target='pc-third', reissue_reference='CH-777'))
    assert second.changed and second.record is not None
    assert (second.record['sequence'], second.record['reissue_reference']) == (2, 'CH-777')
    with pytest.raises(TransferRefused, match=r"'CH-777' \(reissue_reference\) already covers transfer #2"):
        ledger.record_transfer(transfer(source='pc-third', target='pc-fourth', reissue_reference='CH-777'))
    with pytest.raises(TransferRefused, match='already transferred'):
        ledger.record_transfer(transfer(source='pc-third', target='pc-fourth'))
    assert not ledger.record_transfer(transfer(source='pc-new', target='pc-third', reissue_reference='CH-777')).changed
    assert not ledger.record_transfer(transfer(source='pc-new', target='pc-third')).changed


def test_database_itself_refuses_a_second_transfer_without_reissue(ledger: Ledger, raw_db: t.Any) -> None:
    ledger.record_transfer(transfer())
    db = raw_db()
    insert = ('INSERT INTO transfers (cal_id, source_host, target_host, state, created_at, updated_at, sequence, '
              'reissue_reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    for sequence, reference in ((1, None), (2, None), (7, None)):
        with pytest.raises(Exception, match='(?i)unique|check'):
            db.execute(insert, ('CAL-1', 'x', 'y', 'source_cleared', 't', 't', sequence, reference))
    db.execute(insert, ('CAL-1', 'x', 'y', 'source_cleared', 't', 't', 2, 'CH-1'))
    with pytest.raises(Exception, match='(?i)unique'):
        db.execute(insert, ('CAL-1', 'y', 'z', 'source_cleared', 't', 't', 3, 'CH-1'))
    assert len(ledger.transfers(cal_id='CAL-1')) == 2


def test_states_follow_the_procedure(ledger: Ledger) -> None:
    ledger.record_transfer(transfer())
    revoked = ledger.mark('server_revoked', cal_id='CAL-1', operator='bob')
    assert revoked.changed and revoked.record['state'] == 'server_revoked'  # type: ignore[index]
    assert not ledger.mark('server_revoked', transfer_id=1).changed
    with pytest.raises(StateChangeRefused, match='transfer #1 is server_revoked; it can move to completed, '
                                                 'not reissue_requested'):
        ledger.mark('reissue_requested', transfer_id=1, reissue_reference='CH-1')
    done = ledger.mark('completed', transfer_id=1)
    assert done.record['completed_at'] is not None  # type: ignore[index]
    with pytest.raises(StateChangeRefused, match='can move to nothing'):
        ledger.mark('source_cleared', transfer_id=1)
    kinds = [e['kind'] for e in ledger.events()]
    assert kinds == ['transfer_recorded', 'transfer_marked', 'transfer_marked']


def test_reissue_requested_needs_a_reference(ledger: Ledger) -> None:
    ledger.record_transfer(transfer())
    with pytest.raises(StateChangeRefused, match='needs the Clearinghouse reissue reference'):
        ledger.mark('reissue_requested', transfer_id=1)
    marked = ledger.mark('reissue_requested', transfer_id=1, reissue_reference='CH-5')
    assert marked.record['reissue_reference'] == 'CH-5'  # type: ignore[index]
    with pytest.raises(StateChangeRefused, match="already has reissue reference 'CH-5'"):
        ledger.mark('reissue_requested', transfer_id=1, reissue_reference='CH-6')


def test_mark_unknown_transfer_is_clear(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="no transfer of CAL 'nope' in the ledger"):
        ledger.mark('completed', cal_id='nope')
    with pytest.raises(LedgerError, match='exactly one of'):
        ledger.mark('completed')


def test_database_refuses_a_state_change_outside_the_procedure(ledger: Ledger, raw_db: t.Any) -> None:
    ledger.record_transfer(transfer())
    with pytest.raises(Exception, match='state change not allowed'):
        raw_db().execute("UPDATE transfers SET state = 'completed' WHERE id = 1")
    assert ledger.transfers()[0]['state'] == 'source_cleared'


def test_event_log_is_append_only_in_the_database(ledger: Ledger, raw_db: t.Any, backend: str) -> None:
    ledger.record_transfer(transfer())
    db = raw_db()
    for statement in ('UPDATE events SET kind = ? WHERE id = 1', 'DELETE FROM events WHERE id = ?'):
        with pytest.raises(Exception, match='append-only'):
            db.execute(statement, ('forged',) if 'UPDATE' in statement else (1,))
    if backend == 'postgresql':
        with pytest.raises(Exception, match='append-only'):
            db.execute('TRUNCATE events')
    assert [e['kind'] for e in ledger.events()] == ['transfer_recorded']


def test_observations_are_stored_once(ledger: Ledger) -> None:
    seen = Observation(host='pc-new', hardware_id='HW', license_server='LS01', serial='S-1',
                       valid_to='2027-03-01', temporary=True, observed_at='2026-01-02T03:04:05+01:00')
    first = ledger.record_observations([seen, seen])
    again = ledger.record_observations([seen])
    assert (first.changed, len(first.records), again.changed) == (True, 1, False)
    assert ledger.observations('pc-new') == [{
        'id': 1, 'host': 'pc-new', 'hardware_id': 'HW', 'license_server': 'LS01', 'serial': 'S-1',
        'valid_to': '2027-03-01T00:00:00Z', 'temporary': True, 'observed_at': '2026-01-02T02:04:05Z'}]


def test_target_seen_with_a_permanent_license_completes_the_transfer(ledger: Ledger) -> None:
    ledger.record_transfer(transfer(target='pc-a'))
    ledger.record_transfer(transfer(cal='CAL-2', target='pc-b'))
    ledger.mark('reissue_requested', cal_id='CAL-1', reissue_reference='CH-1')
    ledger.mark('server_revoked', cal_id='CAL-2')
    temporary = ledger.record_observations([Observation(host='pc-a', serial='T', temporary=True)])
    assert temporary.completed == []
    permanent = ledger.record_observations([Observation(host='pc-a', serial='P'), Observation(host='pc-b', serial='Q')])
    assert sorted(r['cal_id'] for r in permanent.completed) == ['CAL-1', 'CAL-2']
    assert {r['state'] for r in ledger.transfers()} == {'completed'}


def test_observation_before_the_transfer_does_not_complete_it(ledger: Ledger) -> None:
    ledger.record_transfer(transfer())
    ledger.mark('server_revoked', transfer_id=1)
    old = ledger.record_observations([Observation(host='pc-new', serial='P', observed_at='2001-01-01')])
    assert old.changed and old.completed == []


def test_nul_is_refused_clearly() -> None:
    with pytest.raises(LedgerError, match='reason contains a NUL character'):
        transfer(reason='a\x00b')


def test_bad_checksum_and_same_ends_are_refused() -> None:
    with pytest.raises(LedgerError, match='64 hexadecimal'):
        transfer(backup_sha256='xyz')
    with pytest.raises(LedgerError, match='another computer'):
        transfer(source='pc', target='pc')


def test_query_filters(ledger: Ledger) -> None:
    ledger.record_transfer(transfer(cal='A', source='h1', target='h2'))
    ledger.record_transfer(transfer(cal='B', source='h3', target='h1'))
    ledger.mark('server_revoked', cal_id='B')
    assert [r['cal_id'] for r in ledger.transfers(host='h1')] == ['A', 'B']
    assert [r['cal_id'] for r in ledger.transfers(host='h2')] == ['A']
    assert [r['cal_id'] for r in ledger.transfers(state='server_revoked')] == ['B']
    assert ledger.transfers(cal_id='A', state='server_revoked') == []


def test_event_detail_is_json(ledger: Ledger) -> None:
    ledger.record_transfer(transfer(operator='ops'))
    event = ledger.events()[0]
    assert (event['cal_id'], event['host'], event['operator']) == ('CAL-1', 'pc-old', 'ops')
    assert json.loads(event['detail'])['target_host'] == 'pc-new'


def test_dry_run_writes_nothing(ledger_url: str, ledger: Ledger) -> None:
    ledger.record_transfer(transfer())
    with open_ledger(ledger_url, dry_run=True) as dry:
        would = dry.record_transfer(transfer(cal='CAL-2', target='pc-other'))
        assert would.changed and would.record['cal_id'] == 'CAL-2'  # type: ignore[index]
        assert not dry.record_transfer(transfer()).changed
        assert dry.mark('server_revoked', transfer_id=1).changed
    assert [(r['cal_id'], r['state']) for r in ledger.transfers()] == [('CAL-1', 'source_cleared')]
    assert len(ledger.events()) == 1
