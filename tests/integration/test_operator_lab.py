"""The collection run the way operators really run it (issue 11): explicit hosts, --limit, failures that stop a
batch, AWX's blank survey answers, opt-ins, and what the operator reads. Real ansible-playbook runs on a Wine
lab fleet; every registry assertion reads the prefix through Wine's reg.exe.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest
import yaml
from fleet import HostSpec

pytestmark = [pytest.mark.lab, pytest.mark.slow]

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO / 'playbooks'
SURVEYS = REPO / 'awx' / 'surveys'

HOSTS = {
    'op-perm': HostSpec('win10-pro', {'64': 'permanent-license'}),
    'op-temp': HostSpec('win10-pro', {'64': 'temporary-license'}),
    'op-old': HostSpec('win10-pro', {'64': 'one-license'}),  # the real license: temporary, expired in 2007
    'op-new': HostSpec('win11-home', {}),
    'licsrv': HostSpec('server2022', {'64': 'temporary-license'}),
}


@pytest.fixture(scope='module')
def lab(lab_factory):
    made = lab_factory('operator', HOSTS)
    # The inventory an operator has: clients, a license server in license_servers, a host the ledger
    # inventory knows only from the ledger, and a client that is switched off.
    inventory = json.loads(made.inventory.read_text())
    clients = inventory['all']['children']['lab_clients']['hosts']
    server = clients.pop('licsrv')
    offline = dict(clients['op-new'], ansible_wine_prefix=str(made.workdir / 'no-such-prefix'))
    clients['op-down'] = offline
    inventory['all']['children']['license_servers'] = {'hosts': {'licsrv': server}}
    inventory['all']['children']['ledger_only'] = {'hosts': {'op-gone': dict(offline)}}
    made.inventory.write_text(json.dumps(inventory, indent=2))
    return made


def _store(lab, host, view='64'):
    return lab.fleet.export_store(host, view)


def _run(lab, playbook, extra_vars=None, **kwargs):
    kwargs.setdefault('json_output', False)
    return lab.playbook(PLAYBOOKS / ('%s.yml' % playbook), extra_vars=extra_vars, **kwargs)


def _flat(run):
    return ' '.join((run.stdout + run.stderr).split())


def _summary(run):
    text = run.stdout[run.stdout.rindex('Show the summary'):]
    return ' '.join(text.split())


# -- section 2: no destructive default ------------------------------------------------------------

@pytest.mark.parametrize('playbook, variable', [('reset_license_store', 'reset_license_store_hosts'),
                                                ('restore', 'restore_hosts')])
def test_destructive_playbooks_need_an_explicit_host_pattern(lab, tmp_path, playbook, variable):
    before = {host: _store(lab, host) for host in ('op-perm', 'op-temp')}
    for blank in ({}, {variable: None}, {variable: ''}):
        run = _run(lab, playbook, dict(blank, reset_license_store_backup_dir=str(tmp_path)), check=True)
        assert run.rc != 0
        assert '%s is not set: name the hosts to act on' % variable in _flat(run)
        assert 'e.g. -e %s=pc042' % variable in _flat(run)
    assert {host: _store(lab, host) for host in ('op-perm', 'op-temp')} == before


def test_a_pattern_matching_nothing_fails_naming_it(lab, tmp_path):
    run = _run(lab, 'reset_license_store', {'reset_license_store_hosts': 'tmp01',
                                            'reset_license_store_backup_dir': str(tmp_path)})
    assert run.rc != 0 and 'reset_license_store_hosts=tmp01 matches no host in the inventory' in _flat(run)
    # Only license servers and hosts known only to the ledger: nothing this playbook may act on.
    protected = _run(lab, 'reset_license_store', {'reset_license_store_hosts': 'license_servers:ledger_only',
                                                  'reset_license_store_backup_dir': str(tmp_path)})
    assert protected.rc != 0
    assert ('reset_license_store_hosts=license_servers:ledger_only matches no host this playbook may act on '
            '(left out: ') in _flat(protected)
    restore = _run(lab, 'restore', {'restore_hosts': 'licsrv', 'restore_backup_dir': str(tmp_path)})
    assert restore.rc != 0
    assert 'restore_hosts=licsrv matches no host this playbook may act on (left out: licsrv' in _flat(restore)
    assert _store(lab, 'licsrv') is not None and not any(tmp_path.iterdir())


def test_reset_of_all_never_touches_license_servers_and_refuses_a_permanent_cal(lab, tmp_path):
    before = {host: _store(lab, host) for host in HOSTS}
    run = _run(lab, 'reset_license_store', {'reset_license_store_hosts': 'all',
                                            'reset_license_store_backup_dir': str(tmp_path)}, check=True)
    flat = _flat(run)
    assert 'left out licsrv, op-gone' in flat
    assert 'licsrv' not in run.stdout.split('PLAY RECAP')[-1]
    # The permanent CAL is refused before any change (in check mode too), naming the opt-in.
    assert run.rc != 0
    summary = _summary(run)
    assert 'op-perm: FAILED' in summary and 'holds a permanent CAL (view 64: LICENSE000)' in summary
    assert '-e reset_license_store_remove_permanent=true' in summary
    assert {host: _store(lab, host) for host in HOSTS} == before


def test_removing_a_permanent_cal_needs_the_opt_in_and_the_plan_counts_kinds(lab, tmp_path):
    before = _store(lab, 'op-perm')
    run = _run(lab, 'reset_license_store', {'reset_license_store_hosts': 'op-perm,op-old',
                                            'reset_license_store_remove_permanent': True,
                                            'reset_license_store_backup_dir': str(tmp_path)}, check=True, diff=True)
    assert run.rc == 0, run.stdout
    summary = _summary(run)
    # Only the unexpired permanent CAL counts as freed; the real license is temporary and expired in 2007.
    assert 'Reset (check mode: nothing was changed): 2 host(s), 2 would be changed, 0 backup(s) written, ' \
           '1 CAL(s) would be freed' in summary
    assert 'op-perm: would back up and remove the store in view(s) 64 (1 license(s): 1 permanent)' in summary
    assert 'op-old: would back up and remove the store in view(s) 64 (1 license(s): 1 expired)' in summary
    # --diff shows the decoded licenses, not the key's hex dump.
    diff = run.stdout[run.stdout.index('TASK [tslicensing.cal.client_license'):]
    assert re.search(r'-LICENSE000: permanent, license server \S+, valid to 20\d\d-\d\d-\d\dT[\d:]+Z, issued to op-perm',
                     diff, re.IGNORECASE), diff[:3000]
    assert 'ClientHWID' not in diff and 'hex:' not in diff
    assert _store(lab, 'op-perm') == before and not any(tmp_path.iterdir())


def test_limit_keeps_the_summary_and_a_limit_leaving_nothing_fails(lab, tmp_path):
    run = _run(lab, 'reset_license_store', {'reset_license_store_hosts': 'op-perm,op-new',
                                            'reset_license_store_backup_dir': str(tmp_path)}, limit='op-new')
    assert run.rc == 0, run.stdout
    assert 'Reset: 1 host(s), 0 changed' in _summary(run) and 'op-new: the client license store is absent' in _summary(run)
    empty = _run(lab, 'reset_license_store', {'reset_license_store_hosts': 'op-perm',
                                              'reset_license_store_backup_dir': str(tmp_path)}, limit='op-new')
    assert empty.rc != 0
    assert ('--limit op-new leaves none of the 1 host(s) reset_license_store_hosts=op-perm matches') in _flat(empty)


def test_a_failure_that_stops_the_run_still_prints_the_summary(lab, tmp_path):
    before = _store(lab, 'op-temp')
    run = _run(lab, 'reset_license_store', {'reset_license_store_hosts': 'op-down,op-temp',
                                            'reset_license_store_serial': 1,
                                            'reset_license_store_backup_dir': str(tmp_path)})
    assert run.rc != 0
    summary = _summary(run)
    assert 'op-down: FAILED' in summary and 'not a booted Wine prefix' in summary
    assert 'op-temp: LEFT: not started, the run stopped before its batch' in summary
    assert 'stopped: more than 0% of the batch op-down failed; 1 host(s) left not started: op-temp' in _flat(run)
    assert _store(lab, 'op-temp') == before


def test_a_failure_message_says_its_facts_once(lab, tmp_path):
    # A damaged transfer of the export's bytes: the backup is refused, nothing is deleted, and the message says so
    # once (ansible-core 2.19 appends a chained exception's text to the message).
    before = _store(lab, 'op-temp')
    run = _run(lab, 'reset_license_store', {'reset_license_store_hosts': 'op-temp', 'ansible_wine_fetch_fault': 'corrupt',
                                            'reset_license_store_backup_dir': str(tmp_path)})
    assert run.rc != 0
    summary = _summary(run)
    assert summary.count('nothing was deleted') == 1 and summary.count('did not come back intact') == 1, summary
    start = run.stdout.index('fatal: [op-temp]')
    fatal = run.stdout[start:run.stdout.index('TASK [', start)]
    assert fatal.count('nothing was deleted') == 1, fatal
    assert _store(lab, 'op-temp') == before


# -- transfer: --limit, bad requests once, batch sizes ---------------------------------------------------

def _transfer_vars(tmp_path, **variables):
    extra = {'transfer_reason': 'hardware replaced', 'transfer_license_server_version': '2019',
             'transfer_ledger': 'sqlite:///%s' % (tmp_path / 'ledger.sqlite3'),
             'transfer_backup_dir': str(tmp_path / 'backups')}
    extra.update(variables)
    return extra


def test_a_refusal_under_limit_fails_the_run(lab, tmp_path):
    before = _store(lab, 'op-temp')
    run = _run(lab, 'transfer', _transfer_vars(tmp_path, transfer_source='op-temp', transfer_target='op-new'),
               limit='op-temp')
    assert run.rc != 0, run.stdout
    assert 'op-temp: REFUSED: the source holds no permanent per-device CAL' in _summary(run)
    assert '1 host(s) refused, left unchanged: op-temp' in _flat(run), run.stdout[-2500:]
    assert _store(lab, 'op-temp') == before


def test_a_transfer_whose_only_source_is_unreachable_still_prints_the_summary(lab, tmp_path):
    run = _run(lab, 'transfer', _transfer_vars(tmp_path, transfer_source='op-down', transfer_target='op-new'))
    assert run.rc != 0
    summary = _summary(run)
    assert 'op-down: FAILED' in summary and 'cannot be reached' in summary, run.stdout[-3000:]


def test_a_bad_request_is_refused_once_in_a_few_lines(lab, tmp_path):
    extra = _transfer_vars(tmp_path, transfer_source='op-perm,op-temp', transfer_target=None, transfer_reason='')
    del extra['transfer_license_server_version']
    run = _run(lab, 'transfer', extra)
    assert run.rc != 0
    assert run.stdout.count('fatal: [') == 1  # once, not per host
    assert 'argument_spec_data' not in run.stdout and 'validate_args_context' not in run.stdout
    assert len(run.stdout.splitlines()) < 60, run.stdout
    message = _run(lab, 'transfer', extra, json_output=True).result(
        'op-perm', 'Refuse a request that misses what every transfer needs')['msg']
    assert message.startswith('transfer.yml refused, nothing was changed: ')
    assert ('transfer_reason is not set: say why the CAL moves (recorded in the ledger), e.g. '
            '-e "transfer_reason=hardware replaced"') in message
    assert 'transfer_license_server_version is not set: give the license server generation' in message
    assert 'no transfer_target for op-perm, op-temp: name the client receiving the CAL' in message


@pytest.mark.parametrize('variable, value, message', [
    ('transfer_serial', 'abc', 'transfer_serial=abc is not a batch size: give a number of hosts (10) or a percentage (25%)'),
    ('transfer_max_fail_percentage', 'lots', 'transfer_max_fail_percentage=lots is not a percentage'),
])
def test_a_bad_batch_setting_is_a_clean_error(lab, tmp_path, variable, value, message):
    run = _run(lab, 'transfer', _transfer_vars(tmp_path, transfer_source='op-temp', transfer_target='op-new',
                                               **{variable: value}), check=True)
    assert run.rc != 0 and message in _flat(run)
    assert 'Traceback' not in run.stdout + run.stderr


# -- audit: --limit, a pattern matching nothing, dated reports ------------------------------------------

def _audit(lab, tmp_path, report_time, **variables):
    extra = {'audit_ledger': 'sqlite:///%s' % (tmp_path / 'ledger.sqlite3'), 'audit_report_dir': str(tmp_path / 'reports'),
             'audit_report_time': report_time}
    extra.update(variables)
    return extra


def test_audit_under_limit_records_and_reports_and_never_destroys_a_report(lab, tmp_path):
    reports = tmp_path / 'reports'
    run = _run(lab, 'audit', _audit(lab, tmp_path, '2026-03-01T08:00:00Z'), limit='op-temp,op-old')
    assert run.rc == 0, run.stdout[-3000:]
    latest = json.loads((reports / 'tscal-audit.json').read_text())
    assert [host['host'] for host in latest['hosts']] == ['op-old', 'op-temp']
    # What the operator does next, per host; "with a CAL" counts permanent, unexpired CALs only.
    assert {host['host']: host['next_action'] for host in latest['hosts']} == {
        'op-old': 'reset the license store (reset_license_store.yml): a license expired',
        'op-temp': 'assign a permanent CAL (the client holds a temporary license only)'}
    assert (latest['totals']['with_license'], latest['totals']['without_license']) == (0, 2)
    assert 'Next:</b> assign a permanent CAL' in (reports / 'tscal-audit.html').read_text()
    assert (reports / 'tscal-audit-20260301T080000Z.json').read_bytes() == (reports / 'tscal-audit.json').read_bytes()
    assert 'Audit: 2 host(s)' in _summary(run) and 'op-old: view 32: no store; view 64: 1 license(s): 1 expired' in _summary(run)

    # A pattern matching nothing fails, naming it, and writes nothing.
    nothing = _run(lab, 'audit', _audit(lab, tmp_path, '2026-03-02T08:00:00Z', audit_hosts='multi1'))
    assert nothing.rc != 0 and 'audit_hosts=multi1 matches no host in the inventory' in _flat(nothing)
    # An audit that reaches nobody keeps its dated copy but leaves the latest report as it was.
    down = _run(lab, 'audit', _audit(lab, tmp_path, '2026-03-03T08:00:00Z', audit_hosts='op-down'))
    assert down.rc != 0
    assert 'Latest report left as it was (no host was reached)' in _flat(down)
    assert json.loads((reports / 'tscal-audit.json').read_text()) == latest
    assert json.loads((reports / 'tscal-audit-20260303T080000Z.json').read_text())['totals']['not_reached'] == 1
    assert sorted(path.name for path in reports.glob('*.json')) == [
        'tscal-audit-20260301T080000Z.json', 'tscal-audit-20260303T080000Z.json', 'tscal-audit.json']


# -- AWX: every survey with its blank optional answers -------------------------------------------------

# What an operator types into the required questions that have no default.
ANSWERS = {'audit_hosts': 'op-temp,op-old', 'reset_license_store_hosts': 'op-old', 'restore_hosts': 'op-old',
           'transfer_source': 'op-temp', 'transfer_reason': 'hardware replaced'}


def _survey_extra_vars(survey, blank):
    """The extra vars AWX sends for a survey: the answers or defaults of required questions (multiselect as a
    list, integer as int), and ``blank`` (None or "") for every optional question left empty (awx#16205)."""
    extra = {}
    for question in yaml.safe_load(survey.read_text())['spec']:
        name = question['variable']
        if not question['required']:
            extra[name] = blank
        elif name in ANSWERS:
            extra[name] = ANSWERS[name]
        elif question['type'] == 'multiselect':
            extra[name] = [line for line in question['default'].splitlines() if line]
        else:
            extra[name] = question['default']
    return extra


@pytest.mark.parametrize('blank', [None, ''], ids=['null', 'empty'])
def test_every_survey_runs_with_blank_optional_answers(lab, tmp_path, blank):
    env = {'TSCAL_LEDGER_URL': 'sqlite:///%s' % (tmp_path / 'ledger.sqlite3'), 'TSCAL_BACKUP_DIR': str(tmp_path / 'b'),
           'TSCAL_REPORT_DIR': str(tmp_path / 'reports')}
    surveys = {path.stem: _survey_extra_vars(path, blank) for path in sorted(SURVEYS.glob('*.yml'))}
    assert set(surveys) == {'audit', 'reset_license_store', 'restore', 'transfer'}
    before = _store(lab, 'op-old')

    audit = _run(lab, 'audit', surveys['audit'], env=env)
    assert audit.rc == 0, audit.stdout[-3000:]
    assert 'Audit: 2 host(s)' in _summary(audit) and (tmp_path / 'reports' / 'tscal-audit.html').is_file()
    assert 'expiring within 30 days' in _flat(audit)

    reset = _run(lab, 'reset_license_store', surveys['reset_license_store'], env=env)
    assert reset.rc == 0, reset.stdout[-3000:]
    assert 'op-old: backed up and removed the store in view(s) 64 (1 license(s): 1 expired)' in _summary(reset)
    assert list((tmp_path / 'b' / 'op-old').glob('*.reg')) and _store(lab, 'op-old') is None

    restore = _run(lab, 'restore', surveys['restore'], env=env)
    assert restore.rc == 0, restore.stdout[-3000:]
    assert 'op-old: restored the store in view(s) 64' in _summary(restore) and _store(lab, 'op-old') == before

    # The rollout's target comes from the source's host_vars: the blank survey target does not hide it.
    inventory = lab.inventory.read_text()
    data = json.loads(inventory)
    data['all']['children']['lab_clients']['hosts']['op-temp']['transfer_target'] = 'op-new'
    lab.inventory.write_text(json.dumps(data))
    try:
        transfer = _run(lab, 'transfer', surveys['transfer'], env=env, check=True)
    finally:
        lab.inventory.write_text(inventory)
    assert transfer.rc == 2, transfer.stdout[-3000:]
    summary = _summary(transfer)
    assert 'op-temp: REFUSED: the source holds no permanent per-device CAL' in summary
    assert 'None' not in summary and 'no transfer_target' not in summary


def test_the_transfer_plan_says_would_and_counts_kinds(lab, tmp_path):
    before = _store(lab, 'op-perm')
    run = _run(lab, 'transfer', _transfer_vars(tmp_path, transfer_source='op-perm', transfer_target='op-new'),
               check=True)
    assert run.rc == 0, run.stdout[-3000:]
    summary = _summary(run)
    assert 'op-perm: would transfer ' in summary and 'would record the transfer in the ledger (source_cleared)' in summary
    assert 'ledger: source_cleared' not in summary
    assert '(1 license(s): 1 permanent)' in summary and '1 CAL(s) would be freed' in summary
    assert _store(lab, 'op-perm') == before and not (tmp_path / 'ledger.sqlite3').exists()
