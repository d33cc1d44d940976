"""ansible-lint, production profile, over the whole repository: playbooks, roles, awx/, molecule/,
inventories, changelogs, meta. Offline (no Galaxy), against the real ansible.windows and awx.awx of
.venv/collections; the lab's stand-ins of ansible.windows are excluded (.ansible-lint)."""

from __future__ import annotations

import pathlib

import yaml

from quality_tools import REPO, run_tool

CONFIG = REPO / '.ansible-lint'


def _lint(*args: str | pathlib.Path, cwd: pathlib.Path = REPO) -> tuple[int, list[str]]:
    """Run ansible-lint with this repository's configuration; warnings count as findings (--strict)."""
    run = run_tool('ansible-lint', '--config-file', CONFIG, '--strict', '--nocolor', '--format', 'pep8', *args,
                   cwd=cwd)
    findings = [line for line in run.stdout.splitlines() if line.strip()]
    return run.returncode, findings or [run.stderr]


def test_configuration_is_production_and_offline() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding='utf-8'))
    assert config['profile'] == 'production' and config['offline'] is True
    assert {'.venv/', '.lab/', 'tests/lab/collections/'} <= set(config['exclude_paths'])


def test_repository_has_no_finding() -> None:
    returncode, findings = _lint()
    assert returncode == 0, '\n'.join(findings)


def test_the_gate_reports_what_production_forbids(tmp_path: pathlib.Path) -> None:
    """The same command on a playbook with a short module name and a bare command fails, naming both."""
    (tmp_path / 'playbooks').mkdir()
    (tmp_path / 'playbooks' / 'bad.yml').write_text(
        '---\n- name: Bad\n  hosts: all\n  tasks:\n    - name: Run\n      command: whoami\n')
    returncode, findings = _lint('playbooks/bad.yml', cwd=tmp_path)
    assert returncode != 0
    text = '\n'.join(findings)
    assert 'fqcn[action-core]' in text and 'no-changed-when' in text
