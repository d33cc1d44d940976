#!/usr/bin/env python
"""Ledger writes per second with 50 writer processes on a new ledger, against a bare sqlite3 / psycopg loop with
the same durability, on SQLite and on a throwaway (durable) PostgreSQL - and where the time goes.

    . scripts/env.sh && python benchmarks/ledger_bench.py [--writers 50] [--per-writer 20]

Modes, each with --writers processes released together by a barrier, each recording --per-writer distinct
transfers (one transaction each, the transfer row and its event):

* ledger, open per write - what the transfer role does: every task opens the ledger (connect, schema check),
  writes once, closes;
* ledger, one open - the same writes on one open ledger per writer;
* bare loop - the same two INSERTs per transaction through the driver alone, one connection per writer, with
  the ledger's durability (SQLite: WAL, synchronous=FULL, BEGIN IMMEDIATE; PostgreSQL: fsync on, synchronous
  commit);
* bare, connect per write - the driver's own connection set-up cost, for comparison with the first mode.

Then, in one process, the mean cost of each part of one "open per write": connect, schema check, write.
"""

from __future__ import annotations

import argparse
import multiprocessing
import pathlib
import sqlite3
import sys
import tempfile
import time
import typing as t

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / '.venv' / 'collections'), str(REPO / 'tests')]

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import TransferRequest, open_ledger  # noqa: E402
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger._backends import backend_for  # noqa: E402
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger._url import parse_url  # noqa: E402
from postgres_cluster import PostgresCluster  # noqa: E402

_CONTEXT = multiprocessing.get_context('fork')
_INSERT_TRANSFER = ("INSERT INTO transfers (cal_id, source_host, target_host, state, created_at, updated_at, sequence) "
                    "VALUES (?, ?, ?, 'source_cleared', ?, ?, 1)")
_INSERT_EVENT = "INSERT INTO events (at, kind, cal_id, detail) VALUES (?, 'transfer_recorded', ?, '{}')"


def _request(worker: int, n: int) -> TransferRequest:
    return TransferRequest('CAL-%d-%d' % (worker, n), 'src-%d-%d' % (worker, n), 'dst-%d-%d' % (worker, n))


def _ledger_open_per_write(url: str, worker: int, count: int) -> None:
    for n in range(count):
        with open_ledger(url) as ledger:
            ledger.record_transfer(_request(worker, n))


def _ledger_one_open(url: str, worker: int, count: int) -> None:
    with open_ledger(url) as ledger:
        for n in range(count):
            ledger.record_transfer(_request(worker, n))


class _Bare:
    """The driver alone, with the ledger's durability."""

    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith('sqlite:')
        if self.sqlite:
            self.conn: t.Any = sqlite3.connect(parse_url(url).path, isolation_level=None, timeout=30)
            self.conn.execute('PRAGMA journal_mode = WAL')
            self.conn.execute('PRAGMA synchronous = FULL')
        else:
            import psycopg
            self.conn = psycopg.connect(parse_url(url).driver_url, autocommit=True)

    def write(self, worker: int, n: int) -> None:
        sql = (lambda s: s) if self.sqlite else (lambda s: s.replace('?', '%s'))
        self.conn.execute('BEGIN IMMEDIATE' if self.sqlite else 'BEGIN')
        self.conn.execute(sql(_INSERT_TRANSFER), ('B-%d-%d' % (worker, n), 's', 'd', 't', 't'))
        self.conn.execute(sql(_INSERT_EVENT), ('t', 'B-%d-%d' % (worker, n)))
        self.conn.execute('COMMIT')

    def close(self) -> None:
        self.conn.close()


def _bare_one_connection(url: str, worker: int, count: int) -> None:
    bare = _Bare(url)
    for n in range(count):
        bare.write(worker, n)
    bare.close()


def _bare_connect_per_write(url: str, worker: int, count: int) -> None:
    for n in range(count):
        bare = _Bare(url)
        bare.write(worker, n)
        bare.close()


def _writer(body: t.Callable[[str, int, int], None], url: str, worker: int, count: int, barrier: t.Any) -> None:
    barrier.wait()
    body(url, worker, count)


def measure(body: t.Callable[[str, int, int], None], url: str, writers: int, per_writer: int) -> float:
    barrier = _CONTEXT.Barrier(writers + 1)
    processes = [_CONTEXT.Process(target=_writer, args=(body, url, w, per_writer, barrier)) for w in range(writers)]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit('a writer failed (exit code %s)' % process.exitcode)
    return writers * per_writer / (time.perf_counter() - started)


def breakdown(url: str, rounds: int = 100) -> dict[str, float]:
    """Mean milliseconds of connect, schema check (the rest of open_ledger) and one write, in one process."""
    backend = backend_for(parse_url(url))
    connect = opened = write = 0.0
    for n in range(rounds):
        start = time.perf_counter()
        backend.connect(False).close()
        connect += time.perf_counter() - start
        start = time.perf_counter()
        ledger = open_ledger(url)
        opened += time.perf_counter() - start
        start = time.perf_counter()
        ledger.record_transfer(_request(10 ** 6, n))
        write += time.perf_counter() - start
        ledger.close()
    return {'connect': 1000 * connect / rounds, 'schema check': 1000 * (opened - connect) / rounds,
            'write': 1000 * write / rounds}


MODES = (('ledger, open per write', _ledger_open_per_write), ('ledger, one open', _ledger_one_open),
         ('bare loop', _bare_one_connection), ('bare, connect per write', _bare_connect_per_write))


def run_backend(name: str, new_url: t.Callable[[], str], writers: int, per_writer: int) -> None:
    for label, body in MODES:
        url = new_url()
        open_ledger(url).close()  # the schema, also for the bare loops (their rows go into the same tables)
        print('%-11s %-24s %8.1f writes/s' % (name, label, measure(body, url, writers, per_writer)), flush=True)
    parts = breakdown(new_url())
    print('%-11s one open per write: %s' % (name, ', '.join('%s %.2f ms' % kv for kv in parts.items())), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--writers', type=int, default=50)
    parser.add_argument('--per-writer', type=int, default=20)
    options = parser.parse_args()
    print('%d writer processes x %d writes per mode' % (options.writers, options.per_writer))
    with tempfile.TemporaryDirectory() as directory:
        counter = iter(range(10 ** 6))
        run_backend('sqlite', lambda: 'sqlite://%s/ledger-%d.sqlite3' % (directory, next(counter)),
                    options.writers, options.per_writer)
    with PostgresCluster(durable=True) as cluster:
        run_backend('postgresql', cluster.create_database, options.writers, options.per_writer)


if __name__ == '__main__':
    main()
