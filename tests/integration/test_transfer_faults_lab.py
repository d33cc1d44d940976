"""Nothing lost under faults (issue 16 §1) and every ledger rule decided before the first change (issue 11 §3):
real ansible-playbook runs of transfer.yml on a lab fleet, with faults injected through the lab connection
(tests/lab/collections/.../connection/prefix.py: fail_command, offline_after, run_after), a SQLite ledger
really write-locked by another process, a real PostgreSQL server stopped mid-run.

After each fault the Wine registry, the backups folder and the ledger are inspected: every store is either
untouched, or backed up with its intent (CAL, backup path, sha256) in the ledger; the rerun finishes it.
"""

from __future__ import annotations

import hashlib
import pathlib
import subprocess
import sys

import pytest
from fleet import HostSpec

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import open_ledger

pytestmark = [pytest.mark.lab, pytest.mark.slow]

REPO = pathlib.Path(__file__).resolve().parents[2]
TRANSFER = REPO / 'playbooks' / 'transfer.yml'
HOSTS = {
    'f-lock': HostSpec('win10-pro', {'64': 'permanent-license'}),
    'f-pg': HostSpec('win10-pro', {'64': 'permanent-license'}),
    'f-off': HostSpec('win10-pro', {'64': 'permanent-license'}),
    'f-two': HostSpec('win10-pro', {'64': 'permanent-license', '32': 'second-permanent-license'}),
    'f-back': HostSpec('win10-pro', {'64': 'permanent-license'}),
    'n-lock': HostSpec('win11-home', {}),
    'n-pg': HostSpec('win11-home', {}),
    'n-off': HostSpec('win11-home', {}),
    'n-two': HostSpec('win11-home', {}),
    'n-other': HostSpec('win11-home', {}),
}


@pytest.fixture(scope='module')
def lab(lab_factory):
    return lab_factory('faults', HOSTS)


def _transfer(lab, ledger_url, backups, **variables):
    extra = {'transfer_reason': 'hardware replaced', 'transfer_license_server_version': '2019',
             'transfer_ledger': ledger_url, 'transfer_backup_dir': str(backups)}
    extra.update(variables)
    return lab.playbook(TRANSFER, extra_vars=extra, json_output=False)


def _sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def _rows(url, host):
    with open_ledger(url) as ledger:
        return [row for row in ledger.transfers(host=host) if row['source_host'] == host]


def _assert_backed_up_and_recorded(url, host, states):
    rows = _rows(url, host)
    assert sorted(row['state'] for row in rows) == sorted(states), rows
    for row in rows:
        assert _sha256(row['backup_path']) == row['backup_sha256'], row
    return rows


