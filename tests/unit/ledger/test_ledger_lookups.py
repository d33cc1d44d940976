"""Schema v4 on both backends: the old ledgers upgrade in place, every lookup uses an index, the latest row of
each host comes from SQL and is streamed."""

from __future__ import annotations

import random
import typing as t

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import (
    LOOKUPS, MIGRATIONS, Ledger, Observation, TransferRequest, open_ledger, render)
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import _backends
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger._schema import (
    POSTGRESQL_DIALECT, SQLITE_DIALECT)

V4_INDEXES = {'transfers_by_source', 'transfers_latest_in', 'observations_latest'}


def _old_ledger(raw_db: t.Any, version: int) -> t.Any:
    """A ledger exactly as the migrations up to ``version`` made it (the database left open)."""
    db = raw_db()
    dialect = SQLITE_DIALECT if db.is_sqlite else POSTGRESQL_DIALECT
    db.execute('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
    for number in range(1, version + 1):
        for statement in render(MIGRATIONS[number], dialect):
            db.execute(statement)
        db.execute('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)', (number, '2025-01-01T00:00:00Z'))
    return db


def _indexes(db: t.Any) -> set[str]:
    if db.is_sqlite:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return {name for (name,) in db.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}


def test_v3_ledger_is_upgraded_to_v4_in_place(ledger_url: str, raw_db: t.Any) -> None:
    db = _old_ledger(raw_db, 3)
    db.execute('INSERT INTO transfers (cal_id, source_host, target_host, state, created_at, updated_at) '
               "VALUES ('OLD', 'pc1', 'pc2', 'server_revoked', '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z')")
    db.execute("INSERT INTO observations (host, serial, observed_at) VALUES ('pc2', 'S1', '2025-01-03T00:00:00Z')")
    db.execute("INSERT INTO events (at, kind, transfer_id, cal_id, detail) "
               "VALUES ('2025-01-02T00:00:00Z', 'transfer_recorded', 1, 'OLD', '{}')")
    assert not V4_INDEXES & _indexes(db)
    db.close()
    with open_ledger(ledger_url) as ledger:
        assert ledger.schema_version() == 4
        assert [(r['id'], r['cal_id'], r['state']) for r in ledger.transfers(host='pc1')] == \
            [(1, 'OLD', 'server_revoked')]
        assert [r['serial'] for r in ledger.observations(host='pc2')] == ['S1']
        assert [(e['kind'], e['detail']) for e in ledger.events()] == \
            [('transfer_recorded', '{}'), ('schema_upgraded', '{"from": 3, "to": 4}')]
        # The rules of v2/v3 still hold on the upgraded ledger.
        assert ledger.mark('completed', transfer_id=1).changed
    db = raw_db()
    assert V4_INDEXES <= _indexes(db)
    assert db.execute('SELECT version FROM schema_version ORDER BY version') == [(1,), (2,), (3,), (4,)]


def test_dry_run_reads_a_v3_ledger_without_upgrading_it(ledger_url: str, raw_db: t.Any) -> None:
    db = _old_ledger(raw_db, 3)
    db.execute('INSERT INTO transfers (cal_id, source_host, target_host, state, created_at, updated_at) '
               "VALUES ('OLD', 'pc1', 'pc2', 'server_revoked', '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z')")
    db.close()
    with open_ledger(ledger_url, dry_run=True) as dry:
        assert [(host, kind) for host, kind, _row in dry.latest_per_host()] == \
            [('pc1', 'transfer_out'), ('pc2', 'transfer_in')]
    db = raw_db()
    assert db.execute('SELECT MAX(version) FROM schema_version') == [(3,)]
    assert not V4_INDEXES & _indexes(db)


def _fill(ledger: Ledger, hosts: int = 60, seed: int = 315262) -> None:
    """Clients that moved several times (reissues), observations seen several times, some at the same moment."""
    chance = random.Random(seed)
    for cal in range(hosts):
        source = 'pc%03d' % cal
        for move in range(1 + cal % 3):
            target = 'pc%03d' % chance.randrange(hosts, hosts * 2)
            if target == source:
                continue
            ledger.record_transfer(TransferRequest('CAL-%d' % cal, source, target,
                                                   reissue_reference='CH-%d-%d' % (cal, move) if move else None),
                                   allow_multiple_to_target=True)
            source = target
    ledger.record_observations([
        Observation('pc%03d' % chance.randrange(hosts * 2), serial='S%d' % index, temporary=bool(index % 2),
                    valid_to='2027-%02d-01' % (1 + index % 12), observed_at='2026-0%d-01' % (1 + index % 3))
        for index in range(hosts * 3)])


def _latest_in_python(ledger: Ledger) -> dict[tuple[str, str], dict[str, t.Any]]:
    """What the inventory used to compute from every row: the last transfer from / to each host in id order,
    the last observation in (observed_at, id) order."""
    latest: dict[tuple[str, str], dict[str, t.Any]] = {}
    for row in ledger.transfers():
        latest[row['source_host'], 'transfer_out'] = row
        latest[row['target_host'], 'transfer_in'] = row
    for row in ledger.observations():
        latest[row['host'], 'license'] = row
    return latest


def test_latest_per_host_is_the_latest_row_of_each_host(ledger: Ledger) -> None:
    _fill(ledger)
    streamed = list(ledger.latest_per_host())
    assert {(host, kind): row for host, kind, row in streamed} == _latest_in_python(ledger)
    assert len(streamed) == len({(host, kind) for host, kind, _row in streamed})  # one per host and kind
    kinds = [kind for _host, kind, _row in streamed]
    assert kinds == sorted(kinds, key=['transfer_out', 'transfer_in', 'license'].index)


def test_rows_are_read_in_batches(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger.record_observations([Observation('pc%d' % n, serial='S', observed_at='2026-01-01') for n in range(5)])
    monkeypatch.setattr(_backends, 'STREAM_BATCH', 2)
    batches = list(ledger._backend.stream(ledger._conn, 'SELECT host FROM observations ORDER BY id', ()))
    assert [[row[0] for row in batch] for _names, batch in batches] == [['pc0', 'pc1'], ['pc2', 'pc3'], ['pc4']]
    assert all(names == ['host'] for names, _batch in batches)


def _problems_sqlite(plan: list[str], fleet_wide: bool) -> list[str]:
    """The steps of an SQLite plan that read more than a lookup should: a lookup SEARCHes an index (or the
    primary key) and never SCANs a table; a fleet-wide read may scan, but an index, in the index's order."""
    coroutines = {line.split(' ', 1)[1] for line in plan if line.startswith('CO-ROUTINE ')}
    problems = []
    for line in plan:
        words = line.split(' ')
        if words[0] in ('SCAN', 'SEARCH') and words[1] not in coroutines:
            indexed = ' INDEX ' in line or 'INTEGER PRIMARY KEY' in line
            if not indexed or (words[0] == 'SCAN' and not fleet_wide):
                problems.append(line)
        elif fleet_wide and line.startswith('USE TEMP B-TREE'):
            problems.append(line)
    return problems


def _problems_postgresql(node: dict[str, t.Any], fleet_wide: bool) -> list[str]:
    """The same on PostgreSQL: no Seq Scan; a lookup's index scans all have an Index Cond; a fleet-wide read
    sorts nothing (the index gives the order)."""
    kind = node['Node Type']
    problems = []
    if kind == 'Seq Scan' or (fleet_wide and kind in ('Sort', 'Incremental Sort')):
        problems.append(kind)
    elif 'Index' in kind and 'Scan' in kind and not fleet_wide and 'Index Cond' not in node:
        problems.append('%s using %s without an index condition' % (kind, node.get('Index Name')))
    for child in node.get('Plans', ()):
        problems += _problems_postgresql(child, fleet_wide)
    return problems


def _problems(db: t.Any) -> dict[str, list[str]]:
    """name -> what its plan reads without an index (empty: nothing), for every lookup of the ledger."""
    found = {}
    if not db.is_sqlite:
        # The tables of a test are small enough for the planner to prefer reading them whole; forbidden to, it
        # shows whether an index can serve the lookup (a Seq Scan left means none can).
        db.execute('SET enable_seqscan = off')
    for name, (sql, example) in LOOKUPS.items():
        fleet_wide = not example  # the inventory's reads of every host take no parameter
        if db.is_sqlite:
            found[name] = _problems_sqlite([row[-1] for row in db.execute('EXPLAIN QUERY PLAN ' + sql, example)],
                                           fleet_wide)
        else:
            [(plan,)] = db.execute('EXPLAIN (FORMAT JSON) ' + sql, example)
            found[name] = _problems_postgresql(plan[0]['Plan'], fleet_wide)
    return found


def test_every_lookup_uses_an_index(ledger_url: str, raw_db: t.Any) -> None:
    with open_ledger(ledger_url) as ledger:
        _fill(ledger)
    problems = _problems(raw_db())
    assert {name: found for name, found in problems.items() if found} == {}
    assert {'latest transfer from each host', 'latest transfer to each host', 'latest observation of each host',
            'transfers by host', 'transfers of a CAL', 'CALs moving onto a target'} <= set(problems)


def test_the_v3_schema_scans_the_transfers_of_a_source(ledger_url: str, raw_db: t.Any) -> None:
    """The check above finds a full scan where there is one: v3 had no index on the source."""
    problems = _problems(_old_ledger(raw_db, 3))
    assert problems['transfers by host'] and problems['latest observation of each host']
    assert not problems['transfers of a CAL']


def test_a_stream_left_unread_ends_its_transaction(ledger_url: str, ledger: Ledger) -> None:
    _fill(ledger, hosts=10)
    stream = ledger.latest_per_host()
    next(stream)
    stream.close()
    # The reader's connection is back out of its transaction: it writes, and another writer is not held off.
    assert ledger.record_transfer(TransferRequest('CAL-NEW', 'pc900', 'pc901')).changed
    with open_ledger(ledger_url) as other:
        assert other.record_transfer(TransferRequest('CAL-OTHER', 'pc902', 'pc903')).changed
