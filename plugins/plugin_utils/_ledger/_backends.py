# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The two storage backends: how to connect, how a write transaction starts, what a driver error means.

Both run their connections in autocommit mode and issue BEGIN/COMMIT themselves, so the ledger code
above them sees one transaction model:

* SQLite: WAL (readers never block the writer), ``busy_timeout``, and ``BEGIN IMMEDIATE`` so a writer
  takes the write lock before it reads what it will decide on - no lost updates between processes.
* PostgreSQL: READ COMMITTED plus the schema's unique indexes. Writers of the same CAL (and to the same
  target) are serialised by transaction-scoped advisory locks taken before they read, so the next
  sequence number is allocated by one writer at a time (without them, 50 writers of one CAL collided on
  ``transfers_cal_sequence``); a writer that still loses a race gets a unique violation and is retried.
  Schema upgrades are serialised with another advisory lock.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import time
import typing as t

from .. import _private_files
from ._model import LedgerUnavailable
from ._schema import POSTGRESQL_DIALECT, SQLITE_DIALECT, Dialect
from ._url import POSTGRESQL, SQLITE, LedgerError, LedgerLocation

DEFAULT_TIMEOUT = 30.0
# Rows read from the database at a time by a streaming read.
STREAM_BATCH = 1000
# Any constant will do; it only has to be the same for every process upgrading the same database.
_MIGRATION_LOCK_KEY = 315262


class ConstraintViolation(LedgerError):
    """The database refused a write (unique index, CHECK or trigger); the caller decides what it means."""


class Backend:
    """Base of the backends; see the module docstring."""

    dialect: Dialect
    begin_write: str = 'BEGIN'
    begin_read: str = 'BEGIN'
    migration_lock: tuple[tuple[str, tuple[t.Any, ...]], ...] = ()
    # SQL expression taking a transaction-scoped lock on one text key (a CAL, a target), or None where the
    # write transaction already serialises every writer.
    key_lock: str | None = None

    def __init__(self, location: LedgerLocation) -> None:
        self.location = location
        self.timeout = DEFAULT_TIMEOUT if location.timeout is None else location.timeout

    def connect(self, dry_run: bool) -> t.Any:
        raise NotImplementedError

    def execute(self, conn: t.Any, sql: str, params: tuple[t.Any, ...]) -> t.Any:
        """Statements are written with ``?`` placeholders; values always travel as parameters."""
        return conn.execute(sql, params)

    def stream(self, conn: t.Any, sql: str, params: tuple[t.Any, ...]) -> t.Iterator[tuple[list[str], list[t.Any]]]:
        """(column names, a batch of rows) for each batch of the result of ``sql``, never the whole result at once."""
        cursor = self.execute(conn, sql, params)
        names = [d[0] for d in cursor.description]
        while True:
            batch = cursor.fetchmany(STREAM_BATCH)
            if not batch:
                return
            yield names, batch

    def translating_errors(self) -> t.ContextManager[None]:
        """A context manager that turns the driver's errors into the ledger's."""
        raise NotImplementedError

    def _message(self, exc: BaseException) -> str:
        return self.location.scrub(str(exc).strip())


class SqliteBackend(Backend):
    dialect = SQLITE_DIALECT
    begin_write = 'BEGIN IMMEDIATE'
    begin_read = 'BEGIN DEFERRED'

    def connect(self, dry_run: bool) -> sqlite3.Connection:
        path = self.location.path
        if path is None:
            raise AssertionError('a SQLite ledger location always has a path')
        if dry_run and not os.path.exists(path):
            # Check mode must not create the ledger: work on an empty one in memory instead.
            path = ':memory:'
        elif not dry_run:
            _create_private_file(path)
        with self.translating_errors():
            conn = sqlite3.connect(path, timeout=self.timeout, isolation_level=None)
            conn.execute('PRAGMA busy_timeout = %d' % int(self.timeout * 1000))
            if not dry_run:
                _use_wal(conn, self.timeout)
        return conn

    @contextlib.contextmanager
    def translating_errors(self) -> t.Iterator[None]:
        try:
            yield
        except sqlite3.IntegrityError as exc:
            raise ConstraintViolation('ledger %s refused the change: %s'
                                      % (self.location.display, self._message(exc))) from None
        except sqlite3.OperationalError as exc:
            text = self._message(exc)
            if 'locked' in text or 'busy' in text:
                raise LedgerUnavailable('ledger %s is locked by another writer; gave up after %g s (%s)'
                                        % (self.location.display, self.timeout, text)) from None
            raise LedgerUnavailable('cannot use ledger %s: %s' % (self.location.display, text)) from None
        except sqlite3.Error as exc:
            raise LedgerError('ledger %s: %s' % (self.location.display, self._message(exc))) from None


