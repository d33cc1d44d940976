"""Each action plugin's ARGUMENT_SPEC says what its documentation says, option by option.

The spec stays in Python (its choices and defaults come from the domain constants, e.g. the registry views
or the report formats); the documentation users read is what ansible-doc renders from the sidecar with its
fragments. A difference in names, types, choices, defaults, required, elements, aliases or suboptions fails.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import typing as t

import pytest

from test_docs_render import ANSIBLE_DOC, ENV, REPO

ACTIONS = sorted(p.stem for p in (REPO / 'plugins' / 'action').glob('*.py') if not p.name.startswith('_'))
COMPARED = ('type', 'choices', 'default', 'required', 'elements', 'aliases')


@pytest.fixture(scope='module')
def rendered_docs() -> dict[str, dict[str, t.Any]]:
    names = ['tslicensing.cal.' + name for name in ACTIONS]
    proc = subprocess.run([str(ANSIBLE_DOC), '-t', 'module', '--json'] + names, capture_output=True, text=True,
                          env=ENV, check=True)
    return {name.rsplit('.', 1)[1]: entry['doc'] for name, entry in json.loads(proc.stdout).items()}


def _normal(key: str, value: t.Any) -> t.Any:
    if key == 'type':
        return value or 'str'
    if key == 'required':
        return bool(value)
    if key in ('choices', 'aliases'):
        return sorted(value or [], key=str)
    return value


def drift(spec: dict[str, t.Any], docs: dict[str, t.Any], where: str = '') -> list[str]:
    """Every difference between an argument spec and documented options, as 'option: key spec != docs'."""
    found = ['%s%s: only in %s' % (where, name, 'ARGUMENT_SPEC' if name in spec else 'the docs')
             for name in sorted(set(spec) ^ set(docs))]
    for name in sorted(set(spec) & set(docs)):
        for key in COMPARED:
            coded, documented = _normal(key, spec[name].get(key)), _normal(key, docs[name].get(key))
            if coded != documented:
                found.append('%s%s: %s %r != %r' % (where, name, key, coded, documented))
        if spec[name].get('options') or docs[name].get('suboptions'):
            found += drift(spec[name].get('options') or {}, docs[name].get('suboptions') or {}, where + name + '.')
    return found


@pytest.mark.parametrize('name', ACTIONS)
def test_argument_spec_matches_the_documented_options(name: str, rendered_docs: dict[str, dict[str, t.Any]]) -> None:
    spec = importlib.import_module('ansible_collections.tslicensing.cal.plugins.action.' + name).ActionModule.ARGUMENT_SPEC
    assert drift(spec, rendered_docs[name]['options']) == []


def test_every_kind_of_drift_is_seen() -> None:
    docs = {'a': {'type': 'str', 'choices': ['x', 'y']}, 'b': {'type': 'list', 'elements': 'str', 'default': []},
            'c': {'type': 'dict', 'suboptions': {'d': {'type': 'bool', 'default': False, 'aliases': ['e']}}}}
    spec = {'a': {'type': 'str', 'choices': ['x', 'y', 'z'], 'required': True},
            'b': {'type': 'list', 'elements': 'dict'},
            'c': {'type': 'dict', 'options': {'d': {'type': 'bool', 'default': True}}},
            'f': {}}
    assert drift(spec, docs) == [
        'f: only in ARGUMENT_SPEC',
        "a: choices ['x', 'y', 'z'] != ['x', 'y']", 'a: required True != False',
        'b: default None != []', "b: elements 'dict' != 'str'",
        'c.d: default True != False', "c.d: aliases [] != ['e']",
    ]
    assert drift({'a': {}}, {'a': {'type': 'str'}}) == []  # a missing type is a str on both sides


def test_the_ledger_option_is_one_fragment_and_its_takers_one_action_group() -> None:
    import yaml

    takers = {name for name in ACTIONS if 'ledger' in importlib.import_module(
        'ansible_collections.tslicensing.cal.plugins.action.' + name).ActionModule.ARGUMENT_SPEC}
    runtime = yaml.safe_load((REPO / 'meta' / 'runtime.yml').read_text())
    assert set(runtime['action_groups']['ledger']) == takers
    for name in ACTIONS:
        doc = yaml.safe_load((REPO / 'plugins' / 'modules' / (name + '.yml')).read_text())['DOCUMENTATION']
        fragments = set(doc.get('extends_documentation_fragment', []))
        expected = {'tslicensing.cal.ledger', 'tslicensing.cal.ledger.action_group'} if name in takers else set()
        assert fragments & {'tslicensing.cal.ledger', 'tslicensing.cal.ledger.action_group'} == expected, name
        assert 'ledger' not in doc['options'], '%s describes ledger itself instead of the fragment' % name
