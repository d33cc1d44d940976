# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The ledger: every operation is one transaction, written once for both backends.

Python reads first so that it can explain a refusal clearly; the database enforces the same rules
(see ``_schema``), so a writer that raced past the reading - another process, another controller - is
refused by a constraint, and the operation is retried to produce the clear explanation.
"""

from __future__ import annotations

import contextlib
import json
import typing as t

from ._backends import Backend, ConstraintViolation, backend_for
from ._model import (Observation, Outcome, Row, StateChangeRefused, TransferRefused, TransferRequest,
                     checked_text, utc_now)
from ._schema import (CURRENT_VERSION, INITIAL_STATE, INTENT_STATE, MIGRATIONS, SCHEMA_VERSION_TABLE,
                      TRANSITIONS, WAITING_FOR_TARGET, render)
from ._url import LedgerError, parse_url

# A lost race costs one retry; more than a few in a row means something else is wrong.
_RACE_RETRIES = 16
# The names refusals give the request's knobs: the Python API's own by default. A caller with other names
# (the transfer role's variables) passes them, so that a refusal says what the operator has to set.
DEFAULT_NAMES: t.Mapping[str, str] = {'reissue_reference': 'reissue_reference',
                                      'allow_multiple_to_target': 'allow_multiple_to_target'}
TRANSFER_FIELDS = tuple(f for f in TransferRequest.__dataclass_fields__)
OBSERVATION_FIELDS = ('host', 'hardware_id', 'license_server', 'serial', 'valid_to', 'temporary', 'observed_at')
TABLES = ('transfers', 'observations', 'events')

# Every lookup the ledger makes, by name, with example parameters: the code below uses the SQL registered here,
# and the tests and the benchmark check each one's query plan (schema v4 gives every one of them an index).
LOOKUPS: dict[str, tuple[str, tuple[t.Any, ...]]] = {}


def _lookup(name: str, sql: str, example: tuple[t.Any, ...]) -> str:
    LOOKUPS[name] = (sql, example)
    return sql


_HISTORY = _lookup('transfers of a CAL', 'SELECT * FROM transfers WHERE cal_id = ? ORDER BY sequence', ('CAL',))
_LATEST_OF_CAL = _lookup('latest transfer of a CAL',
                         'SELECT * FROM transfers WHERE cal_id = ? ORDER BY sequence DESC LIMIT 1', ('CAL',))
_TRANSFER_BY_ID = _lookup('transfer by id', 'SELECT * FROM transfers WHERE id = ?', (1,))
_REFERENCE_USED = _lookup('transfer of a CAL by reissue reference',
                          'SELECT id FROM transfers WHERE cal_id = ? AND reissue_reference = ?', ('CAL', 'CH-1'))
# CALs whose latest move ends at a target (a CAL that moved on from it no longer counts), from another source.
_INCOMING = _lookup('CALs moving onto a target',
                    'SELECT * FROM transfers AS t WHERE target_host = ? AND cal_id <> ? AND source_host <> ? '
                    'AND sequence = (SELECT MAX(sequence) FROM transfers AS u WHERE u.cal_id = t.cal_id) '
                    'ORDER BY id', ('pc2', 'CAL', 'pc1'))
_INSERT_TRANSFER = _lookup(
    'next sequence of a CAL (recording a transfer)',
    'INSERT INTO transfers (%s, sequence, state, created_at, updated_at) VALUES (%s, '
    '(SELECT COALESCE(MAX(sequence), 0) + 1 FROM transfers WHERE cal_id = ?), ?, ?, ?) RETURNING *'
    % (', '.join(TRANSFER_FIELDS), ', '.join('?' * len(TRANSFER_FIELDS))),
    tuple('CAL' if f == 'cal_id' else 'x' for f in TRANSFER_FIELDS) + ('CAL', 'source_cleared', 'now', 'now'))
_RENEW_INTENT = _lookup('renewing an intent', 'UPDATE transfers SET backup_path = ?, backup_sha256 = ?, updated_at = ? '
                        'WHERE id = ? RETURNING *', ('x', 'a' * 64, 'now', 1))
_CLEAR_INTENT = _lookup('moving an intent on', 'UPDATE transfers SET state = ?, backup_path = ?, backup_sha256 = ?, '
                        'updated_at = ? WHERE id = ? AND state = ? RETURNING *',
                        ('source_cleared', 'x', 'a' * 64, 'now', 1, INTENT_STATE))
_MARK = _lookup('marking a transfer', 'UPDATE transfers SET state = ?, reissue_reference = ?, updated_at = ?, '
                'completed_at = ? WHERE id = ? AND state = ? RETURNING id',
                ('completed', 'CH-1', 'now', 'now', 1, 'server_revoked'))
_COMPLETE = _lookup('completing the transfers to a target',
                    'UPDATE transfers SET state = ?, updated_at = ?, completed_at = ? '
                    'WHERE target_host = ? AND state IN (?, ?) AND created_at <= ? RETURNING *',
                    ('completed', 'now', 'now', 'pc2') + WAITING_FOR_TARGET + ('now',))
_OBSERVATION_BY_ID = _lookup('observation by id', 'SELECT * FROM observations WHERE id = ?', (1,))
_OBSERVATIONS_OF_HOST = _lookup('observations of a host',
                                'SELECT * FROM observations WHERE host = ? ORDER BY observed_at, id', ('pc1',))
# transfers(cal_id, host, state): (name, condition, example value) of each filter.
_TRANSFER_FILTERS = (('CAL', 'cal_id = ?', 'CAL'), ('host', '(source_host = ? OR target_host = ?)', 'pc1'),
                     ('state', 'state = ?', 'completed'))


def _transfers_sql(filters: t.Sequence[tuple[str, str, t.Any]]) -> str:
    return 'SELECT * FROM transfers%s ORDER BY id' % (
        ' WHERE ' + ' AND '.join(condition for _name, condition, _example in filters) if filters else '')


def _register_transfer_lookups() -> None:
    """Each combination of the filters of transfers() is a lookup of its own; the state alone is not one (a
    listing of a good part of the table, which a scan serves best)."""
    for used in range(1, 2 ** len(_TRANSFER_FILTERS)):
        filters = [f for bit, f in enumerate(_TRANSFER_FILTERS) if used & (1 << bit)]
        if [name for name, _condition, _example in filters] == ['state']:
            continue
        _lookup('transfers by ' + ' and '.join(name for name, _condition, _example in filters), _transfers_sql(filters),
                tuple(example for _name, condition, example in filters for _mark in range(condition.count('?'))))


_register_transfer_lookups()
# The inventory's picture: the latest row of each host (the one no later row of the same host follows), read
# in the order of the v4 indexes. The last column (newer_id) is dropped.
_LATEST = ('SELECT * FROM (SELECT r.*, LEAD(id) OVER (PARTITION BY %s ORDER BY %s) AS newer_id FROM %s AS r) '
           'AS latest WHERE newer_id IS NULL')
LATEST_KINDS = {
    'transfer_out': _lookup('latest transfer from each host', _LATEST % ('source_host', 'id', 'transfers'), ()),
    'transfer_in': _lookup('latest transfer to each host', _LATEST % ('target_host', 'id', 'transfers'), ()),
    'license': _lookup('latest observation of each host', _LATEST % ('host', 'observed_at, id', 'observations'), ()),
}
_HOST_COLUMN = {'transfer_out': 'source_host', 'transfer_in': 'target_host', 'license': 'host'}


class _Transaction:
    """Thin helpers over one connection inside BEGIN ... COMMIT."""

    def __init__(self, conn: t.Any, backend: Backend) -> None:
        self._conn = conn
        self._backend = backend

    def run(self, sql: str, params: t.Sequence[t.Any] = ()) -> t.Any:
        return self._backend.execute(self._conn, sql, tuple(params))

    def rows(self, sql: str, params: t.Sequence[t.Any] = ()) -> list[Row]:
        cursor = self.run(sql, params)
        names = [d[0] for d in cursor.description]
        return [_clean(dict(zip(names, values))) for values in cursor.fetchall()]

    def stream(self, sql: str, params: t.Sequence[t.Any] = ()) -> t.Iterator[Row]:
        for names, batch in self._backend.stream(self._conn, sql, tuple(params)):
            for values in batch:
                yield _clean(dict(zip(names, values)))

    def one(self, sql: str, params: t.Sequence[t.Any] = ()) -> Row | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def value(self, sql: str, params: t.Sequence[t.Any] = ()) -> t.Any:
        # fetchall, not fetchone: SQLite finishes an INSERT ... RETURNING only when it is read to the end.
        found = self.run(sql, params).fetchall()
        return found[0][0] if found else None

    def event(self, kind: str, detail: t.Mapping[str, t.Any], transfer: Row | None = None,
              host: str | None = None, operator: str | None = None) -> None:
        self.run('INSERT INTO events (at, kind, transfer_id, cal_id, host, operator, detail) '
                 'VALUES (?, ?, ?, ?, ?, ?, ?)',
                 (utc_now(), kind, transfer and transfer['id'], transfer and transfer['cal_id'],
                  host, operator, json.dumps(dict(detail), sort_keys=True, ensure_ascii=False)))


def _clean(row: Row) -> Row:
    if 'temporary' in row and row['temporary'] is not None:
        row['temporary'] = bool(row['temporary'])
    return row


class Ledger:
    """The transfer ledger. ``dry_run`` (check mode): every transaction is rolled back, nothing is
    created or upgraded on disk, and results say what *would* change."""

    def __init__(self, url: str | None = None, dry_run: bool = False) -> None:
        location = parse_url(url)
        self.location = location.display
        self.dry_run = dry_run
        self._backend = backend_for(location)
        self._conn = self._backend.connect(dry_run)
        try:
            # A dry run upgrades an old ledger inside each of its (rolled-back) transactions instead.
            self._upgrade_in_dry_run = False
            if not self._is_current():
                if dry_run:
                    self._upgrade_in_dry_run = True
                else:
                    with self._transaction() as tx:
                        self._upgrade(tx)
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return '<Ledger %s%s>' % (self.location, ' (dry run)' if self.dry_run else '')

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.close()

    def __enter__(self) -> 'Ledger':
        return self

    def __exit__(self, *exc_info: t.Any) -> None:
        self.close()

    # -- transactions and schema ------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self, write: bool = True) -> t.Iterator[_Transaction]:
        tx = _Transaction(self._conn, self._backend)
        with self._backend.translating_errors():
            # A read of a current ledger (in a dry run too) never takes the write lock: on SQLite a reader
            # streaming the inventory must not hold off the writers for as long as it takes.
            tx.run(self._backend.begin_write if write or self._upgrade_in_dry_run else self._backend.begin_read)
            ended = False
            try:
                if self._upgrade_in_dry_run:
                    self._upgrade(tx)
                yield tx
                ended = True
                tx.run('ROLLBACK' if self.dry_run or not write else 'COMMIT')
            finally:
                # Whatever stopped the work (an error, a reader that stopped reading a stream): undo it.
                if not ended:
                    with contextlib.suppress(Exception):
                        tx.run('ROLLBACK')

    def _upgrade(self, tx: _Transaction) -> int:
        """Bring the schema to CURRENT_VERSION inside ``tx``; returns the version found."""
        for sql, params in self._backend.migration_lock:
            tx.run(sql, params)
        tx.run(SCHEMA_VERSION_TABLE)
        found = tx.value('SELECT MAX(version) FROM schema_version') or 0
        if found > CURRENT_VERSION:
            raise LedgerError('ledger %s has schema version %d; this collection knows up to %d - upgrade '
                              'tslicensing.cal' % (self.location, found, CURRENT_VERSION))
        for version in range(found + 1, CURRENT_VERSION + 1):
            for statement in render(MIGRATIONS[version], self._backend.dialect):
                tx.run(statement)
            tx.run('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)', (version, utc_now()))
        if found and found < CURRENT_VERSION:
            tx.event('schema_upgraded', {'from': found, 'to': CURRENT_VERSION})
        return found

    def _is_current(self) -> bool:
        """A read-only look first, so that opening an up-to-date ledger never waits for the write lock. One
        statement outside BEGIN ... COMMIT (autocommit: its own snapshot): one round trip per open, not three."""
        try:
            with self._backend.translating_errors():
                found = self._backend.execute(self._conn, 'SELECT MAX(version) FROM schema_version', ()).fetchall()
            return bool(found) and found[0][0] == CURRENT_VERSION
        except LedgerError:
            return False  # no schema yet (or unreadable: the upgrade transaction will say why)

    def schema_version(self) -> int:
        with self._transaction(write=False) as tx:
            return int(tx.value('SELECT MAX(version) FROM schema_version') or 0)

    def _retrying(self, operation: t.Callable[[_Transaction], t.Any]) -> t.Any:
        """Run ``operation`` in a write transaction; a constraint refusal means another writer got there
        first, so run it again: this time the reading sees that writer's row and explains."""
        last: ConstraintViolation | None = None
        for _attempt in range(_RACE_RETRIES):
            try:
                with self._transaction() as tx:
                    return operation(tx)
            except ConstraintViolation as exc:
                last = exc
        raise LedgerError('ledger %s: the database refused the write %d times in a row although the ledger\'s '
                          'own checks accepted it (another writer kept changing the same records, or the '
                          'database holds rules this collection does not know): %s'
                          % (self.location, _RACE_RETRIES, last))

    def _lock(self, tx: _Transaction, *keys: str) -> None:
        """Serialise the writers of the same keys (always taken in the order given: CAL, then target)."""
        if self._backend.key_lock is not None:
            # One round trip; the select list is evaluated left to right, so the order holds.
            tx.run('SELECT ' + ', '.join([self._backend.key_lock] * len(keys)), keys)

    # -- transfers --------------------------------------------------------------------------------

    def check_transfer(self, request: TransferRequest, allow_multiple_to_target: bool = False,
                       names: t.Mapping[str, str] | None = None) -> list[str]:
        """Why the ledger would refuse the transfer ``request`` now (empty: it would accept it). Read-only:
        callers decide before they change anything; the writes check again (and the database's rules hold
        whoever writes). An interrupted transfer of the same CAL between the same ends is accepted: a rerun
        finishes it."""
        with self._transaction(write=False) as tx:
            history = _history(tx, request.cal_id)
            if _pending_intent(history, request) is not None:
                return []
            return _refusals(tx, history, request, allow_multiple_to_target, {**DEFAULT_NAMES, **(names or {})})

    def record_intent(self, request: TransferRequest, allow_multiple_to_target: bool = False,
                      names: t.Mapping[str, str] | None = None,
                      backups: t.Sequence[t.Mapping[str, t.Any]] = ()) -> Outcome:
        """Record, before the client's store is deleted, that ``request.cal_id`` is about to leave
        ``request.source_host`` (state ``intent_recorded``, with the verified backup of its view and every
        backup of the removal in the event log). The same intent again (a rerun after a fault that left the
        store in place) renews its backup; any rule that refuses the transfer refuses the intent."""
        return self.record_intents([request], allow_multiple_to_target, names, backups)[0]

    def record_intents(self, requests: t.Sequence[TransferRequest], allow_multiple_to_target: bool = False,
                       names: t.Mapping[str, str] | None = None,
                       backups: t.Sequence[t.Mapping[str, t.Any]] = ()) -> list[Outcome]:
        """:meth:`record_intent` for every CAL of one removal, in one transaction: all or none."""
        merged = {**DEFAULT_NAMES, **(names or {})}
        return self._retrying(lambda tx: [self._record_intent(tx, request, allow_multiple_to_target, merged, backups)
                                          for request in requests])

    def _record_intent(self, tx: _Transaction, request: TransferRequest, allow_multiple_to_target: bool,
                       names: t.Mapping[str, str], backups: t.Sequence[t.Mapping[str, t.Any]]) -> Outcome:
        self._lock(tx, 'cal:' + request.cal_id, 'target:' + request.target_host)
        history = _history(tx, request.cal_id)
        pending = _pending_intent(history, request)
        detail = {'backups': [dict(b) for b in backups]}
        if pending is not None:
            if (pending['backup_path'], pending['backup_sha256']) == (request.backup_path, request.backup_sha256):
                return Outcome(False, pending)
            record = tx.one(_RENEW_INTENT, (request.backup_path, request.backup_sha256, utc_now(), pending['id']))
            tx.event('transfer_intent_renewed', detail, record, request.source_host, request.operator)
            return Outcome(True, record)
        refusals = _refusals(tx, history, request, allow_multiple_to_target, names)
        if refusals:
            raise TransferRefused('; '.join(refusals))
        record = self._insert_transfer(tx, request, INTENT_STATE)
        tx.event('transfer_intent_recorded', {**{k: v for k, v in record.items() if v is not None}, **detail},
                 record, request.source_host, request.operator)
        return Outcome(True, record)

    def record_transfer(self, request: TransferRequest, allow_multiple_to_target: bool = False,
                        names: t.Mapping[str, str] | None = None) -> Outcome:
        """Record that ``request.cal_id`` moved (source cleared): moves its intent on to ``source_cleared``
        when one was recorded, else records the transfer at once. Recording the same transfer again changes
        nothing; a second move of the CAL needs a Clearinghouse reissue reference."""
        return self._retrying(lambda tx: self._record_transfer(
            tx, request, allow_multiple_to_target, {**DEFAULT_NAMES, **(names or {})}))

    def _record_transfer(self, tx: _Transaction, request: TransferRequest, allow_multiple_to_target: bool,
                         names: t.Mapping[str, str]) -> Outcome:
        self._lock(tx, 'cal:' + request.cal_id, 'target:' + request.target_host)
        history = _history(tx, request.cal_id)
        pending = _pending_intent(history, request)
        if pending is not None:
            record = tx.one(
                _CLEAR_INTENT,
                ('source_cleared', request.backup_path or pending['backup_path'],
                 request.backup_sha256 or pending['backup_sha256'], utc_now(), pending['id'], INTENT_STATE))
            if record is None:
                raise ConstraintViolation('transfer #%d changed concurrently' % pending['id'])
            tx.event('transfer_marked', {'from': INTENT_STATE, 'to': 'source_cleared'}, record,
                     request.source_host, request.operator)
            return Outcome(True, record)
        same = _same_transfer(history, request)
        if same is not None:
            return Outcome(False, same)
        refusals = _refusals(tx, history, request, allow_multiple_to_target, names)
        if refusals:
            raise TransferRefused('; '.join(refusals))
        record = self._insert_transfer(tx, request, INITIAL_STATE)
        tx.event('transfer_recorded', {k: v for k, v in record.items() if v is not None}, record,
                 request.source_host, request.operator)
        return Outcome(True, record)

    @staticmethod
    def _insert_transfer(tx: _Transaction, request: TransferRequest, state: str) -> Row:
        now = utc_now()
        values = [getattr(request, f) for f in TRANSFER_FIELDS]
        # The sequence is allocated inside the locked transaction (see _lock); the unique index still holds.
        record = tx.one(
            _INSERT_TRANSFER,
            values + [request.cal_id, state, now, now])
        if record is None:
            raise AssertionError('INSERT ... RETURNING returned no row')
        return record

    def mark(self, state: str, transfer_id: int | None = None, cal_id: str | None = None,
             reissue_reference: str | None = None, operator: str | None = None) -> Outcome:
        """Move a transfer (by id, or the latest of ``cal_id``) to ``state``; already there: no change."""
        if (transfer_id is None) == (cal_id is None):
            raise LedgerError('name the transfer by exactly one of transfer_id or cal_id')
        return self._retrying(lambda tx: self._mark(tx, state, transfer_id, cal_id, reissue_reference, operator))

    def _mark(self, tx: _Transaction, state: str, transfer_id: int | None, cal_id: str | None,
              reference: str | None, operator: str | None) -> Outcome:
        current = _find_transfer(tx, transfer_id, cal_id)
        reference = reference or current['reissue_reference']
        if current['state'] == state and reference == current['reissue_reference']:
            return Outcome(False, current)
        _check_state_change(current, state, reference)
        if reference != current['reissue_reference']:
            _check_reference_unused(tx, current, reference)
        now = utc_now()
        updated = tx.value(
            _MARK,
            (state, reference, now, now if state == 'completed' else current['completed_at'],
             current['id'], current['state']))
        if updated is None:
            # Someone moved it between our read and our write: read again.
            raise ConstraintViolation('transfer #%d changed concurrently' % current['id'])
        record = tx.one(_TRANSFER_BY_ID, (current['id'],))
        if record is None:
            raise AssertionError('transfer #%d vanished inside its own transaction' % current['id'])
        tx.event('transfer_marked', {'from': current['state'], 'to': state, 'reissue_reference': reference},
                 record, None, operator)
        return Outcome(True, record)

    # -- observations -----------------------------------------------------------------------------

    def record_observations(self, observations: t.Sequence[Observation], operator: str | None = None) -> Outcome:
        """Store what audits saw; a target seen holding a permanent license completes the transfers
        waiting for it. The same observation twice is stored once."""
        return self._retrying(lambda tx: self._record_observations(tx, observations, operator))

    def _record_observations(self, tx: _Transaction, observations: t.Sequence[Observation],
                             operator: str | None) -> Outcome:
        stored: list[Row] = []
        completed: list[Row] = []
        for observation in observations:
            values = [getattr(observation, f) for f in OBSERVATION_FIELDS]
            values[OBSERVATION_FIELDS.index('temporary')] = int(observation.temporary)
            row_id = tx.value('INSERT INTO observations (%s) VALUES (%s) ON CONFLICT DO NOTHING RETURNING id'
                              % (', '.join(OBSERVATION_FIELDS), ', '.join('?' * len(OBSERVATION_FIELDS))),
                              values)
            if row_id is None:
                continue
            stored.append(t.cast(Row, tx.one(_OBSERVATION_BY_ID, (row_id,))))
            tx.event('license_observed', {f: getattr(observation, f) for f in OBSERVATION_FIELDS},
                     host=observation.host, operator=operator)
            if not observation.temporary:
                completed += self._complete_transfers_to(tx, observation, operator)
        return Outcome(bool(stored), None, stored, completed)

    def _complete_transfers_to(self, tx: _Transaction, observation: Observation, operator: str | None) -> list[Row]:
        done = tx.rows(
            _COMPLETE,
            ('completed', utc_now(), observation.observed_at, observation.host) + WAITING_FOR_TARGET
            + (observation.observed_at,))
        for record in done:
            tx.event('transfer_completed', {'seen_holding': observation.serial, 'observed_at': observation.observed_at},
                     record, observation.host, operator)
        return done

    # -- events -----------------------------------------------------------------------------------

    def record_event(self, kind: str, detail: t.Mapping[str, t.Any], host: str | None = None,
                     operator: str | None = None) -> Outcome:
        """Append one event to the log (e.g. an operator's override of a safety check); never changes a transfer."""
        kind = t.cast(str, checked_text(kind, 'kind', required=True))
        host, operator = checked_text(host, 'host'), checked_text(operator, 'operator')
        with self._transaction() as tx:
            tx.event(kind, detail, host=host, operator=operator)
        return Outcome(not self.dry_run)

    # -- reading ----------------------------------------------------------------------------------

    def transfers(self, cal_id: str | None = None, host: str | None = None, state: str | None = None) -> list[Row]:
        """Transfers, oldest first; ``host`` matches either end."""
        given = [(f, value) for f, value in zip(_TRANSFER_FILTERS, (cal_id, host, state)) if value is not None]
        params = [value for (_name, condition, _example), value in given for _mark in range(condition.count('?'))]
        with self._transaction(write=False) as tx:
            return tx.rows(_transfers_sql([f for f, _value in given]), params)

    def observations(self, host: str | None = None) -> list[Row]:
        with self._transaction(write=False) as tx:
            if host is None:
                return tx.rows('SELECT * FROM observations ORDER BY observed_at, id')
            return tx.rows(_OBSERVATIONS_OF_HOST, (host,))

    def latest_per_host(self) -> t.Iterator[tuple[str, str, Row]]:
        """(host, kind, row) for the latest row of each kind of every host: ``transfer_out`` (its latest transfer
        away), ``transfer_in`` (its latest transfer to it), ``license`` (its latest observation). Streamed from one
        read transaction (one snapshot), kind after kind, each in host order; never the whole tables at once."""
        with self._transaction(write=False) as tx:
            for kind, sql in LATEST_KINDS.items():
                column = _HOST_COLUMN[kind]
                for row in tx.stream(sql):
                    del row['newer_id']
                    yield row[column], kind, row

    def events(self) -> list[Row]:
        with self._transaction(write=False) as tx:
            return tx.rows('SELECT * FROM events ORDER BY id')

    def table(self, name: str) -> list[Row]:
        if name not in TABLES:
            raise LedgerError('unknown ledger table %r (one of %s)' % (name, ', '.join(TABLES)))
        return {'transfers': self.transfers, 'observations': self.observations, 'events': self.events}[name]()


