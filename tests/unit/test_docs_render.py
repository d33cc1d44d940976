"""Every plugin and role of the collection has docs that ansible-doc renders (and examples that parse)."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
ANSIBLE_DOC = REPO / '.venv' / 'bin' / 'ansible-doc'
ENV = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / '.venv' / 'collections'), ANSIBLE_NOCOLOR='1')


def _documented(kind: str, folder: str, suffix: str = '.py') -> list[str]:
    names = sorted(p.stem for p in (REPO / 'plugins' / folder).glob('*' + suffix) if not p.name.startswith('_'))
    return ['tslicensing.cal.' + name for name in names]


PLUGINS = ([('module', name) for name in _documented('module', 'modules')]
           + [('filter', name) for name in _documented('filter', 'filter', '.yml')]
           + [('inventory', name) for name in _documented('inventory', 'inventory')]
           + [('role', 'tslicensing.cal.' + p.name) for p in sorted((REPO / 'roles').iterdir()) if p.is_dir()])


def test_every_action_plugin_has_a_module_doc():
    actions = {p.stem for p in (REPO / 'plugins' / 'action').glob('*.py')}
    docs = {p.stem for p in (REPO / 'plugins' / 'modules').glob('*.py')}
    assert actions <= docs


@pytest.mark.parametrize('kind,name', PLUGINS, ids=[name for _kind, name in PLUGINS])
def test_ansible_doc_renders(kind, name):
    proc = subprocess.run([str(ANSIBLE_DOC), '-t', kind, '--json', name], capture_output=True, text=True,
                          env=ENV, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)[name]
    assert doc['doc'] if kind != 'role' else doc['entry_points']['main']['short_description']
    if kind in ('module', 'filter'):
        examples = doc.get('examples')
        assert examples, '%s has no EXAMPLES' % name
        assert isinstance(yaml.safe_load(examples), list)
