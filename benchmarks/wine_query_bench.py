#!/usr/bin/env python
"""Seconds per reg.exe query task on one lab host (a benchmark, not a test): the wineserver pipe trap.

    . scripts/env.sh && python benchmarks/wine_query_bench.py [TASKS]

With the trap (a Wine program's output through a pipe that wineserver holds open) each call waits >= 2.4 s;
without it a task costs well under 1 s, mostly Ansible itself.
"""

from __future__ import annotations

import pathlib
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tests' / 'lab'))

from fleet import Fleet, HostSpec  # noqa: E402
from harness import Lab  # noqa: E402


def main(tasks: int) -> None:
    playbook = '- hosts: lab_clients\n  gather_facts: false\n  tasks:\n' + ''.join(
        "    - name: query %d\n      ansible.windows.win_command:\n        argv: [reg.exe, query, "
        "'HKLM\\Software\\Microsoft\\Windows NT\\CurrentVersion', '/v', 'ProductName']\n" % i for i in range(tasks))
    fleet = Fleet(REPO / '.lab' / 'bench' / 'wine-query')
    fleet.destroy()
    fleet.create({'bench01': HostSpec('win10-pro', {})})
    try:
        with tempfile.TemporaryDirectory() as workdir:
            lab = Lab(fleet, pathlib.Path(workdir))
            path = lab.write_playbook('bench.yml', playbook)
            started = time.monotonic()
            run = lab.playbook(path)
            elapsed = time.monotonic() - started
            if run.rc != 0:
                raise SystemExit(run.stdout[-3000:] + run.stderr[-3000:])
            print('%d reg.exe query tasks: %.1f s, %.2f s per task' % (tasks, elapsed, elapsed / tasks))
    finally:
        fleet.destroy()


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