def _same_transfer(history: list[Row], request: TransferRequest) -> Row | None:
    """The recorded transfer that ``request`` repeats, if any: same CAL, same ends, and the same
    reissue reference when the request names one."""
    for row in reversed(history):
        if (row['source_host'], row['target_host']) == (request.source_host, request.target_host) and \
                request.reissue_reference in (None, row['reissue_reference']):
            return row
    return None


def _history(tx: _Transaction, cal_id: str) -> list[Row]:
    return tx.rows(_HISTORY, (cal_id,))


def _pending_intent(history: list[Row], request: TransferRequest) -> Row | None:
    """The interrupted transfer (intent recorded, removal not yet confirmed) that ``request`` repeats."""
    return _same_transfer([row for row in history if row['state'] == INTENT_STATE], request)


def _refusals(tx: _Transaction, history: list[Row], request: TransferRequest, allow_multiple_to_target: bool,
              names: t.Mapping[str, str]) -> list[str]:
    """Every ledger rule that refuses ``request``, each saying what the ledger knows and what to set."""
    refusals = []
    if history:
        latest = history[-1]
        if latest['state'] == INTENT_STATE:
            refusals.append(
                'CAL %r has an interrupted transfer from %s to %s (transfer #%d, intent recorded %s, backup %s): '
                'run that transfer again to finish it' % (request.cal_id, latest['source_host'],
                                                          latest['target_host'], latest['id'], latest['created_at'],
                                                          latest['backup_path'] or 'not recorded'))
        elif request.reissue_reference is None:
            refusals.append(
                'CAL %r was already transferred to %s on %s (transfer #%d from %s, state %s); the TS CAL EULA '
                'allows one transfer: set %s to the Clearinghouse reissue reference to transfer it again'
                % (request.cal_id, latest['target_host'], latest['created_at'], latest['id'],
                   latest['source_host'], latest['state'], names['reissue_reference']))
        used = [row for row in history if request.reissue_reference is not None
                and row['reissue_reference'] == request.reissue_reference]
        if used:
            refusals.append('Clearinghouse reissue reference %r (%s) already covers transfer #%d of CAL %r to %s; '
                            'each reissue allows one transfer'
                            % (request.reissue_reference, names['reissue_reference'], used[0]['id'],
                               request.cal_id, used[0]['target_host']))
    if not allow_multiple_to_target:
        # Only CALs from another source: the CALs of one client (two views, two CALs) move to its replacement
        # together.
        incoming = tx.rows(_INCOMING, (request.target_host, request.cal_id, request.source_host))
        if incoming:
            refusals.append('the target %s already receives %s; set %s to true to move another CAL onto it'
                            % (request.target_host, ', '.join(
                                'CAL %r (transfer #%d from %s, recorded %s, state %s)'
                                % (row['cal_id'], row['id'], row['source_host'], row['created_at'], row['state'])
                                for row in incoming), names['allow_multiple_to_target']))
    return refusals


