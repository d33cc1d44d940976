#!/usr/bin/env python
"""Round trips and wall time of a client license store reset: this collection against the naive composition (a
benchmark, not a test).

    . scripts/env.sh && python benchmarks/roundtrip_bench.py [--clients 20] [--forks 10] [--rounds 3]
                                                             [--latency 0 --latency 0.5]

Both sides do the same job on a lab fleet (every client holds a store in view 64; both views are asked): back up
the store to the controller, then delete it. The naive side is what an operator writes without this collection
(NAIVE_PLAYBOOK: reg query per view, a folder, reg export, ansible.builtin.fetch, reg delete, remove the folder,
one task each); the collection side is playbooks/reset_license_store.yml. The lab connection's latency knob
(ansible_wine_latency) adds N seconds to every module execution and file transfer, standing for WinRM to a
remote host. Round trips are counted by the lab connection (its kill-point counter, which never kills here).

Runs alternate naive and collection (so that a load change on the shared machine hits both) and the medians of
the rounds are printed, with the ratio naive/collection.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tests' / 'lab'))

from fleet import Fleet, HostSpec  # noqa: E402
from harness import Lab  # noqa: E402

RESET = REPO / 'playbooks' / 'reset_license_store.yml'
# What an operator writes with ansible.windows alone: a verified-enough backup (fetch compares checksums), then
# the delete. Each task is one round trip per host (ansible.builtin.fetch is two: win_stat, then the transfer).
GOAL_RATIO = 2.5  # issue 15: naive/collection wall at 0.5 s added per round trip, 20 clients, forks 10

NAIVE_PLAYBOOK = r"""
- name: Back up and remove MSLicensing, by hand
  hosts: lab_clients
  gather_facts: false
  vars:
    key: HKLM\SOFTWARE\Microsoft\MSLicensing
    folder: C:\Windows\Temp\mslicensing-backup
  tasks:
    - name: Query view 64
      ansible.windows.win_command:
        argv: [reg.exe, query, '{{ key }}', /s, /reg:64]
      register: q64
      failed_when: false
      changed_when: false
    - name: Query view 32
      ansible.windows.win_command:
        argv: [reg.exe, query, '{{ key }}', /s, /reg:32]
      register: q32
      failed_when: false
      changed_when: false
    - name: Backup folder
      ansible.windows.win_file:
        path: '{{ folder }}'
        state: directory
    - name: Export view 64
      ansible.windows.win_command:
        argv: [reg.exe, export, '{{ key }}', '{{ folder }}\reg64.reg', /y, /reg:64]
      when: q64.rc == 0
    - name: Export view 32
      ansible.windows.win_command:
        argv: [reg.exe, export, '{{ key }}', '{{ folder }}\reg32.reg', /y, /reg:32]
      when: q32.rc == 0
    - name: Fetch view 64
      ansible.builtin.fetch:
        src: '{{ folder }}\reg64.reg'
        dest: '{{ backup_dir }}/{{ inventory_hostname }}-reg64.reg'
        flat: true
      when: q64.rc == 0
    - name: Fetch view 32
      ansible.builtin.fetch:
        src: '{{ folder }}\reg32.reg'
        dest: '{{ backup_dir }}/{{ inventory_hostname }}-reg32.reg'
        flat: true
      when: q32.rc == 0
    - name: Delete view 64
      ansible.windows.win_command:
        argv: [reg.exe, delete, '{{ key }}', /f, /reg:64]
      when: q64.rc == 0
    - name: Delete view 32
      ansible.windows.win_command:
        argv: [reg.exe, delete, '{{ key }}', /f, /reg:32]
      when: q32.rc == 0
    - name: Remove the backup folder
      ansible.windows.win_file:
        path: '{{ folder }}'
        state: absent
