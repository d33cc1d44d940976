"""AWX job templates as code: the surveys are valid AWX survey specs that ask for exactly the variables the
playbooks read, awx/configure.yml passes only options the real awx.awx modules have, and a run of it against
recording stand-ins of those modules creates the templates the README promises."""

from __future__ import annotations

import json
import pathlib
import sys
import typing as t

import pytest
import yaml

from quality_tools import REPO, load_yaml, playbook_interface, run_tool, tool_env

AWX = REPO / 'awx'
CONFIGURE = AWX / 'configure.yml'
SURVEYS = sorted((AWX / 'surveys').glob('*.yml'))
# AWX's JobTemplateSurveySpec.ALLOWED_TYPES: the Python type a default must have.
SURVEY_TYPES = {'text': str, 'textarea': str, 'password': str, 'multiplechoice': str, 'multiselect': str,
                'integer': int, 'float': (int, float)}
# Variables a playbook reads that its survey deliberately does not ask for.
NOT_IN_SURVEY = {
    'transfer_views': 'both registry views, the default, are what a transfer frees',
    'transfer_target': 'asked as transfer_target_for_all: a blank AWX answer (null or "") under this name would hide '
                       "the sources' host_vars",
    'transfer_target_declared_os': 'a dict, declared in the host_vars of targets that cannot be queried yet',
    'transfer_source_computer': "per source: host_vars, when the license server knows a source by another name",
    'transfer_operator': 'set by the job template to the launching AWX user',
    'audit_views': 'both registry views, the default',
    'audit_report_formats': 'all three formats, the default',
    'audit_report_time': 'now, the default',
    'audit_record_observations': 'an audit records what it saw; the plan of a run is --check',
}


_load = load_yaml


def _choices(question: dict) -> list[str]:
    choices = question['choices']
    return [c for c in choices.splitlines() if c.strip()] if isinstance(choices, str) else list(choices)


def _survey_errors(survey: dict) -> list[str]:
    """The checks AWX's survey_spec endpoint and launch-time validation make, as a list of problems."""
    errors = [problem for field, kind in (('name', str), ('description', str), ('spec', list))
              for problem in ([] if isinstance(survey.get(field), kind) else ['%s must be a %s' % (field, kind.__name__)])]
    if errors:
        return errors
    seen: set[str] = set()
    for index, question in enumerate(survey['spec']):
        where = 'question %d (%s)' % (index, question.get('variable'))
        for field, kind in (('type', str), ('question_name', str), ('variable', str), ('required', bool)):
            if not isinstance(question.get(field), kind):
                errors.append('%s: %s must be a %s' % (where, field, kind.__name__))
        if question.get('variable') in seen:
            errors.append('%s: variable asked twice' % where)
        seen.add(question.get('variable'))
        qtype = question.get('type')
        if qtype not in SURVEY_TYPES:
            errors.append('%s: type %r is not one of %s' % (where, qtype, sorted(SURVEY_TYPES)))
            continue
        if not question.get('question_description'):
            errors.append('%s: no question_description' % where)
        for bound in ('min', 'max'):
            if bound in question and not isinstance(question[bound], int):
                errors.append('%s: %s must be an integer' % (where, bound))
        if 'default' not in question:
            continue
        default = question['default']
        if not isinstance(default, SURVEY_TYPES[qtype]) or isinstance(default, bool):
            errors.append('%s: default %r is not a %s' % (where, default, qtype))
            continue
        if qtype in ('multiplechoice', 'multiselect'):
            picked = [d for d in default.splitlines() if d.strip()]
            if qtype == 'multiplechoice' and len(picked) != 1:
                errors.append('%s: a multiplechoice default is one choice' % where)
            if any(choice not in _choices(question) for choice in picked):
                errors.append('%s: default %r is not among the choices' % (where, default))
        sized = len(default) if isinstance(default, str) else default
        if qtype in ('text', 'textarea', 'integer', 'float'):
            if question.get('min') is not None and sized < question['min']:
                errors.append('%s: default %r is below min' % (where, default))
            if question.get('max') is not None and sized > question['max']:
                errors.append('%s: default %r is above max' % (where, default))
    for question in survey['spec']:
        if question.get('type') in ('multiplechoice', 'multiselect') and not question.get('choices'):
            errors.append('%s: no choices' % question.get('variable'))
    return errors


