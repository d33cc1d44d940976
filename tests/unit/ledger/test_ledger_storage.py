"""Storage behaviour on both backends: migrations, verbatim text, locking, reachability, secrets, files."""

from __future__ import annotations

import os
import pathlib
import stat
import sqlite3
import time
import typing as t

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import (
    DEFAULT_SQLITE_PATH, ENV_VAR, MIGRATIONS, Ledger, LedgerError, LedgerUnavailable, Observation, TransferRefused,
    TransferRequest, default_url, mask_url, open_ledger, render)
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger._schema import (
    POSTGRESQL_DIALECT, SQLITE_DIALECT)

from postgres_cluster import LEDGER_PASSWORD

HOSTILE = [
    "O'Brien \"quoted\" `back`",
    "x'; DROP TABLE transfers; --",
    'Robert"); DELETE FROM events; --',
    'ünïcödé — 日本語 — 🎫 — עברית',
    'tab\there\nnewline\rcarriage\x1b[31mescape\x7f',
    '..\\..\\windows\\system32/../../etc/passwd',
    '%s %(name)s ? ?? $1 {} {0}',
    ' leading and trailing spaces ',
]


def _v1_ledger(url: str, raw_db: t.Any) -> None:
    """A ledger exactly as schema v1 made it, holding one transfer and its event."""
    db = raw_db()
    dialect = SQLITE_DIALECT if db.is_sqlite else POSTGRESQL_DIALECT
    db.execute('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
    for statement in render(MIGRATIONS[1], dialect):
        db.execute(statement)
    db.execute('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)', (1, '2025-01-01T00:00:00Z'))
    db.execute('INSERT INTO transfers (cal_id, source_host, target_host, state, created_at, updated_at) '
               'VALUES (?, ?, ?, ?, ?, ?)', ('OLD-CAL', 'pc1', 'pc2', 'server_revoked', '2025-01-02T00:00:00Z',
                                             '2025-01-02T00:00:00Z'))
    db.execute("INSERT INTO events (at, kind, transfer_id, cal_id, detail) VALUES (?, ?, ?, ?, ?)",
               ('2025-01-02T00:00:00Z', 'transfer_recorded', 1, 'OLD-CAL', '{}'))
    db.close()


def test_v1_ledger_is_upgraded_in_place(ledger_url: str, raw_db: t.Any) -> None:
    _v1_ledger(ledger_url, raw_db)
    with open_ledger(ledger_url) as ledger:
        assert ledger.schema_version() == 4
        [old] = ledger.transfers()
        assert (old['cal_id'], old['state'], old['sequence'], old['reissue_reference']) == \
            ('OLD-CAL', 'server_revoked', 1, None)
        assert [e['kind'] for e in ledger.events()] == ['transfer_recorded', 'schema_upgraded']
        # The v2 rules apply to the v1 row: once, unless a reissue reference covers the move.
        with pytest.raises(TransferRefused):
            ledger.record_transfer(TransferRequest('OLD-CAL', 'pc2', 'pc3'))
        assert ledger.record_transfer(TransferRequest('OLD-CAL', 'pc2', 'pc3', reissue_reference='CH-1')).changed
        assert ledger.mark('completed', transfer_id=1).changed
    versions = raw_db().execute('SELECT version FROM schema_version ORDER BY version')
    assert versions == [(1,), (2,), (3,), (4,)]


def test_dry_run_does_not_upgrade_a_v1_ledger(ledger_url: str, raw_db: t.Any) -> None:
    _v1_ledger(ledger_url, raw_db)
    with open_ledger(ledger_url, dry_run=True) as dry:
        assert dry.schema_version() == 4
        assert dry.record_transfer(TransferRequest('OLD-CAL', 'pc2', 'pc3', reissue_reference='CH-1')).changed
    assert raw_db().execute('SELECT MAX(version) FROM schema_version') == [(1,)]


def test_newer_schema_is_refused(ledger_url: str, ledger: Ledger, raw_db: t.Any) -> None:
    raw_db().execute('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)', (99, 'later'))
    with pytest.raises(LedgerError, match='schema version 99; this collection knows up to 4'):
        open_ledger(ledger_url)


@pytest.mark.parametrize('text', HOSTILE)
def test_hostile_strings_are_stored_verbatim(ledger: Ledger, text: str) -> None:
    request = TransferRequest(cal_id=text, source_host=text + '-src', target_host=text + '-dst',
                              license_server=text, license_serial=text, source_hardware_id=text, reason=text,
                              operator=text, backup_path=text, reissue_reference=None)
    ledger.record_transfer(request)
    ledger.record_observations([Observation(host=text, hardware_id=text, license_server=text, serial=text)])
    [row] = ledger.transfers(cal_id=text)
    for field in ('license_server', 'license_serial', 'source_hardware_id', 'reason', 'operator', 'backup_path'):
        assert row[field] == text
    assert (row['cal_id'], row['source_host'], row['target_host']) == (text, text + '-src', text + '-dst')
    [seen] = ledger.observations(host=text)
    assert (seen['hardware_id'], seen['license_server'], seen['serial']) == (text, text, text)
    assert len(ledger.transfers()) == 1  # and nothing was dropped


_TEXT = st.text(st.characters(blacklist_categories=('Cs',), blacklist_characters='\x00'), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cal=_TEXT, reason=_TEXT)
def test_any_text_round_trips(ledger: Ledger, cal: str, reason: str) -> None:
    request = TransferRequest(cal_id=cal, source_host='a', target_host='b', reason=reason)
    outcome = ledger.record_transfer(request, allow_multiple_to_target=True)
    [row] = ledger.transfers(cal_id=cal)
    assert row['cal_id'] == cal
    assert row['reason'] == (reason if outcome.changed else row['reason'])


def test_locked_ledger_fails_clearly(ledger_url: str, ledger: Ledger, raw_db: t.Any, backend: str) -> None:
    holder = raw_db()
    if backend == 'sqlite':
        holder.execute('BEGIN EXCLUSIVE')
    else:
        holder.conn.autocommit = False
        holder.execute('LOCK TABLE transfers IN ACCESS EXCLUSIVE MODE')
    started = time.monotonic()
    with open_ledger(ledger_url + ('&' if '?' in ledger_url else '?') + 'timeout=0.3') as impatient:
        with pytest.raises(LedgerUnavailable, match=r'is locked by another writer; gave up after 0.3 s') as error:
            impatient.record_transfer(TransferRequest('CAL', 'a', 'b'))
    assert time.monotonic() - started < 10
    assert LEDGER_PASSWORD not in str(error.value)
    holder.execute('ROLLBACK') if backend == 'sqlite' else holder.conn.rollback()
    assert ledger.record_transfer(TransferRequest('CAL', 'a', 'b')).changed


@pytest.mark.postgres
def test_unreachable_postgres_fails_clearly_without_the_password(pg_cluster: t.Any) -> None:
    url = pg_cluster.create_database().replace(':%d/' % pg_cluster.port, ':1/') + '?timeout=2'
    with pytest.raises(LedgerUnavailable, match=r'cannot reach ledger postgresql://tscal:\*\*\*@127\.0\.0\.1:1/') as error:
        open_ledger(url)
    assert 's3cr3t' not in str(error.value)


@pytest.mark.postgres
def test_wrong_password_fails_without_echoing_it(pg_cluster: t.Any) -> None:
    url = pg_cluster.create_database().replace('s3cr3t', 'wrong-s3cr3t')
    with pytest.raises(LedgerUnavailable, match='password authentication failed') as error:
        open_ledger(url)
    assert 's3cr3t' not in str(error.value)


def test_unopenable_sqlite_path_fails_clearly(tmp_path: pathlib.Path) -> None:
    (tmp_path / 'file').write_text('not a directory')
    with pytest.raises(LedgerUnavailable, match='cannot create ledger file'):
        open_ledger('sqlite://%s/file/ledger.sqlite3' % tmp_path)
    (tmp_path / 'garbage.sqlite3').write_bytes(b'this is not a database' * 100)
    with pytest.raises(LedgerError, match='garbage.sqlite3'):
        open_ledger('sqlite://%s/garbage.sqlite3' % tmp_path)


@pytest.mark.parametrize('url', ['mysql://x/y', 'sqlite://relative/path', 'sqlite:///x?timeout=soon'])
def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(LedgerError, match='URL'):
        open_ledger(url)


def test_password_is_masked_everywhere(ledger_url: str, backend: str) -> None:
    assert mask_url('postgresql://u:p%40ss@h:5/db') == 'postgresql://u:***@h:5/db'
    assert mask_url('postgresql://h/db?user=u&password=pw') == 'postgresql://h/db?user=u&password=***'
    assert mask_url('sqlite:///a/b.sqlite3') == 'sqlite:///a/b.sqlite3'
    with open_ledger(ledger_url) as ledger:
        for text in (repr(ledger), ledger.location, str(vars(ledger))):
            assert 's3cr3t' not in text and 'p%40ss' not in text


def test_default_location_is_private(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.delenv(ENV_VAR, raising=False)
    expected = tmp_path / DEFAULT_SQLITE_PATH.replace('~/', '')
    assert default_url() == 'sqlite://%s' % expected
    with open_ledger(None) as ledger:
        ledger.record_transfer(TransferRequest('C', 'a', 'b'))
    assert stat.S_IMODE(expected.stat().st_mode) == 0o600
    assert stat.S_IMODE(expected.parent.stat().st_mode) == 0o700
    monkeypatch.setenv(ENV_VAR, 'sqlite://%s/other.sqlite3' % tmp_path)
    with open_ledger() as ledger:
        assert ledger.location.endswith('/other.sqlite3') and ledger.transfers() == []


def test_dry_run_does_not_create_a_sqlite_ledger(tmp_path: pathlib.Path) -> None:
    path = tmp_path / 'sub' / 'ledger.sqlite3'
    with open_ledger('sqlite://%s' % path, dry_run=True) as dry:
        assert dry.record_transfer(TransferRequest('C', 'a', 'b')).changed
        assert dry.transfers() == []
    assert not path.parent.exists()


def test_sqlite_ledger_uses_wal(tmp_path: pathlib.Path) -> None:
    path = tmp_path / 'ledger.sqlite3'
    open_ledger('sqlite://%s' % path).close()
    assert sqlite3.connect(path).execute('PRAGMA journal_mode').fetchone() == ('wal',)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