def _find_transfer(tx: _Transaction, transfer_id: int | None, cal_id: str | None) -> Row:
    if transfer_id is not None:
        found = tx.one(_TRANSFER_BY_ID, (transfer_id,))
        what = 'transfer #%d' % transfer_id
    else:
        found = tx.one(_LATEST_OF_CAL, (cal_id,))
        what = 'transfer of CAL %r' % cal_id
    if found is None:
        raise LedgerError('no %s in the ledger' % what)
    return found


def _check_state_change(current: Row, state: str, reference: str | None) -> None:
    if current['state'] != state and (current['state'], state) not in TRANSITIONS:
        allowed = sorted(to for frm, to in TRANSITIONS if frm == current['state'])
        raise StateChangeRefused('transfer #%d is %s; it can move to %s, not %s'
                                 % (current['id'], current['state'], ' or '.join(allowed) or 'nothing', state))
    if state == 'reissue_requested' and not reference:
        raise StateChangeRefused('transfer #%d: reissue_requested needs the Clearinghouse reissue reference'
                                 % current['id'])
    if current['reissue_reference'] and reference != current['reissue_reference']:
        raise StateChangeRefused('transfer #%d already has reissue reference %r'
                                 % (current['id'], current['reissue_reference']))


def _check_reference_unused(tx: _Transaction, current: Row, reference: str | None) -> None:
    other = tx.one(_REFERENCE_USED, (current['cal_id'], reference))
    if other is not None:
        raise StateChangeRefused('Clearinghouse reissue reference %r already covers transfer #%d of CAL %r'
                                 % (reference, other['id'], current['cal_id']))


def open_ledger(url: str | None = None, dry_run: bool = False) -> Ledger:
    """Open (creating and upgrading as needed) the ledger at ``url``; ``None``: ``$TSCAL_LEDGER_URL``,
    else ``sqlite://~/.local/share/tslicensing.cal/ledger.sqlite3``."""
    return Ledger(url, dry_run=dry_run)
