#!/usr/bin/env python
"""The controller half of the audit at fleet size (a benchmark, not a test: it measures and prints).

    . scripts/env.sh && python benchmarks/audit_bench.py [--hosts 1000 10000] [--chromium]

For each size: an inventory of N hosts and the run's spool pre-filled with N synthetic entries (what the
``audit`` role's per-host step writes: real ``client_license`` query results of synthetic license stores, made
with tests/license_factory.py; 1 % of the hosts have no entry, i.e. were not reached), then the plays of
playbooks/audit.yml after the first one (record the observations in a new SQLite ledger, write the report,
remove the spool, summary) in one ``ansible-playbook`` child process: wall time, CPU seconds (user + system of
it and its workers) and peak RSS (its largest process), and the size of the page written. With ``--chromium``
headless Chromium loads the page (``--dump-dom``): its wall time and the number of elements.
Goal (issue 15): 10,000 hosts in <= 60 s and <= 200 MiB, growing linearly.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / '.venv' / 'collections'), str(REPO / 'tests'), str(REPO / 'tests' / 'unit' / 'report')]

import report_stores as rs  # noqa: E402  (tests/unit/report: query results built through the real codec)
from ansible_collections.tslicensing.cal.plugins.plugin_utils._report import _spool  # noqa: E402

REPORT_TIME = '2026-03-01T08:00:00Z'
SERVERS = ['LICSRV%02d' % n for n in range(1, 9)]
CHROMIUM = pathlib.Path('/usr/bin/chromium')


def _templates() -> list[dict]:
    """A handful of distinct host results, most of them healthy (as a fleet is), a few needing attention."""
    results = []
    for index, server in enumerate(SERVERS):
        results += [rs.query_result({'64': rs.store(rs.blob(rs.license('PC', 200 + 20 * index, server=server,
                                                                       serial=0x0200000100 + index))), '32': None})
                    for _copy in range(10)]
        results.append(rs.query_result({'64': rs.store(rs.blob(rs.license('PC', 12 + index, server=server))),
                                        '32': None}))
        results.append(rs.query_result({'64': rs.store(rs.blob(rs.license('PC', 40, temporary=True, server=server))),
                                        '32': None}))
    results.append(rs.query_result({'64': None, '32': None}))
    results.append({'failed': True, 'msg': 'reg.exe query failed: Access is denied.'})
    return results


def prepare(workdir: pathlib.Path, hosts: int) -> tuple[pathlib.Path, pathlib.Path, dict]:
    """(inventory, playbook, what the first play leaves on localhost) for ``hosts`` synthetic clients."""
    names = ['pc%05d.contoso.example' % n for n in range(hosts)]
    # What the first play leaves on every host: the started mark and the outcome the summary counts.
    inventory = {'all': {'children': {'clients': {'hosts': dict.fromkeys(names)},
                                      '__tscal_audit_report': {'hosts': {names[0]: None}}},
                         'vars': {'summary_batch': [], 'ansible_connection': 'local',
                                  'audit_outcome': {'changed': False, 'backups': [], 'cals_freed': 0,
                                                    'cals_revoked': 0, 'refused': None, 'detail': 'synthetic'}}}}
    inventory_path = workdir / 'inventory.yml'
    inventory_path.write_text(yaml.safe_dump(inventory))
    plays = yaml.safe_load((REPO / 'playbooks' / 'audit.yml').read_text())
    playbook_path = workdir / 'audit-controller-half.yml'
    playbook_path.write_text(yaml.safe_dump(plays[1:], sort_keys=False))
    spool = _spool.open_spool(str(workdir / 'spool'))
    templates = _templates()
    for index, name in enumerate(names):
        if index % 100 == 99:
            continue  # never reached: no entry
        _spool.write_entry(spool, name, templates[index % len(templates)])
    return inventory_path, playbook_path, {'__audit_spool': spool, '__audit_run_hosts': names}


def run(workdir: pathlib.Path, inventory: pathlib.Path, playbook: pathlib.Path, first_play: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'TSCAL_'))}
    env.update({'ANSIBLE_COLLECTIONS_PATH': str(REPO / '.venv' / 'collections'), 'ANSIBLE_NOCOLOR': '1',
                'ANSIBLE_PYTHON_INTERPRETER': sys.executable, 'ANSIBLE_LOCAL_TEMP': str(workdir / '.ansible-tmp'),
                'ANSIBLE_HOST_KEY_CHECKING': 'False', 'HOME': str(workdir / 'home')})
    extra = {'audit_hosts': 'clients', 'audit_report_dir': str(workdir / 'reports'),
             'audit_ledger': 'sqlite:///%s' % (workdir / 'ledger.sqlite3'), 'audit_report_time': REPORT_TIME,
             **first_play}
    spool = first_play['__audit_spool']
    extra_path = workdir / 'extra-vars.json'
    extra_path.write_text(json.dumps(extra))
    argv = [str(pathlib.Path(sys.executable).parent / 'ansible-playbook'), '-i', str(inventory), str(playbook),
            '-e', '@%s' % extra_path]
    with open(workdir / 'stdout.txt', 'wb') as out:
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    output = (workdir / 'stdout.txt').read_text(errors='replace')
    page = workdir / 'reports' / 'tscal-audit.html'
    report = json.loads((workdir / 'reports' / 'tscal-audit.json').read_text()) if page.exists() else None
    return {'rc': proc.returncode, 'wall': wall, 'cpu': usage.ru_utime + usage.ru_stime,
            'rss_mib': usage.ru_maxrss / 1024, 'page': page, 'report': report, 'output': output,
            'spool_removed': not os.path.exists(spool)}


def chromium(page: pathlib.Path, workdir: pathlib.Path) -> tuple[float, int]:
    """Wall seconds for headless Chromium to load, lay out and serialise the page; the elements it built."""
    argv = [str(CHROMIUM), '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync',
            '--user-data-dir=%s' % (workdir / 'chromium-profile'), '--dump-dom', page.as_uri()]
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL, timeout=600)
    return time.monotonic() - started, len(re.findall(r'<[a-zA-Z]', proc.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--hosts', type=int, nargs='+', default=[1000, 10000])
    parser.add_argument('--chromium', action='store_true', help='also load each page in headless Chromium')
    args = parser.parse_args()
    print('audit, controller half (plays 2-3 of audit.yml), spool pre-filled with synthetic entries; %s'
          % datetime.date.today())
    columns = ('hosts', 'wall s', 'CPU s', 'peak MiB', 'page MiB', 'ms/host', 'chromium')
    print('%8s %8s %8s %9s %9s %10s %s' % columns)
    for hosts in args.hosts:
        with tempfile.TemporaryDirectory(prefix='tscal-audit-bench-') as tmp:
            workdir = pathlib.Path(tmp)
            inventory, playbook, first_play = prepare(workdir, hosts)
            measured = run(workdir, inventory, playbook, first_play)
            report = measured['report']
            if report is None or report['totals']['hosts'] != hosts:
                sys.exit('the run wrote no report of %d hosts (rc %d):\n%s'
                         % (hosts, measured['rc'], measured['output'][-3000:]))
            assert report['totals']['not_reached'] >= hosts // 100, report['totals']
            assert measured['spool_removed'], 'the spool was left behind'
            view = ''
            if args.chromium and CHROMIUM.exists():
                seconds, elements = chromium(measured['page'], workdir)
                view = '%.1f s, %d elements' % (seconds, elements)
            print('%8d %8.1f %8.1f %9.0f %9.2f %10.2f %s' % (
                hosts, measured['wall'], measured['cpu'], measured['rss_mib'],
                measured['page'].stat().st_size / 2 ** 20, 1000 * measured['wall'] / hosts, view), flush=True)
    print('goal: 10,000 hosts <= 60 s wall and <= 200 MiB peak RSS, growing linearly')


if __name__ == '__main__':
    main()
