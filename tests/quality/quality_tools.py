"""Helpers of the quality gates: run the venv's tools against this checkout with a clean environment."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import typing as t

import jinja2
import jinja2.nodes
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = pathlib.Path(sys.executable).parent
VENV_COLLECTIONS = REPO / '.venv' / 'collections'


def tool_env(**overrides: str) -> dict[str, str]:
    """The caller's environment without ANSIBLE_*/TSCAL_*/CONTROLLER_* settings that would leak into a run,
    with the checkout's collections (real ansible.windows and awx.awx, never the lab stand-ins)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'TSCAL_', 'CONTROLLER_'))}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(VENV_COLLECTIONS), ANSIBLE_NOCOLOR='1', NO_COLOR='1',
               PATH='%s%s%s' % (VENV_BIN, os.pathsep, env.get('PATH', os.defpath)))
    env.update(overrides)
    return env


def run_tool(*argv: str | os.PathLike[str], cwd: pathlib.Path = REPO, env: dict[str, str] | None = None,
             timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a venv tool (ansible-playbook, ansible-lint, ...) and return its result; never raises on failure."""
    program = str(argv[0]) if os.sep in str(argv[0]) else str(VENV_BIN / argv[0])
    return subprocess.run([program] + [str(arg) for arg in argv[1:]], cwd=cwd, env=env or tool_env(),
                          capture_output=True, text=True, check=False, timeout=timeout)


# -- what a playbook reads --------------------------------------------------------------------------------
_CONDITION_KEYS = frozenset({'when', 'that', 'failed_when', 'changed_when', 'until'})
_ROLE_INCLUDES = frozenset({'ansible.builtin.include_role', 'ansible.builtin.import_role', 'include_role',
                            'import_role'})


class PlaybookInterface(t.NamedTuple):
    """The variables of one playbook: those its Jinja expressions and its roles' argument specs read."""
    read: frozenset[str]
    required: frozenset[str]          # used without a default, or required by a role's argument spec
    defaults: dict[str, t.Any]        # from `| default(<literal>)` or the role's argument spec
    choices: dict[str, list[t.Any]]   # from the roles' argument specs


def _expressions(node: t.Any, key: str = '') -> t.Iterator[str]:
    """Every Jinja template of a loaded playbook; conditionals are bare expressions."""
    if isinstance(node, dict):
        for child_key, child in node.items():
            yield from _expressions(child, str(child_key))
    elif isinstance(node, list):
        for child in node:
            yield from _expressions(child, key)
    elif isinstance(node, str):
        if key in _CONDITION_KEYS:
            yield '{{ %s }}' % node
        elif '{{' in node or '{%' in node:
            yield node


_BLANK_DEFAULT_FILTERS = {'tslicensing.cal.default_if_blank': 0, 'tslicensing.cal.batch_size': 1,
                          'tslicensing.cal.fail_percentage': 1}
_BLANK_DEFAULT_FALLBACK = {'tslicensing.cal.default_if_blank': '', 'tslicensing.cal.batch_size': '100%',
                           'tslicensing.cal.fail_percentage': 0}


def _tasks(tasks: t.Any) -> t.Iterator[dict]:
    """Every task, the ones in blocks (block, rescue, always) included."""
    for task in tasks or []:
        yield task
        for section in ('block', 'rescue', 'always'):
            yield from _tasks(task.get(section))


def _scan(template: str, found: dict[str, set[str]], defaults: dict[str, t.Any]) -> None:
    tree = jinja2.Environment().parse(template)
    defaulted: set[int] = set()
    for flt in tree.find_all(jinja2.nodes.Filter):
        if flt.name in ('default', 'd') and isinstance(flt.node, jinja2.nodes.Name):
            defaulted.add(id(flt.node))
            if flt.args:
                try:
                    value = flt.args[0].as_const()
                except jinja2.nodes.Impossible:
                    continue
                if value is not None:  # default(none): undefined is null, no default
                    defaults[flt.node.name] = value
    # x | default(none) | tslicensing.cal.default_if_blank(d) (and the batch_size / fail_percentage checks): the
    # playbooks' way to treat a blank AWX answer as unset; d is the default.
    for flt in tree.find_all(jinja2.nodes.Filter):
        position = _BLANK_DEFAULT_FILTERS.get(flt.name)
        inner = flt.node
        if position is None or not (isinstance(inner, jinja2.nodes.Filter) and inner.name in ('default', 'd')
                                    and isinstance(inner.node, jinja2.nodes.Name)):
            continue
        try:
            value = flt.args[position].as_const() if len(flt.args) > position else _BLANK_DEFAULT_FALLBACK[flt.name]
        except jinja2.nodes.Impossible:
            continue
        if value not in ('', None):  # blank for blank: a check that the value is set, not a default
            defaults[inner.node.name] = value
    for name in tree.find_all(jinja2.nodes.Name):
        if name.ctx == 'load':
            found['defaulted' if id(name) in defaulted else 'bare'].add(name.name)


def _role_specs(play_or_task: dict, key: str) -> t.Iterator[tuple[dict, set[str]]]:
    """(argument spec options, variables the playbook itself passes) of each collection role it runs."""
    entries: list[tuple[str, str, dict]] = []
    for role in play_or_task.get('roles', []) if key == 'play' else []:
        role = {'role': role} if isinstance(role, str) else role
        entries.append((role.get('role') or role.get('name'), 'main', role.get('vars', {})))
    action = next((name for name in _ROLE_INCLUDES if name in play_or_task), None)
    if action:
        args = play_or_task[action]
        entries.append((args['name'], args.get('tasks_from', 'main'), play_or_task.get('vars', {})))
    for name, entry_point, passed in entries:
        spec_file = REPO / 'roles' / name.rsplit('.', 1)[-1] / 'meta' / 'argument_specs.yml'
        if name.startswith('tslicensing.cal.') and spec_file.is_file():
            specs = yaml.safe_load(spec_file.read_text(encoding='utf-8'))['argument_specs']
            yield specs.get(entry_point, {}).get('options', {}), set(passed)


def playbook_interface(playbook: pathlib.Path) -> PlaybookInterface:
    """The variables named <playbook stem>_* that a playbook of this checkout reads."""
    prefix = playbook.stem + '_'
    plays = load_yaml(playbook)
    found: dict[str, set[str]] = {'bare': set(), 'defaulted': set()}
    defaults: dict[str, t.Any] = {}
    choices: dict[str, list[t.Any]] = {}
    required: set[str] = set()
    for template in _expressions(plays):
        _scan(template, found, defaults)
    role_holders = [(play, 'play') for play in plays]
    role_holders += [(task, 'task') for play in plays for section in ('pre_tasks', 'tasks', 'post_tasks')
                     for task in _tasks(play.get(section))]
    for holder, key in role_holders:
        for options, passed in _role_specs(holder, key):
            for name, option in options.items():
                if name in passed:
                    continue
                found['defaulted' if 'default' in option or not option.get('required') else 'bare'].add(name)
                if option.get('required'):
                    required.add(name)
                if 'default' in option:
                    defaults.setdefault(name, option['default'])
                if 'choices' in option:
                    choices[name] = option['choices']
    read = {name for names in found.values() for name in names if name.startswith(prefix)}
    required |= {name for name in found['bare'] if name.startswith(prefix)}
    return PlaybookInterface(frozenset(read), frozenset(required & read),
                             {k: v for k, v in defaults.items() if k in read}, choices)


class _PlaybookLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """SafeLoader that reads Ansible's !unsafe tag as the plain string it marks."""


_PlaybookLoader.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))


def load_yaml(path: pathlib.Path) -> t.Any:
    """A YAML file of this checkout (playbooks may use !unsafe)."""
    return yaml.load(path.read_text(encoding='utf-8'), Loader=_PlaybookLoader)  # nosec: a SafeLoader
