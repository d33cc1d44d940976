#!/usr/bin/env python
"""Transfers recorded per second by 50 writer processes, on SQLite and on a throwaway PostgreSQL.

    . scripts/env.sh && python benchmarks/ledger_bench.py [--writers 50] [--per-writer 40]

Each writer opens its own ledger connection, waits at a barrier, then records distinct transfers (one
transaction each, with its event). The PostgreSQL cluster is started with the tests' helper and default
(durable) settings; SQLite runs with its defaults (WAL, synchronous=FULL) in a temporary directory.
"""

from __future__ import annotations

import argparse
import multiprocessing
import pathlib
import sys
import tempfile
import time
import typing as t

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / '.venv' / 'collections'), str(REPO / 'tests')]

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import TransferRequest, open_ledger  # noqa: E402
from postgres_cluster import PostgresCluster  # noqa: E402

_CONTEXT = multiprocessing.get_context('fork')


def _writer(url: str, worker: int, count: int, barrier: t.Any) -> None:
    with open_ledger(url) as ledger:
        barrier.wait()
        for n in range(count):
            ledger.record_transfer(TransferRequest('CAL-%d-%d' % (worker, n), 'src-%d' % worker, 'dst-%d-%d' % (worker, n)))


def measure(url: str, writers: int, per_writer: int) -> float:
    open_ledger(url).close()  # schema created outside the timing
    barrier = _CONTEXT.Barrier(writers + 1)
    processes = [_CONTEXT.Process(target=_writer, args=(url, w, per_writer, barrier)) for w in range(writers)]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit('a writer failed (exit code %s)' % process.exitcode)
    elapsed = time.perf_counter() - started
    with open_ledger(url) as ledger:
        recorded = len(ledger.transfers())
    if recorded != writers * per_writer:
        raise SystemExit('expected %d transfers, found %d' % (writers * per_writer, recorded))
    return recorded / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--writers', type=int, default=50)
    parser.add_argument('--per-writer', type=int, default=40)
    options = parser.parse_args()
    total = options.writers * options.per_writer
    print('%d writer processes x %d transfers = %d transfers per backend' % (options.writers, options.per_writer, total))
    with tempfile.TemporaryDirectory() as directory:
        rate = measure('sqlite://%s/ledger.sqlite3' % directory, options.writers, options.per_writer)
        print('sqlite      %8.1f transfers/s' % rate)
    with PostgresCluster(durable=True) as cluster:
        rate = measure(cluster.create_database(), options.writers, options.per_writer)
        print('postgresql  %8.1f transfers/s' % rate)


if __name__ == '__main__':
    main()
