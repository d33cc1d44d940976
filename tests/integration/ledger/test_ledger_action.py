"""tslicensing.cal.license_inventory through real ansible-playbook runs, on both backends."""

from __future__ import annotations

import csv
import json
import pathlib
import re
import sqlite3
import stat
import textwrap
import typing as t

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import open_ledger

pytestmark = pytest.mark.slow

# The hosts cannot be reached at all (TEST-NET-1 over ssh): the action must never try.
INVENTORY = '[clients]\n' + ''.join('pc%d ansible_host=192.0.2.%d ansible_connection=ssh\n' % (n, n)
                                    for n in range(1, 6))
HOSTILE_REASON = "it's \"broken\"; DROP TABLE transfers; -- ünï ✓ C:\\x/y"

RECORD = '''
- hosts: clients
  gather_facts: false
  tasks:
    - name: Record this client's transfer
      tslicensing.cal.license_inventory:
        ledger: "{{ ledger_url }}"
        action: record_transfer
        cal: CAL-{{ inventory_hostname }}
        target_host: "{{ inventory_hostname }}-new"
        reason: "{{ hostile_reason }}"
        backup_sha256: "%s"
      register: recorded

    - name: The result carries the transfer and no password
      ansible.builtin.assert:
        that:
          - recorded.transfer.cal_id == 'CAL-' ~ inventory_hostname
          - recorded.transfer.reason == hostile_reason
          - "'s3cr3t' not in (recorded | to_json)"
''' % ('0' * 64)

FLOW = '''
- hosts: pc1
  gather_facts: false
  module_defaults:
    tslicensing.cal.license_inventory:
      ledger: "{{ ledger_url }}"
  tasks:
    - name: Clearinghouse reissue requested
      tslicensing.cal.license_inventory:
        action: mark
        cal: CAL-pc1
        state: reissue_requested
        reissue_reference: CH-42
      register: marked

    - name: The replacement is seen holding a permanent license
      tslicensing.cal.license_inventory:
        action: record_observations
        observations:
          - host: pc1-new
            serial: "0042"
            valid_to: "2030-01-01"
      register: seen

    - name: A second transfer without a reissue reference is refused
      tslicensing.cal.license_inventory:
        action: record_transfer
        cal: CAL-pc1
        source_host: pc1-new
        target_host: pc9
      register: refused
      ignore_errors: true

    - name: Query the host
      tslicensing.cal.license_inventory:
        action: query
        host: pc1-new
      register: found

    - name: Export
      tslicensing.cal.license_inventory:
        action: export
        format: "{{ item }}"
        dest: "{{ export_dir }}/transfers.{{ item }}"
      loop: [csv, json]
      register: exported

    - ansible.builtin.assert:
        that:
          - marked is changed and marked.transfer.state == 'reissue_requested'
          - seen is changed and seen.completed | map(attribute='cal_id') | list == ['CAL-pc1']
          - refused is failed and 'already transferred' in refused.msg
          - found.transfers | length == 1 and found.transfers[0].state == 'completed'
          - found.observations[0].serial == '0042'
          - exported.results | map(attribute='rows') | list == [5, 5]
'''


