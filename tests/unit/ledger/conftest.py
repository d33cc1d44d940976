"""Fixtures of the ledger suite: every test runs on SQLite and on a real throwaway PostgreSQL."""

from __future__ import annotations

import contextlib
import pathlib
import sqlite3
import typing as t

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import Ledger, open_ledger

BACKENDS = ['sqlite', pytest.param('postgresql', marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def ledger_url(backend: str, tmp_path: pathlib.Path, request: pytest.FixtureRequest) -> str:
    """An empty ledger location (nothing created yet) on the test's backend."""
    if backend == 'sqlite':
        return 'sqlite://%s/ledger dir/ledger.sqlite3' % tmp_path
    return request.getfixturevalue('pg_cluster').create_database()


@pytest.fixture
def ledger(ledger_url: str) -> t.Iterator[Ledger]:
    with open_ledger(ledger_url) as opened:
        yield opened


class RawDatabase:
    """Direct SQL on the ledger's database, bypassing the library: to prove the database itself
    enforces the rules, and to build old-schema ledgers."""

    def __init__(self, url: str) -> None:
        self.is_sqlite = url.startswith('sqlite:')
        if self.is_sqlite:
            path = pathlib.Path(url[len('sqlite://'):])
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn: t.Any = sqlite3.connect(path, isolation_level=None)
        else:
            import psycopg
            self.conn = psycopg.connect(url, autocommit=True)

    def execute(self, sql: str, params: t.Sequence[t.Any] = ()) -> list[tuple[t.Any, ...]]:
        if params and not self.is_sqlite:
            sql = sql.replace('?', '%s')
        cursor = self.conn.execute(sql, tuple(params)) if params else self.conn.execute(sql)
        return cursor.fetchall() if cursor.description else []

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def raw_db(ledger_url: str) -> t.Callable[[], RawDatabase]:
    opened: list[RawDatabase] = []

    def connect() -> RawDatabase:
        opened.append(RawDatabase(ledger_url))
        return opened[-1]

    yield connect  # type: ignore[misc]
    for db in opened:
        with contextlib.suppress(Exception):
            db.close()
