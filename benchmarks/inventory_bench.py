#!/usr/bin/env python
"""The ledger inventory plugin at fleet size (a benchmark, not a test: it measures and prints).

    . scripts/env.sh && python benchmarks/inventory_bench.py [--transfers 10000 100000] [--observations-per-host 3]

For each size: a new SQLite ledger made through the ledger's own schema (the rows are bulk-inserted in one
transaction, as many runs would have recorded them: each transfer moves a CAL from its own old client to its
own new one, and each new client was observed --observations-per-host times), then, each in a child process
(wall time, CPU seconds user + system, peak RSS):

* plugin: the inventory built from the source alone (``InventoryManager``), what ``ansible-playbook`` pays
  before its first task;
* --list: ``ansible-inventory -i <dir>/tscal.ledger.yml --list`` (the plugin, then ansible-core's variables of
  every host and its JSON dump);
* floor: ``ansible-inventory --list`` of a script inventory naming the same hosts with no variables and no
  groups: what ansible-core alone costs for that many hosts, whatever the plugin does.

Then the SQLite query plan of every lookup the ledger makes (``_ledger.LOOKUPS``) at that size: ``SEARCH ...
USING INDEX`` is an index lookup, ``SCAN x USING INDEX`` a read of the whole index in its order (the fleet-wide
"latest of each host"), a bare ``SCAN x`` a full table scan. Goal (issue 15): 100,000 transfers in <= 10 s and
<= 300 MiB, every lookup indexed.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sqlite3
import subprocess
import sys
import tempfile
import time
import typing as t

REPO = pathlib.Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / '.venv' / 'collections'
sys.path[:0] = [str(COLLECTIONS)]

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import LOOKUPS, open_ledger  # noqa: E402

GOAL = (100000, 10.0, 300.0)  # transfers, seconds, MiB
PLUGIN_ONLY = ('from ansible.plugins.loader import init_plugin_loader; init_plugin_loader(); '
               'from ansible.parsing.dataloader import DataLoader; '
               'from ansible.inventory.manager import InventoryManager; '
               'import sys; print(len(InventoryManager(loader=DataLoader(), sources=[sys.argv[1]]).hosts))')


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
        return {name: '; '.join(row[-1] for row in conn.execute('EXPLAIN QUERY PLAN ' + sql, example))
                for name, (sql, example) in LOOKUPS.items()}
    finally:
        conn.close()


def _measure(argv: list[str], out: pathlib.Path, env: dict[str, str]) -> tuple[float, float, float, int]:
    """wall s, CPU s, peak RSS MiB of the child, and the size of what it printed."""
    started = time.perf_counter()
    with open(out, 'wb') as handle:
        proc = subprocess.Popen(argv, stdout=handle, stderr=subprocess.PIPE, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit('%s failed: %s' % (argv[0], proc.stderr.read().decode(errors='replace')[-2000:]))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.stat().st_size


def _floor_script(folder: pathlib.Path, ledger: pathlib.Path) -> pathlib.Path:
    """An executable script inventory naming every host of the ledger, with no variables."""
    conn = sqlite3.connect(str(ledger))
    hosts = sorted({name for (name,) in conn.execute('SELECT source_host FROM transfers UNION SELECT target_host '
                                                     'FROM transfers UNION SELECT host FROM observations')})
    conn.close()
    listing = folder / 'floor.json'
    listing.write_text(json.dumps({'all': {'hosts': hosts}, '_meta': {'hostvars': {}}}))
    script = folder / 'floor.py'
    script.write_text('#!%s\nimport sys\nsys.stdout.write(open(%r).read() if "--list" in sys.argv else "{}")\n'
                      % (sys.executable, str(listing)))
    script.chmod(0o700)
    return script


def run(folder: pathlib.Path, ledger: pathlib.Path) -> dict[str, tuple[float, float, float, int]]:
    config = folder / 'tscal.ledger.yml'
    config.write_text('plugin: tslicensing.cal.ledger\nledger: sqlite:///%s\n' % ledger)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
               ANSIBLE_INVENTORY_ENABLED='tslicensing.cal.ledger')
    floor = _floor_script(folder, ledger)
    return {
        'plugin': _measure([sys.executable, '-c', PLUGIN_ONLY, str(config)], folder / 'plugin.txt', env),
        '--list': _measure(['ansible-inventory', '-i', str(config), '--list'], folder / 'inventory.json', env),
        'floor': _measure(['ansible-inventory', '-i', str(floor), '--list'], folder / 'floor-inventory.json',
                          dict(env, ANSIBLE_INVENTORY_ENABLED='ansible.builtin.script')),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=t.cast(str, __doc__).split('\n', maxsplit=1)[0])
    parser.add_argument('--transfers', type=int, nargs='+', default=[10000, 100000])
    parser.add_argument('--observations-per-host', type=int, default=3)
    args = parser.parse_args()
    for count in args.transfers:
        with tempfile.TemporaryDirectory(prefix='tscal-inventory-bench-') as tmp:
            folder = pathlib.Path(tmp)
            ledger = folder / 'ledger.sqlite3'
            make_ledger(ledger, count, args.observations_per_host)
            print('%d transfers, %d observations, %d hosts:' % (count, count * args.observations_per_host, 2 * count))
            results = run(folder, ledger)
            for name, (wall, cpu, rss, size) in results.items():
                print('    %-7s wall %6.1f s, CPU %6.1f s, peak RSS %6.0f MiB, output %.1f MiB'
                      % (name, wall, cpu, rss, size / 1048576))
            if count == GOAL[0]:
                for name in ('plugin', '--list'):
                    _wall, cpu, rss, _size = results[name]
                    print('    goal %d transfers <= %g s and <= %g MiB: %s %s (CPU %.1f s, %.0f MiB; the floor '
                          'alone: CPU %.1f s, %.0f MiB)' % (GOAL + (name, 'met' if cpu <= GOAL[1] and rss <= GOAL[2]
                                                            else 'missed', cpu, rss) + results['floor'][1:3]))
            for name, plan in query_plans(ledger).items():
                print('    %-46s %s' % (name, plan))
    return 0


if __name__ == '__main__':
    sys.exit(main())
