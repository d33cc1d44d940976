"""tslicensing.cal.license_report and the license_observations filter through real ansible-playbook runs on the
controller, with the transfers read from a real ledger (SQLite and a throwaway PostgreSQL)."""

from __future__ import annotations

import csv
import datetime
import json
import os
import pathlib
import stat

import pytest

import report_stores as rs

pytestmark = pytest.mark.slow

REPORT_TIME = '2026-03-01T08:00:00Z'
AUDIT = '''
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the report
      tslicensing.cal.license_report:
        clients: "{{ clients }}"
        dest: "{{ report_dir }}"
        ledger: "{{ ledger_url }}"
        report_time: "{{ report_time }}"
      register: first_report

    - name: Record what the audit saw
      tslicensing.cal.license_inventory:
        ledger: "{{ ledger_url }}"
        action: record_observations
        observations: "{{ clients | tslicensing.cal.license_observations(observed_at=observed_at) }}"

    - name: Write the report again
      tslicensing.cal.license_report:
        clients: "{{ clients }}"
        dest: "{{ report_dir }}"
        ledger: "{{ ledger_url }}"
        report_time: "{{ report_time }}"
'''
FAILING = '''
- hosts: localhost
  gather_facts: false
  module_defaults:
    tslicensing.cal.license_report:
      dest: "{{ report_dir }}"
      ledger: "{{ ledger_url }}"
      report_time: "{{ report_time }}"
  tasks:
    - name: pdf
      tslicensing.cal.license_report: {clients: {}, formats: [html, pdf]}
      ignore_errors: true
    - name: clients text
      tslicensing.cal.license_report: {clients: not a dict}
      ignore_errors: true
    - name: clients list
      tslicensing.cal.license_report: {clients: [pc1, pc2]}
      ignore_errors: true
    - name: dest a file
      tslicensing.cal.license_report: {clients: {}, dest: "{{ a_file }}"}
      ignore_errors: true
    - name: report_time
      tslicensing.cal.license_report: {clients: {}, report_time: next tuesday}
      ignore_errors: true
    - name: basename
      tslicensing.cal.license_report: {clients: {}, basename: ../escape}
      ignore_errors: true
    - name: expiring_days
      tslicensing.cal.license_report: {clients: {}, expiring_days: -5}
      ignore_errors: true
    - name: malformed result
      tslicensing.cal.license_report: {clients: {pc1: {views: {'64': {present: true, licenses: LICENSE000}}}}}
      ignore_errors: true
    - name: ledger
      tslicensing.cal.license_report: {clients: {}, ledger: "mysql://db/ledger"}
      ignore_errors: true
    - name: filter
      ansible.builtin.debug:
        msg: "{{ ['pc1'] | tslicensing.cal.license_observations }}"
      ignore_errors: true
'''
DEFAULT_LEDGER = '''
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Report with the default ledger
      tslicensing.cal.license_report:
        clients: "{{ clients }}"
        dest: "{{ report_dir }}"
        formats: [json]
'''


def _clients(license_fixtures: pathlib.Path) -> dict:
    return rs.fleet(license_fixtures)


def _mode(path: pathlib.Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _snapshot(directory: pathlib.Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir())}