"""


def _run(lab: Lab, hosts: list[str], side: str, naive: pathlib.Path, latency: float, forks: int,
         work: pathlib.Path) -> tuple[float, float]:
    """One reset of every client: (wall seconds, round trips per client)."""
    for host in hosts:
        lab.fleet.seed_store(host, '64', 'one-license')
    count = work / ('count-%s-%s' % (side, time.monotonic_ns()))
    variables = {'ansible_wine_latency': latency, 'ansible_wine_kill_after': 10 ** 9,
                 'ansible_wine_kill_count_file': str(count)}
    backups = work / ('backups-%s' % time.monotonic_ns())
    backups.mkdir()
    if side == 'naive':
        playbook, variables['backup_dir'] = naive, str(backups)
    else:
        playbook = RESET
        variables.update(reset_license_store_hosts='lab_clients', reset_license_store_backup_dir=str(backups))
    started = time.monotonic()
    run = lab.playbook(playbook, extra_vars=variables, json_output=False, env={'ANSIBLE_FORKS': str(forks)})
    wall = time.monotonic() - started
    if run.rc != 0:
        raise SystemExit('%s run failed:\n%s\n%s' % (side, run.stdout[-3000:], run.stderr[-2000:]))
    left = [host for host in hosts if lab.fleet.export_store(host, '64') is not None]
    if left:
        raise SystemExit('%s run left the store on %s' % (side, ', '.join(left)))
    trips = len(count.read_text().splitlines()) / len(hosts)
    return wall, trips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--clients', type=int, default=20)
    parser.add_argument('--forks', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--latency', type=float, action='append', help='seconds added per round trip (repeat)')
    args = parser.parse_args()
    latencies = args.latency or [0.0, 0.5]
    hosts = ['rt%02d' % number for number in range(1, args.clients + 1)]
    # Beside the test fleets: they share the booted template (.lab/pytest/template-*).
    fleet = Fleet(REPO / '.lab' / 'pytest' / 'bench-roundtrip')
    fleet.destroy()
    fleet.create({host: HostSpec('win10-pro', {}) for host in hosts})
    try:
        with tempfile.TemporaryDirectory() as workdir:
            work = pathlib.Path(workdir)
            lab = Lab(fleet, work)
            naive = lab.write_playbook('naive.yml', NAIVE_PLAYBOOK)
            print('%d clients, forks %d, %d rounds (alternated), store in view 64, both views asked'
                  % (args.clients, args.forks, args.rounds))
            medians: dict[float, dict[str, float]] = {}
            for latency in latencies:
                walls: dict[str, list[float]] = {'naive': [], 'collection': []}
                trips: dict[str, float] = {}
                for round_number in range(args.rounds):
                    order = ('naive', 'collection') if round_number % 2 == 0 else ('collection', 'naive')
                    for side in order:
                        wall, trips[side] = _run(lab, hosts, side, naive, latency, args.forks, work)
                        walls[side].append(wall)
                median = medians[latency] = {side: statistics.median(values) for side, values in walls.items()}
                print('latency %.1f s per round trip: naive %.1f round trips/client, median %.1f s %s; collection '
                      '%.1f round trips/client, median %.1f s %s; naive/collection %.2f'
                      % (latency, trips['naive'], median['naive'], _fmt(walls['naive']), trips['collection'],
                         median['collection'], _fmt(walls['collection']), median['naive'] / median['collection']))
                if latency:
                    ratio = median['naive'] / median['collection']
                    print('goal (issue 15): naive/collection >= %.1f at %.1f s added: %s'
                          % (GOAL_RATIO, latency, 'met' if ratio >= GOAL_RATIO
                             else 'missed by %.0f %%' % (100 * (GOAL_RATIO - ratio) / GOAL_RATIO)))
            for latency in latencies:
                if latency and 0.0 in medians:
                    # What the latency alone added: the part of the wall the round trips cost on a remote host.
                    added = {side: medians[latency][side] - medians[0.0][side] for side in ('naive', 'collection')}
                    print('added by %.1f s per round trip: naive +%.1f s, collection +%.1f s (%.2fx)'
                          % (latency, added['naive'], added['collection'],
                             added['naive'] / added['collection'] if added['collection'] > 0 else float('inf')))
    finally:
        fleet.destroy()


def _fmt(values: list[float]) -> str:
    return '(%s)' % ', '.join('%.1f' % value for value in values)


if __name__ == '__main__':
    main()
