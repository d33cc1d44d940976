"""The transfer intent (schema v3): recorded before the client's store is deleted, moved on to source_cleared
once the removal is confirmed; and every rule that can refuse is answered read-only first (check_transfer)."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import (
    CURRENT_VERSION, MIGRATIONS, Ledger, LedgerError, TransferRefused, TransferRequest, open_ledger, render)
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger._schema import (
    POSTGRESQL_DIALECT, SQLITE_DIALECT)

SHA = 'ab' * 32
NAMES = {'reissue_reference': 'transfer_reissue_reference',
         'allow_multiple_to_target': 'transfer_allow_multiple_to_target'}


def intent(cal: str = 'CAL-1', source: str = 'pc-old', target: str = 'pc-new', **extra: t.Any) -> TransferRequest:
    extra.setdefault('backup_path', '/backups/%s/%s.reg' % (source, cal))
    extra.setdefault('backup_sha256', SHA)
    return TransferRequest(cal_id=cal, source_host=source, target_host=target, **extra)


def test_intent_then_cleared(ledger: Ledger) -> None:
    recorded = ledger.record_intent(intent(), backups=[{'view': '64', 'path': '/b/x.reg', 'sha256': SHA}])
    assert recorded.changed and recorded.record['state'] == 'intent_recorded'  # type: ignore[index]
    assert recorded.record['backup_sha256'] == SHA  # type: ignore[index]
    # The intent holds the CAL: another transfer of it is refused, naming the interrupted one.
    with pytest.raises(TransferRefused, match=r"interrupted transfer from pc-old to pc-new \(transfer #1"):
        ledger.record_intent(intent(target='pc-elsewhere'))
    cleared = ledger.record_transfer(intent(backup_path=None, backup_sha256=None))
    assert cleared.changed and cleared.record['state'] == 'source_cleared'  # type: ignore[index]
    assert cleared.record['backup_path'] == '/backups/pc-old/CAL-1.reg'  # type: ignore[index]
    assert not ledger.record_transfer(intent()).changed
    kinds = [e['kind'] for e in ledger.events()]
    assert kinds == ['transfer_intent_recorded', 'transfer_marked']
    assert '"sha256": "%s"' % SHA in ledger.events()[0]['detail']


def test_intent_again_renews_the_backup(ledger: Ledger) -> None:
    ledger.record_intent(intent())
    assert not ledger.record_intent(intent()).changed
    renewed = ledger.record_intent(intent(backup_path='/backups/later.reg', backup_sha256='cd' * 32))
    assert renewed.changed and renewed.record['backup_sha256'] == 'cd' * 32  # type: ignore[index]
    assert len(ledger.transfers()) == 1


def test_check_is_read_only_and_names_the_callers_variables(ledger: Ledger) -> None:
    assert ledger.check_transfer(intent()) == []
    assert ledger.transfers() == []
    ledger.record_transfer(intent())
    [refusal] = ledger.check_transfer(intent(source='pc-new', target='pc-third'), names=NAMES)
    assert refusal.startswith("CAL 'CAL-1' was already transferred to pc-new on ")
    assert '(transfer #1 from pc-old, state source_cleared)' in refusal
    assert 'set transfer_reissue_reference to the Clearinghouse reissue reference' in refusal
    assert ledger.check_transfer(intent(source='pc-new', target='pc-third', reissue_reference='CH-1')) == []
    # An interrupted transfer of the same CAL between the same ends is a rerun's business: accepted.
    ledger.record_intent(intent(cal='CAL-2', source='pc-a', target='pc-b'))
    assert ledger.check_transfer(intent(cal='CAL-2', source='pc-a', target='pc-b')) == []


def test_second_cal_for_one_target_needs_an_opt_in(ledger: Ledger) -> None:
    ledger.record_transfer(intent())
    # The CALs of one client move to its replacement together.
    assert ledger.check_transfer(intent(cal='CAL-7')) == []
    [refusal] = ledger.check_transfer(intent(cal='CAL-2', source='pc-other'), names=NAMES)
    assert refusal.startswith("the target pc-new already receives CAL 'CAL-1' (transfer #1 from pc-old")
    assert refusal.endswith('set transfer_allow_multiple_to_target to true to move another CAL onto it')
    with pytest.raises(TransferRefused, match='already receives'):
        ledger.record_intent(intent(cal='CAL-2', source='pc-other'))
    assert ledger.record_intent(intent(cal='CAL-2', source='pc-other'), allow_multiple_to_target=True).changed
    # A CAL that moved on from the target (a reissue) no longer counts as received by it.
    ledger.record_transfer(intent(cal='CAL-9', source='pc-x', target='pc-y'))
    ledger.record_transfer(intent(cal='CAL-9', source='pc-y', target='pc-z', reissue_reference='CH-9'))
    assert ledger.check_transfer(intent(cal='CAL-3', source='pc-q', target='pc-y')) == []


def test_database_refuses_unknown_state_moves_from_the_intent(ledger: Ledger, raw_db: t.Any) -> None:
    ledger.record_intent(intent())
    db = raw_db()
    with pytest.raises(Exception, match='not allowed by the KB 315262 procedure'):
        db.execute("UPDATE transfers SET state = 'completed' WHERE id = 1")
    db.execute("UPDATE transfers SET state = 'source_cleared' WHERE id = 1")
    with pytest.raises(Exception, match='not allowed by the KB 315262 procedure'):
        db.execute("UPDATE transfers SET state = 'intent_recorded' WHERE id = 1")


def test_v2_ledger_is_upgraded_to_the_intent_schema(ledger_url: str, raw_db: t.Any, backend: str) -> None:
    db = raw_db()
    dialect = SQLITE_DIALECT if backend == 'sqlite' else POSTGRESQL_DIALECT
    db.execute('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
    for version in (1, 2):
        for statement in render(MIGRATIONS[version], dialect):
            db.execute(statement)
        db.execute('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)', (version, '2025-01-01T00:00:00Z'))
    insert = ('INSERT INTO transfers (cal_id, source_host, target_host, state, created_at, updated_at, sequence, '
              'reissue_reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    db.execute(insert, ('OLD', 'pc1', 'pc2', 'source_cleared', 't1', 't1', 1, None))
    db.execute(insert, ('OLD', 'pc2', 'pc3', 'reissue_requested', 't2', 't2', 2, 'CH-1'))
    with pytest.raises(Exception):  # the v2 CHECK knows no intent
        db.execute(insert, ('NEW', 'pc4', 'pc5', 'intent_recorded', 't3', 't3', 1, None))
    db.close()
    with open_ledger(ledger_url) as ledger:
        assert ledger.schema_version() == CURRENT_VERSION
        rows = ledger.transfers()
        assert [(r['id'], r['cal_id'], r['state'], r['sequence']) for r in rows] == \
            [(1, 'OLD', 'source_cleared', 1), (2, 'OLD', 'reissue_requested', 2)]
        # (PostgreSQL's identity may have spent a number on the refused insert above.)
        recorded = ledger.record_intent(intent(cal='NEW', source='pc4', target='pc5')).record
        assert recorded is not None and recorded['id'] > 2
        assert ledger.record_transfer(intent(cal='NEW', source='pc4', target='pc5')).changed
        # The v2 rules still hold after the rebuild: one move per reference, sequence unique.
        with pytest.raises(TransferRefused, match="'CH-1'"):
            ledger.record_transfer(TransferRequest('OLD', 'pc3', 'pc6', reissue_reference='CH-1'))
        kinds = [e['kind'] for e in ledger.events()][-3:]
        assert kinds == ['schema_upgraded', 'transfer_intent_recorded', 'transfer_marked']
    with pytest.raises(Exception, match='not allowed by the KB 315262 procedure'):
        raw_db().execute("UPDATE transfers SET state = 'intent_recorded' WHERE id = 1")


def test_the_refusal_of_a_conflicting_write_is_a_ledger_error(ledger: Ledger, raw_db: t.Any) -> None:
    # A rule the database holds that the ledger's reading cannot see (here: a trigger of the site's) ends
    # in one clear ledger error after the retries, not a raw driver message.
    ledger.record_transfer(intent())
    with pytest.raises(LedgerError, match='refused the write 16 times in a row'):
        ledger._retrying(lambda tx: ledger._insert_transfer(tx, intent(), 'source_cleared')  # type: ignore
                         and tx.run("INSERT INTO transfers (id, cal_id, source_host, target_host, state, "
                                    "created_at, updated_at) VALUES (1, 'x', 'y', 'z', 'source_cleared', 't', 't')"))