def test_report_reads_the_ledger_writes_0600_files_and_is_idempotent(run_playbook, seed_transfers, tmp_path,
                                                                     license_fixtures, ledger_url):
    seed_transfers(ledger_url)
    report_dir = tmp_path / 'reports' / 'audit'
    extra = {'clients': _clients(license_fixtures), 'report_dir': str(report_dir), 'ledger_url': ledger_url,
             'report_time': REPORT_TIME,
             # after the transfers were recorded, so that seeing a permanent CAL completes them
             'observed_at': datetime.datetime.now(datetime.timezone.utc).isoformat()}

    checked = run_playbook(tmp_path, 'audit', AUDIT, extra, '--check')
    assert checked.rc == 0, checked.stdout + checked.stderr
    would = checked.result('localhost', 'Write the report')
    # The latest report under its stable names, and a dated copy that a later report never destroys.
    assert would['changed'] is True and len(would['written']) == 6
    assert would['msg'] == 'would write 6 of 6 report file(s) in %s' % report_dir
    assert not report_dir.parent.exists()  # check mode creates nothing

    first = run_playbook(tmp_path, 'audit', AUDIT, extra)
    assert first.rc == 0, first.stdout + first.stderr
    written = first.result('localhost', 'Write the report')
    assert written['changed'] is True
    assert written['files'] == {fmt: str(report_dir / ('tscal-audit.' + fmt)) for fmt in ('html', 'json', 'csv')}
    assert written['dated_files'] == {fmt: str(report_dir / ('tscal-audit-20260301T080000Z.' + fmt))
                                      for fmt in ('html', 'json', 'csv')}
    assert written['totals']['hosts'] == 11 and written['totals']['not_reached'] == 2
    assert written['totals']['transfers'] == {'intent_recorded': 0, 'source_cleared': 0, 'server_revoked': 1,
                                              'reissue_requested': 1, 'completed': 0}
    assert written['report_time'] == REPORT_TIME
    assert _mode(report_dir) == 0o700
    assert {p.name: _mode(p) for p in report_dir.iterdir()} == {
        name + '.' + fmt: 0o600 for name in ('tscal-audit', 'tscal-audit-20260301T080000Z') for fmt in ('html', 'json', 'csv')}

    # The observations completed the transfer to pc-permanent; the second report shows it.
    assert first.result('localhost', 'Record what the audit saw')['completed'][0]['cal_id'] == 'CAL-A'
    again = first.result('localhost', 'Write the report again')
    assert again['changed'] is True and again['written'] == [
        written[key][f] for key in ('dated_files', 'files') for f in ('html', 'json', 'csv')]
    report = json.loads((report_dir / 'tscal-audit.json').read_text())
    hosts = {host['host']: host for host in report['hosts']}
    assert hosts['pc-permanent']['transfer_in']['state'] == 'completed'
    assert hosts['pc-temporary']['transfer_out']['state'] == 'reissue_requested'
    assert hosts['pc-temporary']['transfer_out']['reissue_reference'] == 'CH-7'
    assert report['ledger'] == written['ledger'] and 's3cr3t' not in json.dumps(report)
    with open(report_dir / 'tscal-audit.csv', newline='', encoding='utf-8') as handle:
        rows = list(csv.DictReader(handle))
    assert [(r['transfer_in_state'], r['transfer_in_source']) for r in rows if r['host'] == 'pc-permanent'] == [
        ('completed', 'pc-old')]
    page = (report_dir / 'tscal-audit.html').read_text()
    assert 'CAL moving in \u2190 pc-old: completed' in page and 'CAL moved out \u2192 pc-new: reissue requested' in page

    before = _snapshot(report_dir)
    second = run_playbook(tmp_path, 'audit', AUDIT, extra)
    assert second.rc == 0, second.stdout + second.stderr
    assert second.json()['stats']['localhost']['changed'] == 0
    assert second.result('localhost', 'Write the report')['written'] == []
    assert _snapshot(report_dir) == before  # not even rewritten

    later = dict(extra, report_time='2026-03-20T08:00:00Z')
    checked_later = run_playbook(tmp_path, 'audit', AUDIT, later, '--check')
    assert checked_later.rc == 0, checked_later.stdout + checked_later.stderr
    assert checked_later.result('localhost', 'Write the report')['changed'] is True
    assert _snapshot(report_dir) == before


def test_a_changed_mode_is_repaired(run_playbook, tmp_path, license_fixtures):
    report_dir = tmp_path / 'reports'
    extra = {'clients': _clients(license_fixtures), 'report_dir': str(report_dir),
             'ledger_url': 'sqlite://%s/ledger.sqlite3' % tmp_path, 'report_time': REPORT_TIME,
             'observed_at': REPORT_TIME}
    assert run_playbook(tmp_path, 'audit', AUDIT, extra).rc == 0
    os.chmod(report_dir / 'tscal-audit.csv', 0o644)
    rerun = run_playbook(tmp_path, 'audit', AUDIT, extra)
    assert rerun.result('localhost', 'Write the report')['written'] == [str(report_dir / 'tscal-audit.csv')]
    assert _mode(report_dir / 'tscal-audit.csv') == 0o600


