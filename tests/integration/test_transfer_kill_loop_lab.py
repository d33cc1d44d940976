"""The kill loop (issue 16 §1): ansible-playbook killed with SIGKILL at 20 different moments of a transfer, then
run again. After every kill each store is either untouched, or backed up with its intent (or the finished
transfer) in the ledger; after every rerun the transfer is finished. None lost.

Deterministic moments: the lab connection's kill_after fault kills ansible-playbook right after the Nth module
execution or file transfer of the run (half of them kill the worker at the same moment; the others let it go
on, as ansible-core's setsid workers do after their parent dies). Timed moments: the test kills
ansible-playbook after a delay. Before looking, the test waits until every process of the killed run (found by
an environment marker they all inherit) has exited. The figures are printed (pytest -s shows them).
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest
from fleet import HostSpec
from harness import VENV_BIN, lab_environment

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import open_ledger

pytestmark = [pytest.mark.lab, pytest.mark.slow]

REPO = pathlib.Path(__file__).resolve().parents[2]
TRANSFER = REPO / 'playbooks' / 'transfer.yml'
HOSTS = {'k-src': HostSpec('win10-pro', {'64': 'permanent-license'}), 'k-dst': HostSpec('win11-home', {})}
MARKER = 'TSCAL_KILL_LOOP_RUN'
# Timed kills fall between the counted points (inside a module's run, the ledger writes); a transfer has only
# four round trips now, so twelve of them make up the twenty moments.
TIMED_DELAYS = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0)


@pytest.fixture(scope='module')
def lab(lab_factory):
    return lab_factory('killloop', HOSTS)


def _argv(lab, work, extra=None):
    variables = {'transfer_source': 'k-src', 'transfer_target': 'k-dst', 'transfer_reason': 'kill loop',
                 'transfer_license_server_version': '2019',
                 'transfer_ledger': 'sqlite://%s' % (work / 'ledger.sqlite3'),
                 'transfer_backup_dir': str(work / 'backups')}
    variables.update(extra or {})
    return [str(VENV_BIN / 'ansible-playbook'), '-i', str(lab.inventory), str(TRANSFER), '-e', json.dumps(variables)]


def _run_processes(tag):
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/environ' % entry, 'rb') as handle:
                if (b'%s=%s\x00' % (MARKER.encode(), tag.encode())) in handle.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def _wait_for_the_run_to_end(tag, timeout=90):
    deadline = time.monotonic() + timeout
    while _run_processes(tag):
        assert time.monotonic() < deadline, 'processes of the killed run still alive: %s' % _run_processes(tag)
        time.sleep(0.2)


def _killed_run(lab, work, tag, after=None, kill_worker=False, delay=None):
    env = lab_environment({MARKER: tag})
    extra = {}
    if after is not None:
        extra = {'ansible_wine_kill_after': after, 'ansible_wine_kill_count_file': str(work / 'kill-count'),
                 'ansible_wine_kill_worker': kill_worker}
    proc = subprocess.Popen(_argv(lab, work, extra), cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if delay is not None:
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
    rc = proc.wait(timeout=300)
    _wait_for_the_run_to_end(tag)
    return rc


def _ledger_rows(work):
    if not (work / 'ledger.sqlite3').exists():
        return []
    with open_ledger('sqlite://%s' % (work / 'ledger.sqlite3')) as ledger:
        return ledger.transfers()


def _safely_recorded(rows):
    """Every row's backup is on the controller with the sha256 the ledger holds."""
    return bool(rows) and all(row['backup_path'] and pathlib.Path(row['backup_path']).is_file() and
                              hashlib.sha256(pathlib.Path(row['backup_path']).read_bytes()).hexdigest()
                              == row['backup_sha256'] for row in rows)


def test_sigkill_at_twenty_moments_loses_no_store(lab, tmp_path):
    assert lab.fleet.export_store('k-src', '64') is not None
    # How many kill points a whole transfer has: count them in one run that is not killed.
    count = tmp_path / 'count'
    count.mkdir()
    full = _killed_run(lab, count, 'count', after=10 ** 6)
    assert full == 0 and lab.fleet.export_store('k-src', '64') is None
    steps = len((count / 'kill-count').read_text().splitlines())
    # The source's OS with its store, the target's OS, the read+export (the backup comes back in its output: no
    # fetch), the delete with its confirmation and the staging clean-up.
    assert steps == 4
    # Every kill point, once with the worker going on and once with it killed too, plus the timed kills.
    plans = [{'after': n, 'kill_worker': worker} for n in range(1, steps + 1) for worker in (False, True)]
    plans += [{'delay': d} for d in TIMED_DELAYS]
    assert len(plans) >= 20

    figures = {'runs': 1, 'killed': 0, 'untouched': 0, 'removed_and_recorded': 0, 'lost': 0, 'reruns_finished': 0}
    problems = []
    for index, plan in enumerate(plans):
        work = tmp_path / ('kill-%02d' % index)
        work.mkdir()
        lab.fleet.seed_store('k-src', '64', 'permanent-license')  # (a new certificate each time: dated today)
        seeded = lab.fleet.export_store('k-src', '64')
        assert seeded is not None
        rc = _killed_run(lab, work, 'kill-%02d' % index, **plan)
        figures['runs'] += 1
        figures['killed'] += rc == -signal.SIGKILL
        store = lab.fleet.export_store('k-src', '64')
        rows = _ledger_rows(work)
        if store == seeded:
            figures['untouched'] += 1
        elif store is None and _safely_recorded(rows):
            figures['removed_and_recorded'] += 1
        else:
            figures['lost'] += 1
            problems.append((plan, 'store %s, ledger %s' % ('changed' if store else 'gone', rows)))
            continue
        rerun = subprocess.run(_argv(lab, work), cwd=REPO, env=lab_environment(), capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=300, check=False)
        figures['runs'] += 1
        rows = _ledger_rows(work)
        if rerun.returncode:
            problems.append((plan, 'rerun failed: %s' % rerun.stdout[-2000:]))
        elif lab.fleet.export_store('k-src', '64') is None and _safely_recorded(rows) \
                and [row['state'] for row in rows] == ['source_cleared']:
            figures['reruns_finished'] += 1
        else:
            problems.append((plan, 'rerun left ledger %s' % rows))
    print('\nkill loop: %d kill points in a transfer; %s' % (steps, ', '.join('%s=%d' % kv for kv in figures.items())))
    assert problems == []
    assert figures['lost'] == 0 and figures['reruns_finished'] == len(plans)
    # The loop really hit both sides of the delete.
    assert figures['untouched'] > 0 and figures['removed_and_recorded'] > 0
