"""Every enumeration the docs, argument specs and AWX surveys repeat for users matches its one source in
Python, so adding a license server generation or an OS family to ``_eligibility.OS_FAMILIES`` (or a report
format, a licensing mode, a registry view) fails here until every place a user reads it says so too.

Two rules, over every ``choices`` list and every description (argument specs, module and filter docs, AWX
surveys, role READMEs): a list that shares two or more values with an enumeration is that enumeration, in
its order (or is another enumeration); a description that names most of its values names them all, and
nothing that looks like one but is not."""

from __future__ import annotations

import ast
import pathlib
import re
import typing as t

import pytest
import yaml

from quality_tools import REPO

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license, _eligibility, _report
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import _views


def _generation(token: str) -> str:
    return re.sub(r'\s+', '', token).upper()


class Enumeration(t.NamedTuple):
    name: str
    values: tuple[str, ...]
    # How a value is spelt in prose (V(2008r2) is the generation 2008R2), and what looks like a value.
    normalize: t.Callable[[str], str]
    looks_like: str


ENUMERATIONS = (
    Enumeration('license server generations (_eligibility.OS_FAMILIES)', _eligibility.LICENSE_SERVER_GENERATIONS,
                _generation, r'^\d{4}(R2)?$'),
    Enumeration('OS families (_eligibility.OS_FAMILIES)', _eligibility.FAMILIES, str.lower,
                r'^(windows_[a-z0-9_]+|non_windows|linux)$'),
    Enumeration('licensing modes (_eligibility.LICENSING_MODES)', _eligibility.LICENSING_MODES, str.lower,
                r'^per_(device|user)$'),
    Enumeration('report formats (_report.FORMATS)', _report.FORMATS, str.lower, r'^(html|json|csv)$'),
    Enumeration('ledger export formats (_ledger._views.EXPORT_FORMATS)', _views.EXPORT_FORMATS, str.lower,
                r'^(json|csv)$'),
    Enumeration('registry views (_client_license.VIEWS)', _client_license.VIEWS, str, r'^(32|64)$'),
)
# Markup that quotes a value in prose: V(x), C(x), `x`.
_QUOTED = re.compile(r'\b[VC]\(([^()]+)\)|`([^`]+)`')


class Place(t.NamedTuple):
    where: str
    choices: t.Optional[list[str]]
    text: str


def _doc_blocks(path: pathlib.Path) -> dict[str, t.Any]:
    """DOCUMENTATION and RETURN of a plugin, from a .py (string constants) or a YAML doc file."""
    if path.suffix == '.py':
        blocks = {}
        for node in ast.parse(path.read_text(encoding='utf-8')).body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id in ('DOCUMENTATION', 'RETURN') and isinstance(node.value, ast.Constant)):
                blocks[node.targets[0].id] = yaml.safe_load(node.value.value)
        return blocks
    loaded = yaml.safe_load(path.read_text(encoding='utf-8')) or {}
    return {key: loaded[key] for key in ('DOCUMENTATION', 'RETURN') if isinstance(loaded.get(key), dict)}


def _text(value: t.Any) -> str:
    if isinstance(value, list):
        return '\n'.join(_text(v) for v in value)
    return value if isinstance(value, str) else ''


def _options(where: str, options: t.Any) -> t.Iterator[Place]:
    for name, spec in (options or {}).items():
        if not isinstance(spec, dict):
            continue
        here = '%s: %s' % (where, name)
        choices = spec.get('choices')
        yield Place(here, [str(c) for c in choices] if isinstance(choices, list) else None,
                    _text(spec.get('description')))
        for key in ('suboptions', 'options', 'contains'):
            yield from _options(here, spec.get(key))