def _use_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Put the ledger file in WAL mode (a property of the file, set by the first connection that gets there).

    Switching needs a moment when no other connection is using the file, and SQLite answers "database is
    locked" at once instead of waiting for it (the busy timeout does not apply), so several processes opening
    a new ledger together (forks of one play) retry here until the timeout.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            if conn.execute('PRAGMA journal_mode').fetchone()[0].lower() == 'wal':
                return
            if conn.execute('PRAGMA journal_mode = WAL').fetchone()[0].lower() == 'wal':
                return
        except sqlite3.OperationalError as exc:
            if 'locked' not in str(exc) and 'busy' not in str(exc):
                raise
        if time.monotonic() >= deadline:
            raise sqlite3.OperationalError('database is locked (could not switch it to WAL mode)')
        time.sleep(0.02)


def _create_private_file(path: str) -> None:
    """The ledger file 0600 in a 0700 directory (the directory only when we create it)."""
    directory = os.path.dirname(path)
    try:
        _private_files.make_private_dir(directory)
        if not os.path.exists(path):
            with contextlib.suppress(FileExistsError):
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                os.chmod(path, 0o600)
    except OSError as exc:
        raise LedgerUnavailable('cannot create ledger file %s: %s' % (path, exc.strerror or exc)) from None


class PostgresBackend(Backend):
    dialect = POSTGRESQL_DIALECT
    begin_write = 'BEGIN ISOLATION LEVEL READ COMMITTED'
    # One snapshot for a whole query or export.
    begin_read = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'
    migration_lock = (('SELECT pg_advisory_xact_lock(?)', (_MIGRATION_LOCK_KEY,)),)
    # The two-key form: its own key space, apart from the migration lock's.
    key_lock = 'pg_advisory_xact_lock(%d, hashtext(?))' % _MIGRATION_LOCK_KEY

    def __init__(self, location: LedgerLocation) -> None:
        super().__init__(location)
        try:
            import psycopg
            import psycopg.conninfo  # noqa: F401  (a submodule: imported for connect())
        except ImportError:
            raise LedgerError('the PostgreSQL ledger %s needs the Python package psycopg (3.1 or later) on the '
                              'controller: pip install "psycopg[binary]"' % location.display) from None
        self._psycopg = psycopg

    def execute(self, conn: t.Any, sql: str, params: tuple[t.Any, ...]) -> t.Any:
        # Our statements hold no literal ? and, when they have parameters, no literal %: the translation
        # is exact. Without parameters the text goes as is (the DDL may hold %).
        if not params:
            return conn.execute(sql)
        return conn.execute(sql.replace('?', '%s'), params)

    def stream(self, conn: t.Any, sql: str, params: tuple[t.Any, ...]) -> t.Iterator[tuple[list[str], list[t.Any]]]:
        # psycopg's execute() reads the whole result into memory; stream() reads it as it comes (in chunks where
        # libpq can, from version 17).
        chunk = STREAM_BATCH if self._psycopg.pq.version() >= 170000 else 1
        with conn.cursor() as cursor:
            batch: list[t.Any] = []
            names: list[str] = []
            for row in cursor.stream(sql.replace('?', '%s') if params else sql, params or None, size=chunk):
                if not names:
                    names = [d[0] for d in cursor.description]
                batch.append(row)
                if len(batch) >= STREAM_BATCH:
                    yield names, batch
                    batch = []
            if batch:
                yield names, batch

    def connect(self, dry_run: bool) -> t.Any:
        with self.translating_errors():
            # Waiting for a row, table or advisory lock also ends after the timeout, as on SQLite; set at
            # connection start-up, so that it costs no round trip of its own.
            given = self._psycopg.conninfo.conninfo_to_dict(self.location.driver_url).get('options') or ''
            conn = self._psycopg.connect(self.location.driver_url, autocommit=True,
                                         connect_timeout=max(2, math.ceil(self.timeout)),
                                         options=('%s -c lock_timeout=%d' % (given, int(self.timeout * 1000))).strip())
        return conn

    @contextlib.contextmanager
    def translating_errors(self) -> t.Iterator[None]:
        errors = self._psycopg.errors
        try:
            yield
        except self._psycopg.IntegrityError as exc:
            raise ConstraintViolation('ledger %s refused the change: %s'
                                      % (self.location.display, self._message(exc))) from None
        except errors.LockNotAvailable as exc:
            raise LedgerUnavailable('ledger %s is locked by another writer; gave up after %g s (%s)'
                                    % (self.location.display, self.timeout, self._message(exc))) from None
        except self._psycopg.OperationalError as exc:
            raise LedgerUnavailable('cannot reach ledger %s: %s' % (self.location.display, self._message(exc))) from None
        except self._psycopg.Error as exc:
            raise LedgerError('ledger %s: %s' % (self.location.display, self._message(exc))) from None


_BACKENDS: dict[str, type[Backend]] = {SQLITE: SqliteBackend, POSTGRESQL: PostgresBackend}


def backend_for(location: LedgerLocation) -> Backend:
    """The backend of a parsed ledger URL; a scheme without one is refused, never guessed."""
    try:
        backend = _BACKENDS[location.scheme]
    except KeyError:
        raise LedgerError('no ledger backend for %s (scheme %r)' % (location.display, location.scheme)) from None
    return backend(location)