def _write(tmp_path: pathlib.Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(textwrap.dedent(text))
    return name


def _extra(ledger_url: str, tmp_path: pathlib.Path) -> str:
    return json.dumps({'ledger_url': ledger_url, 'hostile_reason': HOSTILE_REASON, 'export_dir': str(tmp_path)})


def _recap_changed(output: str) -> dict[str, int]:
    return {host: int(changed) for host, changed in re.findall(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)', output, re.M)}


def _transfer_count(ledger_url: str) -> int:
    with open_ledger(ledger_url, dry_run=True) as ledger:
        return len(ledger.transfers())


def test_record_check_mode_then_real_then_idempotent(ansible: t.Any, tmp_path: pathlib.Path, ledger_url: str) -> None:
    inventory = _write(tmp_path, 'hosts.ini', INVENTORY)
    playbook = _write(tmp_path, 'record.yml', RECORD)
    args = ('-i', inventory, playbook, '-e', _extra(ledger_url, tmp_path), '--forks', '5')

    checked = ansible('ansible-playbook', *args, '--check')
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert set(_recap_changed(checked.stdout).values()) == {1}
    if ledger_url.startswith('sqlite:'):
        assert not (tmp_path / 'ledger.sqlite3').exists()
    else:
        assert _transfer_count(ledger_url) == 0

    first = ansible('ansible-playbook', *args)
    assert first.returncode == 0, first.stdout + first.stderr
    assert _recap_changed(first.stdout) == {'pc%d' % n: 1 for n in range(1, 6)}
    with open_ledger(ledger_url) as ledger:
        rows = ledger.transfers()
    assert sorted(r['cal_id'] for r in rows) == ['CAL-pc%d' % n for n in range(1, 6)]
    assert {r['reason'] for r in rows} == {HOSTILE_REASON}

    again = ansible('ansible-playbook', *args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert set(_recap_changed(again.stdout).values()) == {0}
    assert _transfer_count(ledger_url) == 5
    assert 's3cr3t' not in first.stdout + again.stdout + checked.stdout


def test_mark_observe_query_export(ansible: t.Any, tmp_path: pathlib.Path, ledger_url: str) -> None:
    inventory = _write(tmp_path, 'hosts.ini', INVENTORY)
    extra = _extra(ledger_url, tmp_path)
    assert ansible('ansible-playbook', '-i', inventory, _write(tmp_path, 'record.yml', RECORD), '-e', extra).returncode == 0
    flow = ansible('ansible-playbook', '-i', inventory, _write(tmp_path, 'flow.yml', FLOW), '-e', extra)
    assert flow.returncode == 0, flow.stdout + flow.stderr
    assert 's3cr3t' not in flow.stdout + flow.stderr

    for name in ('transfers.csv', 'transfers.json'):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    with open_ledger(ledger_url) as ledger:
        stored = ledger.transfers()
    from_json = json.loads((tmp_path / 'transfers.json').read_text())
    assert from_json == stored
    with open(tmp_path / 'transfers.csv', newline='', encoding='utf-8') as handle:
        from_csv = list(csv.DictReader(handle))
    assert [r['cal_id'] for r in from_csv] == [r['cal_id'] for r in stored]
    assert {r['reason'] for r in from_csv} == {HOSTILE_REASON}
    [pc1] = [r for r in from_csv if r['cal_id'] == 'CAL-pc1']
    assert (pc1['state'], pc1['reissue_reference'], pc1['sequence']) == ('completed', 'CH-42', '1')

    # The export is idempotent: same content, same mode -> unchanged.
    export_again = ansible('ansible-playbook', '-i', inventory, _write(tmp_path, 'export.yml', '''
        - hosts: pc1
          gather_facts: false
          tasks:
            - tslicensing.cal.license_inventory:
                ledger: "{{ ledger_url }}"
                action: export
                format: json
                dest: "{{ export_dir }}/transfers.json"
        '''), '-e', extra)
    assert export_again.returncode == 0 and _recap_changed(export_again.stdout) == {'pc1': 0}


def test_locked_ledger_fails_the_task_and_keeps_earlier_work(ansible: t.Any, tmp_path: pathlib.Path) -> None:
    ledger_url = 'sqlite://%s/ledger.sqlite3' % tmp_path
    open_ledger(ledger_url).close()
    playbook = _write(tmp_path, 'locked.yml', '''
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: The backup taken before the ledger is written
              ansible.builtin.copy:
                content: "Windows Registry Editor Version 5.00\\n"
                dest: "{{ export_dir }}/backup.reg"
                mode: "0600"
            - tslicensing.cal.license_inventory:
                ledger: "{{ ledger_url }}"
                timeout: 0.5
                action: record_transfer
                cal: CAL-1
                source_host: pc1
                target_host: pc2
        ''')
    holder = sqlite3.connect(tmp_path / 'ledger.sqlite3', isolation_level=None)
    holder.execute('BEGIN EXCLUSIVE')
    try:
        run = ansible('ansible-playbook', '-i', 'localhost,', '-c', 'local', playbook,
                      '-e', _extra(ledger_url, tmp_path))
    finally:
        holder.execute('ROLLBACK')
        holder.close()
    assert run.returncode == 2
    assert 'is locked by another writer; gave up after 0.5 s' in run.stdout
    assert (tmp_path / 'backup.reg').read_text() == 'Windows Registry Editor Version 5.00\n'
    assert _transfer_count(ledger_url) == 0


def test_default_ledger_comes_from_the_environment(ansible: t.Any, tmp_path: pathlib.Path) -> None:
    ledger_url = 'sqlite://%s/env-ledger.sqlite3' % tmp_path
    playbook = _write(tmp_path, 'env.yml', '''
        - hosts: localhost
          gather_facts: false
          tasks:
            - tslicensing.cal.license_inventory:
                action: record_transfer
                cal: CAL-ENV
                target_host: elsewhere
              register: recorded
            - ansible.builtin.assert:
                that: recorded.ledger == lookup('ansible.builtin.env', 'TSCAL_LEDGER_URL')
        ''')
    run = ansible('ansible-playbook', '-i', 'localhost,', '-c', 'local', playbook, env={'TSCAL_LEDGER_URL': ledger_url})
    assert run.returncode == 0, run.stdout + run.stderr
    with open_ledger(ledger_url) as ledger:
        assert [(r['cal_id'], r['source_host']) for r in ledger.transfers()] == [('CAL-ENV', 'localhost')]