def places() -> t.Iterator[Place]:
    for path in sorted((REPO / 'plugins').glob('*/*')):
        if path.parent.name in ('modules', 'filter', 'inventory', 'lookup', 'test') and path.suffix in (
                '.py', '.yml', '.yaml'):
            blocks = _doc_blocks(path)
            where = str(path.relative_to(REPO))
            doc = blocks.get('DOCUMENTATION') or {}
            yield Place(where, None, _text(doc.get('description')))
            yield from _options(where, doc.get('options'))
            yield from _options(where + ' RETURN', blocks.get('RETURN'))
    for path in sorted(REPO.glob('roles/*/meta/argument_specs.yml')):
        for entry, spec in (yaml.safe_load(path.read_text(encoding='utf-8'))['argument_specs'] or {}).items():
            where = '%s %s' % (path.relative_to(REPO), entry)
            yield Place(where, None, _text(spec.get('description')))
            yield from _options(where, spec.get('options'))
    for path in sorted((REPO / 'awx' / 'surveys').glob('*.yml')):
        for question in yaml.safe_load(path.read_text(encoding='utf-8'))['spec']:
            choices = question.get('choices')
            if isinstance(choices, str):
                choices = [c for c in choices.splitlines() if c.strip()]
            yield Place('%s: %s' % (path.relative_to(REPO), question['variable']),
                        [str(c) for c in choices] if choices else None, _text(question.get('question_description')))
    for path in sorted(REPO.glob('roles/*/README.md')) + [REPO / 'README.md']:
        for number, line in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
            yield Place('%s:%d' % (path.relative_to(REPO), number), None, line)


PLACES = list(places())


def _drift(place: Place, enum: Enumeration) -> t.Optional[str]:
    if place.choices is not None and len(set(place.choices) & set(enum.values)) >= 2:
        # a list may be another enumeration that shares values with this one (report and export formats)
        if not any(place.choices == list(other.values) for other in ENUMERATIONS):
            return 'choices %s, but the %s are %s' % (place.choices, enum.name, list(enum.values))
    quoted = [enum.normalize(a or b) for a, b in _QUOTED.findall(place.text)]
    named = [q for q in quoted if re.match(enum.looks_like, q)]
    # most of an enumeration is a copy of it; a few values are examples (V(2008r2), V(2012 R2), V(2019))
    if len(set(named) & set(enum.values)) >= max(3, len(enum.values) // 2 + 1):
        missing = [v for v in enum.values if v not in named]
        unknown = [v for v in named if v not in enum.values]
        if missing or unknown:
            return 'names %s; missing %s, not one of the %s: %s' % (
                sorted(set(named)), missing, enum.name, unknown)
    return None


def test_the_walk_reaches_the_places_users_read() -> None:
    """A walk that found nothing would pass every test below: it reaches the copies there are today."""
    wheres = ' '.join(place.where for place in PLACES)
    for expected in ('plugins/modules/client_os_info', 'plugins/filter/cal_eligibility.yml',
                     'roles/transfer/meta/argument_specs.yml', 'awx/surveys/transfer.yml: transfer_license_server_version',
                     'roles/eligibility/README.md'):
        assert expected in wheres
    generations = ENUMERATIONS[0]
    checked = [place.where for place in PLACES
               if (place.choices and set(place.choices) & set(generations.values))
               or len({generations.normalize(a or b) for a, b in _QUOTED.findall(place.text)}
                      & set(generations.values)) >= 6]
    assert len(checked) >= 6, checked


@pytest.mark.parametrize('enum', ENUMERATIONS, ids=lambda enum: enum.name.split(' (')[0])
def test_every_copy_of_an_enumeration_matches_its_source(enum: Enumeration) -> None:
    problems = ['%s %s' % (place.where, problem) for place in PLACES
                for problem in [_drift(place, enum)] if problem]
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('place, problem', [
    (Place('x', ['2000', '2003', '2008'], ''), 'choices'),
    (Place('x', None, 'One of V(2000), V(2003), V(2008), V(2012), V(2016), V(2019).'), 'missing'),
    (Place('x', None, 'One of %s, V(1999).' % ', '.join('V(%s)' % g for g in _eligibility.LICENSE_SERVER_GENERATIONS)),
     'not one of'),
])
def test_a_drifted_copy_is_found(place: Place, problem: str) -> None:
    assert problem in (_drift(place, ENUMERATIONS[0]) or '')


def test_a_description_that_names_them_all_in_any_spelling_passes() -> None:
    text = 'One of %s, in any case and spacing (V(2008r2), V(2012 R2)).' % ', '.join(
        'V(%s)' % g for g in _eligibility.LICENSE_SERVER_GENERATIONS)
    assert _drift(Place('x', None, text), ENUMERATIONS[0]) is None


def test_the_license_server_versions_wmi_reports_are_generations() -> None:
    """Win32_TSLicenseServer's ProductVersionID names a generation the eligibility policy knows."""
    from ansible_collections.tslicensing.cal.plugins.plugin_utils import _license_server
    assert set(_license_server.PRODUCT_VERSION_NAMES.values()) <= set(_eligibility.LICENSE_SERVER_GENERATIONS)
