"""The built collection: ansible-galaxy builds it, and the tarball holds no test, lab or CI code."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import tarfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
ANSIBLE_GALAXY = REPO / '.venv' / 'bin' / 'ansible-galaxy'


@pytest.fixture(scope='module')
def built(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp('build')
    proc = subprocess.run([str(ANSIBLE_GALAXY), 'collection', 'build', '--output-path', str(out), str(REPO)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return next(out.glob('tslicensing-cal-*.tar.gz'))


def test_build_ships_the_plugins_and_no_test_or_lab_code(built):
    with tarfile.open(built) as archive:
        names = archive.getnames()
    assert 'plugins/action/client_license.py' in names
    assert 'plugins/plugin_utils/_regfile.py' in names
    assert 'plugins/plugin_utils/_report/page.html.j2' in names  # the report page's template
    assert 'playbooks/reset_license_store.yml' in names
    assert 'MANIFEST.json' in names and 'meta/runtime.yml' in names
    forbidden = [name for name in names
                 if name.split('/')[0] in {'tests', 'molecule', 'scripts', 'benchmarks', '.ci', '.lab', '.venv', '.git'}
                 or '__pycache__' in name or 'lab.wine' in name or name.endswith('_lab_wine.py')]
    assert forbidden == []


def _read(tarball: pathlib.Path, name: str) -> str:
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(name)
        assert member is not None, name
        return member.read().decode('utf-8')


def test_the_built_collection_carries_the_gpl_3_license(built):
    text = _read(built, 'LICENSE')
    assert text.lstrip().startswith('GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007')
    assert 'END OF TERMS AND CONDITIONS' in text and len(text) > 30000  # the full text, not a notice
    manifest = json.loads(_read(built, 'MANIFEST.json'))['collection_info']
    assert manifest['license'] == ['GPL-3.0-or-later']


# A relative path in `code` or a Markdown link: folders/file.ext, or a file name with an extension.
_PATH = re.compile(r'^(?:[A-Za-z0-9_.-]+/)+[A-Za-z0-9_.*-]*$|^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.(?:md|yml|yaml|txt|py|sh|json|png|cfg)$'
                   r'|^LICENSE$')


def _referenced_paths(markdown: str) -> set[str]:
    spans = re.findall(r'`([^`\n]+)`', markdown) + re.findall(r'\]\(([^)\s]+)\)', markdown)
    found = set()
    for span in spans:
        for token in span.split():
            token = token.strip('\'",;:')
            if _PATH.match(token) and not token.startswith(('~', '/', 'http')) and '://' not in token:
                found.add(token)
    return found


def test_the_shipped_readme_points_only_to_files_the_tarball_holds(built):
    manifest = json.loads(_read(built, 'MANIFEST.json'))['collection_info']
    with tarfile.open(built) as archive:
        names = set(archive.getnames())
    readme = _read(built, manifest['readme'])
    referenced = _referenced_paths(readme)
    assert {'LICENSE', 'requirements.txt', 'inventories/example/'} <= referenced  # the check sees paths
    missing = sorted(path for path in referenced
                     if path.rstrip('/') not in names and not any(n.startswith(path.rstrip('/') + '/') for n in names))
    assert missing == []
    assert _referenced_paths('see `scripts/setup.sh`, [x](tests/lab/fleet.py) and `ansible.cfg`') == {
        'scripts/setup.sh', 'tests/lab/fleet.py', 'ansible.cfg'}
