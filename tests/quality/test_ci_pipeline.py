"""awx/ci/gitlab-ci.yml: a plan (--check --diff), a manual gate, the same run for real in batches, then the
audit; every ansible-playbook command in it, expanded by bash as the runner would, is a valid invocation
of a playbook of this collection with variables that playbook reads."""

from __future__ import annotations

import json
import pathlib
import shlex
import subprocess
import sys
import typing as t

import pytest
from ansible.parsing.splitter import parse_kv

from quality_tools import REPO, load_yaml, playbook_interface, run_tool, tool_env

PIPELINE = REPO / 'awx' / 'ci' / 'gitlab-ci.yml'
GITLAB_KEYWORDS = {'stages', 'variables', 'default', 'workflow', 'include', 'image', 'services', 'cache',
                   'before_script', 'after_script'}
# What GitLab itself sets (the checkout is the inventory repository, here this one).
PREDEFINED = {'CI_PROJECT_DIR': str(REPO), 'CI_PIPELINE_ID': '4242'}


class Invocation(t.NamedTuple):
    job: str
    argv: list[str]
    playbook: pathlib.Path
    extra_vars: dict[str, str]


def _jobs(pipeline: dict) -> dict[str, dict]:
    return {name: job for name, job in pipeline.items() if name not in GITLAB_KEYWORDS and not name.startswith('.')}


def _expand(command: str, variables: dict[str, str]) -> list[str]:
    """The argv bash gives the command, with the pipeline's variables exported as GitLab does."""
    exports = ''.join('export %s="%s"\n' % (name, value) for name, value in variables.items())
    program, _sep, rest = command.partition(' ')
    capture = '%s -c "import json, sys; print(json.dumps(sys.argv[1:]))"' % shlex.quote(sys.executable)
    script = exports + capture + ' ' + rest
    run = subprocess.run(['bash', '-c', script], env=dict(PREDEFINED, PATH='/usr/bin:/bin'), capture_output=True,
                         text=True, check=True)
    return [program] + json.loads(run.stdout)


def _playbook(argv: list[str]) -> pathlib.Path:
    takes_value = {'-i', '--inventory', '-e', '--extra-vars', '-l', '--limit', '-t', '--tags', '-u', '--user'}
    positional = [arg for previous, arg in zip(argv, argv[1:]) if previous not in takes_value and not arg.startswith('-')]
    assert len(positional) == 1, argv
    name = positional[0]
    assert name.startswith('tslicensing.cal.'), 'run the collection playbook by its FQCN: %s' % name
    return REPO / 'playbooks' / (name.rsplit('.', 1)[1] + '.yml')


def _invocations() -> list[Invocation]:
    pipeline = load_yaml(PIPELINE)
    variables = {name: str(value) for name, value in pipeline.get('variables', {}).items()}
    found = []
    for name, job in _jobs(pipeline).items():
        for line in job.get('script', []):
            if line.startswith('ansible-playbook '):
                argv = _expand(line, variables)
                extra = {}
                for previous, arg in zip(argv, argv[1:]):
                    if previous in ('-e', '--extra-vars'):
                        extra.update(parse_kv(arg))
                found.append(Invocation(name, argv, _playbook(argv), extra))
    return found


INVOCATIONS = _invocations()


def test_pipeline_is_plan_then_manual_apply_then_audit() -> None:
    pipeline = load_yaml(PIPELINE)
    jobs = _jobs(pipeline)
    assert pipeline['stages'] == ['plan', 'apply', 'audit']
    assert [jobs[name]['stage'] for name in ('plan', 'apply', 'audit')] == ['plan', 'apply', 'audit']
    apply = jobs['apply']
    assert apply['when'] == 'manual' and apply['allow_failure'] is False and apply['needs'] == ['plan']
    assert 'when' not in jobs['plan'] and jobs['audit']['needs'] == ['apply']


def test_plan_changes_nothing_and_apply_runs_what_was_planned() -> None:
    by_job = {invocation.job: invocation for invocation in INVOCATIONS}
    plan, apply = by_job['plan'], by_job['apply']
    assert '--check' in plan.argv and '--diff' in plan.argv
    assert '--check' not in apply.argv
    assert plan.playbook == apply.playbook
    assert set(plan.extra_vars.items()) <= set(apply.extra_vars.items()), 'apply must run what the plan showed'
    assert apply.extra_vars['transfer_serial'].endswith('%') or apply.extra_vars['transfer_serial'].isdigit()
    assert apply.extra_vars['transfer_max_fail_percentage'] == '0'
    assert plan.extra_vars['transfer_reason'] == load_yaml(PIPELINE)['variables']['TRANSFER_REASON']


def test_artifacts_are_the_backups_and_the_audit_report() -> None:
    jobs = _jobs(load_yaml(PIPELINE))
    by_job = {invocation.job: invocation for invocation in INVOCATIONS}
    backups = pathlib.Path(by_job['apply'].extra_vars['transfer_backup_dir']).relative_to(REPO)
    reports = pathlib.Path(by_job['audit'].extra_vars['audit_report_dir']).relative_to(REPO)
    assert [pathlib.Path(p) for p in jobs['apply']['artifacts']['paths']] == [backups]
    assert [pathlib.Path(p) for p in jobs['audit']['artifacts']['paths']] == [reports]
    assert jobs['apply']['artifacts']['when'] == 'always'


def test_no_secret_is_set_in_the_pipeline() -> None:
    variables = load_yaml(PIPELINE)['variables']
    assert not {'TSCAL_WINRM_PASSWORD', 'TSCAL_WINRM_USER', 'TSCAL_LEDGER_URL'} & set(variables)
    assert not any('password' in name.lower() or '://' in str(value) and '@' in str(value)
                   for name, value in variables.items())


@pytest.mark.parametrize('invocation', INVOCATIONS, ids=[i.job for i in INVOCATIONS])
def test_command_passes_extra_vars_the_playbook_reads(invocation: Invocation) -> None:
    assert invocation.playbook.is_file()
    unknown = set(invocation.extra_vars) - playbook_interface(invocation.playbook).read
    assert unknown == set(), '%s passes variables %s never reads' % (invocation.playbook.name, sorted(unknown))


@pytest.mark.parametrize('invocation', INVOCATIONS, ids=[i.job for i in INVOCATIONS])
def test_command_is_a_valid_ansible_playbook_invocation(invocation: Invocation) -> None:
    assert invocation.argv[0] == 'ansible-playbook'
    run = run_tool(*invocation.argv, '--syntax-check', env=tool_env(**PREDEFINED))
    assert run.returncode == 0, run.stdout + run.stderr