def test_bad_input_fails_with_a_message_naming_it(run_playbook, tmp_path):
    a_file = tmp_path / 'not-a-directory'
    a_file.write_text('')
    report_dir = tmp_path / 'reports'
    extra = {'report_dir': str(report_dir), 'ledger_url': 'sqlite://%s/ledger.sqlite3' % tmp_path,
             'report_time': REPORT_TIME, 'a_file': str(a_file)}
    run = run_playbook(tmp_path, 'failing', FAILING, extra)
    assert run.rc == 0, run.stdout + run.stderr
    expected = {
        'pdf': 'value of formats must be one or more of: html, json, csv. Got no match for: pdf',
        'clients text': "argument 'clients' is of type str and we were unable to convert to dict",
        'clients list': "argument 'clients' is of type list and we were unable to convert to dict",
        'dest a file': 'dest %s exists and is not a directory' % a_file,
        'report_time': "license_report: report_time 'next tuesday' is not an ISO 8601 date or time",
        'basename': "basename '../escape' must be a plain file name without a directory",
        'expiring_days': 'license_report: expiring_days must be a whole number of days >= 0, not -5',
        'malformed result': "license_report: pc1: views['64'].licenses must be a list",
        'ledger': 'license_report: cannot read the transfers: ',
        'filter': 'license_observations: clients must be a dict of inventory hostname -> client_license query '
                  'result, not list',
    }
    for task, message in expected.items():
        result = run.result('localhost', task)
        assert result.get('failed') is True, (task, result)
        assert message in result['msg'], (task, result['msg'])
    assert 'mysql' in run.result('localhost', 'ledger')['msg']
    assert not report_dir.exists()


def test_default_ledger_is_read_but_never_created(run_playbook, seed_transfers, tmp_path, license_fixtures):
    default_ledger = tmp_path / 'default' / 'ledger.sqlite3'
    env = {'TSCAL_LEDGER_URL': 'sqlite://%s' % default_ledger, 'HOME': str(tmp_path / 'home')}
    extra = {'clients': _clients(license_fixtures), 'report_dir': str(tmp_path / 'reports')}

    missing = run_playbook(tmp_path, 'default-ledger', DEFAULT_LEDGER, extra, env=env)
    assert missing.rc == 0, missing.stdout + missing.stderr
    result = missing.result('localhost', 'Report with the default ledger')
    assert result['ledger'] == 'sqlite://%s' % default_ledger
    assert set(result['totals']['transfers'].values()) == {0}
    assert not default_ledger.parent.exists() and not (tmp_path / 'home').exists()
    assert sorted(p.name for p in (tmp_path / 'reports').iterdir())[-1] == 'tscal-audit.json'
    assert len(list((tmp_path / 'reports').iterdir())) == 2  # and its dated copy
    # Without report_time the report is made for now.
    made_for = datetime.datetime.fromisoformat(result['report_time'])
    assert abs(datetime.datetime.now(datetime.timezone.utc) - made_for) < datetime.timedelta(minutes=5)

    seed_transfers('sqlite://%s' % default_ledger)
    present = run_playbook(tmp_path, 'default-ledger', DEFAULT_LEDGER, extra, env=env)
    totals = present.result('localhost', 'Report with the default ledger')['totals']
    assert (totals['transfers']['server_revoked'], totals['transfers']['reissue_requested']) == (1, 1)


def test_a_report_file_linked_out_of_dest_is_refused(run_playbook, tmp_path, license_fixtures):
    report_dir = tmp_path / 'reports'
    report_dir.mkdir()
    elsewhere = tmp_path / 'elsewhere.csv'
    elsewhere.write_text('keep me\n')
    (report_dir / 'tscal-audit.csv').symlink_to(elsewhere)
    extra = {'clients': _clients(license_fixtures), 'report_dir': str(report_dir),
             'ledger_url': 'sqlite://%s/ledger.sqlite3' % tmp_path, 'report_time': REPORT_TIME,
             'observed_at': REPORT_TIME}
    run = run_playbook(tmp_path, 'audit', AUDIT, extra)
    result = run.result('localhost', 'Write the report')
    assert result.get('failed') is True and 'is outside %s' % report_dir in result['msg'], result
    assert elsewhere.read_text() == 'keep me\n'


