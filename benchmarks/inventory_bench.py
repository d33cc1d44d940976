#!/usr/bin/env python
"""The ledger inventory plugin at fleet size (a benchmark, not a test: it measures and prints).

    . scripts/env.sh && python benchmarks/inventory_bench.py [--transfers 10000 100000] [--observations-per-host 3]

For each size: a new SQLite ledger made through the ledger's own schema (the rows are bulk-inserted in one
transaction, as many runs would have recorded them), then ``ansible-inventory -i <dir>/tscal.ledger.yml
--list`` in a child process: wall time, CPU seconds (user + system) and peak RSS of that process, and the
SQLite query plan of the per-host lookups the roles make (``SCAN`` = a full table scan, ``SEARCH ... USING
INDEX`` = an index). Goal (issue 15): 100,000 transfers in <= 10 s and <= 300 MiB, every lookup indexed.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sqlite3
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / '.venv' / 'collections')]

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import open_ledger  # noqa: E402

# The lookups by host that the transfer role and the inventory plugin make, in the ledger's terms.
LOOKUPS = {
    'transfers by source host': 'SELECT * FROM transfers WHERE source_host = ?',
    'transfers by target host': 'SELECT * FROM transfers WHERE target_host = ?',
    'transfers by CAL': 'SELECT * FROM transfers WHERE cal_id = ?',
    'latest observation of a host': 'SELECT * FROM observations WHERE host = ? ORDER BY observed_at DESC LIMIT 1',
}


def make_ledger(path: pathlib.Path, transfers: int, observations_per_host: int) -> None:
    with open_ledger('sqlite:///%s' % path) as ledger:
        ledger.schema_version()  # creates the schema through the ledger's migrations
    conn = sqlite3.connect(str(path))
    with conn:
        conn.executemany(
            "INSERT INTO transfers (cal_id, license_server, license_serial, source_host, target_host, reason, "
            "state, created_at, updated_at) VALUES (?, 'LICSRV01', ?, ?, ?, 'hardware replaced', ?, ?, ?)",
            (('LICSRV01/0x%010X' % index, '0x%010X' % index, 'old%06d' % index, 'new%06d' % index,
              ('server_revoked', 'reissue_requested', 'completed')[index % 3],
              '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z') for index in range(transfers)))
        conn.executemany(
            'INSERT INTO observations (host, license_server, serial, valid_to, temporary, observed_at) '
            "VALUES (?, 'LICSRV01', ?, ?, ?, ?)",
            (('new%06d' % index, '0x%010X' % index, '2027-0%d-01T00:00:00Z' % (1 + index % 9), index % 2,
              '2026-%02d-01T00:00:00Z' % (1 + seen)) for index in range(transfers)
             for seen in range(observations_per_host)))
    conn.close()


def query_plans(path: pathlib.Path) -> dict[str, str]:
    conn = sqlite3.connect(str(path))
    try:
        return {name: '; '.join(row[-1] for row in conn.execute('EXPLAIN QUERY PLAN ' + sql, ('x',)))
                for name, sql in LOOKUPS.items()}
    finally:
        conn.close()


def run_inventory(folder: pathlib.Path, ledger: pathlib.Path) -> tuple[float, float, float, int]:
    config = folder / 'tscal.ledger.yml'
    config.write_text('plugin: tslicensing.cal.ledger\nledger: sqlite:///%s\n' % ledger)
    out = folder / 'inventory.json'
    env = dict(os.environ, ANSIBLE_INVENTORY_ENABLED='tslicensing.cal.ledger')
    started = time.perf_counter()
    with open(out, 'wb') as handle:
        proc = subprocess.Popen(['ansible-inventory', '-i', str(config), '--list'], stdout=handle,
                                stderr=subprocess.PIPE, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit('ansible-inventory failed: %s' % proc.stderr.read().decode(errors='replace')[-2000:])
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--transfers', type=int, nargs='+', default=[10000, 100000])
    parser.add_argument('--observations-per-host', type=int, default=3)
    args = parser.parse_args()
    for count in args.transfers:
        with tempfile.TemporaryDirectory(prefix='tscal-inventory-bench-') as tmp:
            folder = pathlib.Path(tmp)
            ledger = folder / 'ledger.sqlite3'
            make_ledger(ledger, count, args.observations_per_host)
            wall, cpu, rss, size = run_inventory(folder, ledger)
            print('%7d transfers, %7d observations: wall %6.1f s, CPU %6.1f s, peak RSS %6.0f MiB, output %.1f MiB'
                  % (count, count * args.observations_per_host, wall, cpu, rss, size / 1048576))
            for name, plan in query_plans(ledger).items():
                print('    %-30s %s' % (name, plan))
    return 0


if __name__ == '__main__':
    sys.exit(main())