def _as_survey_default(value: t.Any, qtype: str) -> t.Any:
    """A playbook or argument-spec default, written the way the survey writes it."""
    if isinstance(value, bool):
        return str(value).lower()
    if qtype == 'multiselect':
        return '\n'.join(str(v) for v in value)
    return value


@pytest.mark.parametrize('survey_file', SURVEYS, ids=[p.stem for p in SURVEYS])
def test_survey_is_a_valid_awx_survey(survey_file: pathlib.Path) -> None:
    assert _survey_errors(_load(survey_file)) == []


def test_the_survey_checks_catch_what_awx_refuses() -> None:
    broken = {'name': 'x', 'description': 'x', 'spec': [
        {'type': 'boolean', 'question_name': 'q', 'variable': 'a', 'required': True},
        {'type': 'integer', 'question_name': 'q', 'question_description': 'd', 'variable': 'b', 'required': True,
         'default': '5'},
        {'type': 'multiplechoice', 'question_name': 'q', 'question_description': 'd', 'variable': 'b',
         'required': 'yes', 'choices': ['x', 'y'], 'default': 'z'},
    ]}
    problems = '\n'.join(_survey_errors(broken))
    assert "type 'boolean'" in problems and "default '5' is not a integer" in problems
    assert 'variable asked twice' in problems and 'required must be a bool' in problems
    assert 'not among the choices' in problems


def test_there_is_a_survey_for_each_playbook_in_the_job_templates() -> None:
    playbooks = {entry['playbook'] for entry in _load(CONFIGURE)[0]['vars']['tscal_awx_playbooks']}
    assert playbooks == {p.stem for p in SURVEYS}
    assert {'transfer', 'audit', 'restore'} <= playbooks
    assert all((REPO / 'playbooks' / (name + '.yml')).is_file() for name in playbooks)


@pytest.mark.parametrize('survey_file', SURVEYS, ids=[p.stem for p in SURVEYS])
def test_survey_asks_exactly_what_the_playbook_reads(survey_file: pathlib.Path) -> None:
    interface = playbook_interface(REPO / 'playbooks' / survey_file.name)
    asked = {question['variable'] for question in _load(survey_file)['spec']}
    assert asked - interface.read == set(), 'asked but never read by the playbook'
    not_asked = {name for name in NOT_IN_SURVEY if name.startswith(survey_file.stem + '_')}
    assert interface.read - asked == not_asked, 'read by the playbook but neither asked nor listed in NOT_IN_SURVEY'
    assert interface.required <= asked, 'a required variable is not asked'


@pytest.mark.parametrize('survey_file', SURVEYS, ids=[p.stem for p in SURVEYS])
def test_survey_defaults_and_choices_match_the_playbook(survey_file: pathlib.Path) -> None:
    interface = playbook_interface(REPO / 'playbooks' / survey_file.name)
    for question in _load(survey_file)['spec']:
        name = question['variable']
        if name in interface.choices:
            assert _choices(question) == [str(c) for c in interface.choices[name]], name
        if 'default' in question and name in interface.defaults:
            assert question['default'] == _as_survey_default(interface.defaults[name], question['type']), name
        if 'default' in question:
            # AWX passes a survey default as an extra var: an empty one would override host_vars and role defaults.
            assert question['default'] != '', '%s: leave an optional question without a default' % name


def test_configure_passes_ansible_playbook_syntax_check() -> None:
    run = run_tool('ansible-playbook', '--syntax-check', CONFIGURE)
    assert run.returncode == 0, run.stdout + run.stderr


def _awx_tasks() -> list[tuple[str, dict]]:
    plays = _load(CONFIGURE)
    return [(key, task[key]) for play in plays for task in play['tasks'] for key in task if key.startswith('awx.awx.')]


@pytest.fixture(scope='module')
def awx_docs() -> dict[str, dict]:
    modules = sorted({module for module, _args in _awx_tasks()})
    run = run_tool('ansible-doc', '--json', *modules)
    assert run.returncode == 0, run.stderr
    return {name: entry['doc'] for name, entry in json.loads(run.stdout).items()}