SPOOLED = '''
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Open the spool
      tslicensing.cal.audit_spool: {state: directory, base: "{{ spool_base }}"}
      register: opened

    - name: Keep each host's result
      tslicensing.cal.audit_spool:
        state: present
        spool: "{{ opened.spool }}"
        host: "{{ item.key }}"
        result: "{{ item.value }}"
      loop: "{{ clients | dict2items }}"
      loop_control:
        label: "{{ item.key }}"

    - name: Record what the audit saw
      tslicensing.cal.audit_spool:
        state: recorded
        spool: "{{ opened.spool }}"
        hosts: "{{ hosts_audited }}"
        ledger: "{{ ledger_url }}"
        observed_at: "{{ observed_at }}"

    - name: Write the report
      tslicensing.cal.license_report:
        spool: "{{ opened.spool }}"
        hosts: "{{ hosts_audited }}"
        dest: "{{ report_dir }}"
        ledger: "{{ ledger_url }}"
        report_time: "{{ report_time }}"

    - name: Remove the spool
      tslicensing.cal.audit_spool: {state: absent, spool: "{{ opened.spool }}"}
'''


def test_report_from_a_spool_matches_the_report_from_the_results(run_playbook, seed_transfers, tmp_path,
                                                                 license_fixtures, ledger_url):
    seed_transfers(ledger_url)
    clients = _clients(license_fixtures)
    never = 'pc-never-queried'
    common = {'ledger_url': ledger_url, 'report_time': REPORT_TIME, 'spool_base': str(tmp_path / 'spools'),
              'observed_at': datetime.datetime.now(datetime.timezone.utc).isoformat()}
    spooled = dict(common, clients=clients, hosts_audited=[*clients, never], report_dir=str(tmp_path / 'spooled'))

    checked = run_playbook(tmp_path, 'spooled', SPOOLED, spooled, '--check')
    assert checked.rc == 0, checked.stdout + checked.stderr
    assert checked.result('localhost', 'Record what the audit saw')['completed'][0]['cal_id'] == 'CAL-A'
    assert checked.result('localhost', 'Write the report')['totals']['not_reached'] == 3
    assert not (tmp_path / 'spooled').exists() and list((tmp_path / 'spools').iterdir()) == []

    run = run_playbook(tmp_path, 'spooled', SPOOLED, spooled)
    assert run.rc == 0, run.stdout + run.stderr
    assert run.result('localhost', 'Record what the audit saw')['completed'][0]['cal_id'] == 'CAL-A'
    written = run.result('localhost', 'Write the report')
    assert written['changed'] is True and written['totals']['hosts'] == 12
    assert list((tmp_path / 'spools').iterdir()) == []  # removed at the end
    report = json.loads((tmp_path / 'spooled' / 'tscal-audit.json').read_text())
    hosts = {host['host']: host for host in report['hosts']}
    assert hosts[never]['reached'] is False and hosts['pc-permanent']['transfer_in']['state'] == 'completed'

    # The same results as one argument give the same report, byte for byte.
    direct = dict(common, clients=dict(clients, **{never: {'unreachable': True, 'msg': 'not reached'}}),
                  report_dir=str(tmp_path / 'direct'))
    assert run_playbook(tmp_path, 'audit', AUDIT, direct).rc == 0
    for fmt in ('html', 'json', 'csv'):
        assert (tmp_path / 'spooled' / ('tscal-audit.' + fmt)).read_bytes() == \
            (tmp_path / 'direct' / ('tscal-audit.' + fmt)).read_bytes()

    again = run_playbook(tmp_path, 'spooled', SPOOLED, spooled)
    assert again.rc == 0 and again.json()['stats']['localhost']['changed'] == 0