def test_sqlite_ledger_locked_past_the_timeout_leaves_the_host_untouched(lab, tmp_path):
    ledger = tmp_path / 'ledger.sqlite3'
    url = 'sqlite://%s?timeout=2' % ledger
    open_ledger(url).close()  # a ledger in use: created, in WAL mode
    before = lab.fleet.export_stores('f-lock')
    holder = subprocess.Popen([sys.executable, '-c', (
        'import sqlite3, sys, time\n'
        'db = sqlite3.connect(sys.argv[1], isolation_level=None)\n'
        'db.execute("BEGIN IMMEDIATE")\n'
        'print("locked", flush=True)\n'
        'time.sleep(120)\n'), str(ledger)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'locked'
        run = _transfer(lab, url, tmp_path / 'backups', transfer_source='f-lock', transfer_target='n-lock')
    finally:
        holder.kill()
        holder.wait()
    assert run.rc != 0
    assert lab.fleet.export_stores('f-lock') == before  # (it used to be removed, then the record failed)
    assert 'the transfer intent could not be recorded in the ledger, so nothing was deleted' in run.stdout
    assert 'is locked by another writer' in run.stdout
    assert _rows(url, 'f-lock') == []
    again = _transfer(lab, url, tmp_path / 'backups', transfer_source='f-lock', transfer_target='n-lock')
    assert again.rc == 0, again.stdout[-3000:]
    assert lab.fleet.export_stores('f-lock') == {'64': None, '32': None}
    _assert_backed_up_and_recorded(url, 'f-lock', ['source_cleared'])


@pytest.mark.postgres
def test_postgresql_stopped_after_the_backup_leaves_the_host_untouched(lab, tmp_path):
    from postgres_cluster import PostgresCluster

    cluster = PostgresCluster(durable=False)
    cluster.start()
    try:
        url = cluster.create_database()
        open_ledger(url).close()
        before = lab.fleet.export_stores('f-pg')
        run = _transfer(lab, url + '?timeout=3', tmp_path / 'backups', transfer_source='f-pg', transfer_target='n-pg',
                        ansible_wine_run_after=[r'reg\.exe export', cluster.stop_server_argv()])
        assert run.rc != 0
        assert lab.fleet.export_stores('f-pg') == before
        assert 'the transfer intent could not be recorded in the ledger, so nothing was deleted' in run.stdout
        cluster.start_server()
        assert _rows(url, 'f-pg') == []
        again = _transfer(lab, url, tmp_path / 'backups', transfer_source='f-pg', transfer_target='n-pg')
        assert again.rc == 0, again.stdout[-3000:]
        assert lab.fleet.export_stores('f-pg') == {'64': None, '32': None}
        _assert_backed_up_and_recorded(url, 'f-pg', ['source_cleared'])
    finally:
        cluster.stop()


def test_host_unreachable_right_after_reg_delete_is_found_and_finished_by_the_rerun(lab, tmp_path):
    url = 'sqlite://%s' % (tmp_path / 'ledger.sqlite3')
    run = _transfer(lab, url, tmp_path / 'backups', transfer_source='f-off', transfer_target='n-off',
                    ansible_wine_offline_after=r'reg\.exe delete')
    assert run.rc != 0 and 'unreachable (fault injected by offline_after)' in run.stdout
    (lab.fleet.prefix('f-off') / 'lab-offline').unlink()
    # The store is gone: its intent, with the verified backup, is in the ledger.
    assert lab.fleet.export_stores('f-off') == {'64': None, '32': None}
    [intent] = _assert_backed_up_and_recorded(url, 'f-off', ['intent_recorded'])
    assert intent['target_host'] == 'n-off'
    again = _transfer(lab, url, tmp_path / 'backups', transfer_source='f-off', transfer_target='n-off')
    assert again.rc == 0, again.stdout[-3000:]
    [row] = _assert_backed_up_and_recorded(url, 'f-off', ['source_cleared'])
    assert (row['id'], row['backup_path']) == (intent['id'], intent['backup_path'])


def test_delete_of_view_32_failing_after_view_64_loses_neither_cal(lab, tmp_path):
    url = 'sqlite://%s' % (tmp_path / 'ledger.sqlite3')
    run = _transfer(lab, url, tmp_path / 'backups', transfer_source='f-two', transfer_target='n-two',
                    ansible_wine_command_faults=['reg delete /reg:32'])
    assert run.rc != 0 and 'reg delete of view 32 failed' in run.stdout, run.stdout[-4000:]
    stores = lab.fleet.export_stores('f-two')
    assert stores['64'] is None and stores['32'] is not None
    intents = _assert_backed_up_and_recorded(url, 'f-two', ['intent_recorded', 'intent_recorded'])
    assert len({row['cal_id'] for row in intents}) == 2
    again = _transfer(lab, url, tmp_path / 'backups', transfer_source='f-two', transfer_target='n-two')
    assert again.rc == 0, again.stdout[-3000:]
    assert lab.fleet.export_stores('f-two') == {'64': None, '32': None}
    done = _assert_backed_up_and_recorded(url, 'f-two', ['source_cleared', 'source_cleared'])
    assert {row['cal_id'] for row in done} == {row['cal_id'] for row in intents}


def test_ledger_rules_refuse_before_any_change_naming_the_variables(lab, tmp_path):
    url = 'sqlite://%s' % (tmp_path / 'ledger.sqlite3')
    backups = tmp_path / 'backups'
    first = _transfer(lab, url, backups, transfer_source='f-back', transfer_target='n-other')
    assert first.rc == 0, first.stdout[-3000:]
    [done] = _rows(url, 'f-back')
    # Restored, as an earlier refusal advised, then sent elsewhere: refused before the store is touched
    # (it used to be removed first, then refused by the ledger).
    lab.fleet.seed_store('f-back', '64', 'permanent-license')
    before = lab.fleet.export_stores('f-back')
    again = _transfer(lab, url, backups, transfer_source='f-back', transfer_target='n-lock')
    assert again.rc != 0
    text = ' '.join(again.stdout.split())
    assert ("was already transferred to n-other on %s (transfer #%d from f-back, state source_cleared)"
            % (done['created_at'], done['id'])) in text
    assert 'set transfer_reissue_reference to the Clearinghouse reissue reference' in text
    assert lab.fleet.export_stores('f-back') == before and len(_rows(url, 'f-back')) == 1
    # With a reissue reference the one-time rule allows it, but n-other already receives a CAL.
    lab.fleet.seed_store('f-lock', '64', 'permanent-license')
    busy = _transfer(lab, url, backups, transfer_source='f-lock', transfer_target='n-other')
    assert busy.rc != 0
    text = ' '.join(busy.stdout.split())
    assert "the target n-other already receives CAL ''%s'' (transfer #%d from f-back" % (done['cal_id'], done['id']) \
        in text  # (quotes doubled by the YAML callback)
    assert 'set transfer_allow_multiple_to_target to true' in text
    assert lab.fleet.export_stores('f-lock')['64'] is not None and _rows(url, 'f-lock') == []
    allowed = _transfer(lab, url, backups, transfer_source='f-lock', transfer_target='n-other',
                        transfer_allow_multiple_to_target=True)
    assert allowed.rc == 0, allowed.stdout[-3000:]
    with open_ledger(url) as ledger:
        assert sorted(r['source_host'] for r in ledger.transfers(host='n-other')) == ['f-back', 'f-lock']