def _option_names(doc: dict) -> set[str]:
    return {alias for name, option in doc['options'].items() for alias in [name] + option.get('aliases', [])}


def test_every_awx_task_argument_is_an_option_of_the_real_module(awx_docs: dict[str, dict]) -> None:
    assert {'awx.awx.job_template', 'awx.awx.project', 'awx.awx.execution_environment'} <= set(awx_docs)
    for module, args in _awx_tasks():
        doc = awx_docs[module]
        assert set(args) - _option_names(doc) == set(), module
        for name, value in args.items():
            choices = doc['options'].get(name, {}).get('choices')
            if choices and isinstance(value, str) and '{{' not in value:
                assert value in choices, '%s: %s=%r not in %s' % (module, name, value, choices)
        missing = {name for name, option in doc['options'].items() if option.get('required') and name not in args}
        assert missing == set(), module


def test_module_defaults_group_covers_every_awx_task(awx_docs: dict[str, dict]) -> None:
    play = _load(CONFIGURE)[0]
    defaults = play['module_defaults']['group/awx.awx.controller']
    runtime = _load(REPO / '.venv' / 'collections' / 'ansible_collections' / 'awx' / 'awx' / 'meta' / 'runtime.yml')
    group = set(runtime['action_groups']['controller'])
    for module, doc in awx_docs.items():
        assert module.rsplit('.', 1)[1] in group
        assert set(defaults) <= _option_names(doc), module
    secrets = ('password', 'token', 'oauth')
    assert not [name for name in defaults if any(word in name for word in secrets)], 'auth comes from CONTROLLER_*'


_STUB_MODULE = '''\
#!/usr/bin/python
"""Test stand-in for {module}: accepts exactly the real module's options and records what it was given."""
import json
import os

from ansible.module_utils.basic import AnsibleModule

OPTIONS = {options!r}


def main():
    spec = dict((name, dict(type='raw', aliases=aliases, no_log=False)) for name, aliases in OPTIONS.items())
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    with open(os.environ['AWX_STUB_RECORD'], 'a') as record:
        params = dict((k, v) for k, v in module.params.items() if v is not None)
        record.write(json.dumps({{'module': {module!r}, 'params': params}}) + '\\n')
    module.exit_json(changed=True)


if __name__ == '__main__':
    main()
'''


