"""antsibull-changelog lint over changelogs/: the configuration, changelog.yaml and every fragment."""

from __future__ import annotations

import pathlib
import shutil

from quality_tools import REPO, run_tool


def _lint(root: pathlib.Path) -> tuple[int, str]:
    run = run_tool('antsibull-changelog', 'lint', cwd=root)
    return run.returncode, run.stdout + run.stderr


def test_changelog_fragments_are_valid() -> None:
    returncode, output = _lint(REPO)
    assert returncode == 0 and output.strip() == '', output
    assert list((REPO / 'changelogs' / 'fragments').glob('*.yml')), 'no fragment at all'


def test_changelog_yaml_is_valid() -> None:
    run = run_tool('antsibull-changelog', 'lint-changelog-yaml', REPO / 'changelogs' / 'changelog.yaml')
    assert run.returncode == 0 and run.stdout.strip() == '', run.stdout + run.stderr


def test_the_gate_reports_a_bad_fragment(tmp_path: pathlib.Path) -> None:
    shutil.copytree(REPO / 'changelogs', tmp_path / 'changelogs')
    shutil.copy(REPO / 'galaxy.yml', tmp_path / 'galaxy.yml')
    (tmp_path / 'changelogs' / 'fragments' / 'bad.yml').write_text('bugfix:\n  - client_license - typo.\n')
    returncode, output = _lint(tmp_path)
    assert returncode != 0 or output.strip()
    assert 'bad.yml' in output and 'bugfix' in output