@pytest.fixture(scope='module')
def configured(awx_docs: dict[str, dict], tmp_path_factory: pytest.TempPathFactory) -> dict[str, t.Any]:
    """Run awx/configure.yml with awx.awx replaced by recording stand-ins that take the real options."""
    root = tmp_path_factory.mktemp('awx-stub')
    collection = root / 'ansible_collections' / 'awx' / 'awx'
    (collection / 'plugins' / 'modules').mkdir(parents=True)
    (collection / 'meta').mkdir()
    (collection / 'galaxy.yml').write_text('namespace: awx\nname: awx\nversion: 0.0.1\nreadme: README.md\n'
                                           'authors: [test]\n')
    names = sorted(module.rsplit('.', 1)[1] for module in awx_docs)
    (collection / 'meta' / 'runtime.yml').write_text(yaml.safe_dump({'action_groups': {'controller': names}}))
    for module, doc in awx_docs.items():
        options = {name: option.get('aliases', []) for name, option in doc['options'].items()}
        (collection / 'plugins' / 'modules' / (module.rsplit('.', 1)[1] + '.py')).write_text(
            _STUB_MODULE.format(module=module, options=options))
    record = root / 'record.jsonl'
    ledger_url = 'postgresql://tscal:s3cr3t-ledger@db.corp.example.com/tscal'
    env = tool_env(ANSIBLE_COLLECTIONS_PATH=str(root), AWX_STUB_RECORD=str(record),
                   CONTROLLER_HOST='https://awx.corp.example.com', CONTROLLER_OAUTH_TOKEN='not-a-real-token',
                   TSCAL_LEDGER_URL=ledger_url, TSCAL_WINRM_USER='CORP\\svc-tscal',
                   TSCAL_WINRM_PASSWORD='s3cr3t-winrm', ANSIBLE_LOCALHOST_WARNING='False')
    run = run_tool('ansible-playbook', CONFIGURE, '-e', 'tscal_awx_scm_url=https://git.corp.example.com/ops/tscal.git',
                   '-e', 'tscal_awx_ee_image=registry.corp.example.com/tscal-ee:0.1.0',
                   '-e', 'tscal_awx_data_dir=/srv/tscal', '-e', 'ansible_python_interpreter=' + sys.executable,
                   env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    return {'run': run, 'calls': calls, 'ledger_url': ledger_url}


def _calls(configured: dict[str, t.Any], module: str) -> list[dict]:
    return [call['params'] for call in configured['calls'] if call['module'] == 'awx.awx.' + module]


def test_configure_creates_a_template_per_playbook_and_a_plan_for_the_changing_ones(configured: dict) -> None:
    templates = {params['name']: params for params in _calls(configured, 'job_template')}
    by_playbook: dict[str, set[str]] = {}
    for params in templates.values():
        by_playbook.setdefault(params['playbook'], set()).add(params['job_type'])
    assert by_playbook == {'playbooks/transfer.yml': {'run', 'check'}, 'playbooks/audit.yml': {'run'},
                           'playbooks/restore.yml': {'run', 'check'},
                           'playbooks/reset_license_store.yml': {'run', 'check'}}
    assert len(templates) == 7
    project = _calls(configured, 'project')[0]
    environment = _calls(configured, 'execution_environment')[0]
    assert project['default_environment'] == environment['name']
    assert environment['image'] == 'registry.corp.example.com/tscal-ee:0.1.0'
    for params in templates.values():
        assert (REPO / params['playbook']).is_file()
        assert params['project'] == project['name'] and params['execution_environment'] == environment['name']
        assert params['ask_inventory_on_launch'] and params['ask_limit_on_launch'] and params['diff_mode']
        assert params['survey_enabled'] is True
        assert params['survey_spec'] == _load(AWX / 'surveys' / pathlib.Path(params['playbook']).name)
        assert ('(plan)' in params['name']) == (params['job_type'] == 'check')
        interface = playbook_interface(REPO / params['playbook'])
        assert set(params['extra_vars']) <= interface.read
        assert all(str(value).startswith(('/srv/tscal/', '{{')) for value in params['extra_vars'].values())


def test_configure_hands_the_secrets_over_as_credentials(configured: dict) -> None:
    types = {params['name']: params for params in _calls(configured, 'credential_type')}
    # Kept as templates for AWX to fill in at launch, not rendered by ansible-playbook here.
    assert types['tslicensing.cal ledger']['injectors'] == {'env': {'TSCAL_LEDGER_URL': '{{ ledger_url }}'}}
    assert types['tslicensing.cal WinRM']['injectors'] == {
        'env': {'TSCAL_WINRM_USER': '{{ username }}', 'TSCAL_WINRM_PASSWORD': '{{ password }}'}}
    for params in types.values():
        fields = params['inputs']['fields']
        assert params['inputs']['required'] == [field['id'] for field in fields]
        assert all(field['secret'] for field in fields if field['id'] in ('password', 'ledger_url'))
    credentials = {params['name']: params for params in _calls(configured, 'credential')}
    ledger, winrm = credentials['TS CAL ledger'], credentials['TS CAL WinRM']
    assert ledger['inputs'] == {'ledger_url': configured['ledger_url']}
    assert winrm['inputs'] == {'username': 'CORP\\svc-tscal', 'password': 's3cr3t-winrm'}
    output = configured['run'].stdout + configured['run'].stderr
    assert 's3cr3t' not in output
    for params in _calls(configured, 'job_template'):
        reads_ledger = params['playbook'] in ('playbooks/transfer.yml', 'playbooks/audit.yml')
        assert (ledger['name'] in params['credentials']) == reads_ledger, params['name']
        assert winrm['name'] in params['credentials']


def test_configure_refuses_to_run_without_controller_settings(tmp_path: pathlib.Path) -> None:
    run = run_tool('ansible-playbook', CONFIGURE, '-e', 'tscal_awx_scm_url=https://git.example/x.git',
                   '-e', 'tscal_awx_ee_image=ee:1', '-e', 'tscal_awx_data_dir=/srv/tscal', cwd=tmp_path)
    assert run.returncode != 0
    assert 'CONTROLLER_HOST' in run.stdout
