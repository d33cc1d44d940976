"""The five action plugins share one base: validation, the domain-error rule, connection and execution counts."""

from __future__ import annotations

import importlib
import pathlib
import typing as t
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.tslicensing.cal.plugins.plugin_utils._action import CalActionBase, ControllerActionBase
from ansible_collections.tslicensing.cal.plugins.plugin_utils._windows_action import WindowsActionBase

REPO = pathlib.Path(__file__).resolve().parents[2]
ACTIONS = sorted(p.stem for p in (REPO / 'plugins' / 'action').glob('*.py') if not p.name.startswith('_'))
CONTROLLER_ONLY = {'audit_spool', 'license_inventory', 'license_report'}
# A Linux thin client is reached over SSH and runs a Python module: a host, but no Windows plumbing.
LINUX_HOST = {'linux_client_license'}


def action_class(name: str) -> type:
    return importlib.import_module('ansible_collections.tslicensing.cal.plugins.action.' + name).ActionModule


def make_action(name: str, args: dict[str, t.Any], check_mode: bool = False) -> t.Any:
    task = MagicMock(Task)
    task.args = args
    task.check_mode = check_mode
    task.async_val = 0
    return action_class(name)(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)


@pytest.mark.parametrize('name', ACTIONS)
def test_every_action_is_on_the_collection_base_and_needs_a_connection_only_for_a_host(name: str) -> None:
    cls = action_class(name)
    assert issubclass(cls, CalActionBase) and 'run' not in vars(cls)
    assert cls.ARGUMENT_SPEC
    if name in CONTROLLER_ONLY:
        assert issubclass(cls, ControllerActionBase) and cls._requires_connection is False
    elif name in LINUX_HOST:
        assert not issubclass(cls, (ControllerActionBase, WindowsActionBase)) and cls._requires_connection is True
    else:
        assert issubclass(cls, WindowsActionBase) and cls._requires_connection is True


def test_the_controller_only_actions_are_the_ones_without_windows_plumbing() -> None:
    assert ({name for name in ACTIONS if not issubclass(action_class(name), WindowsActionBase)}
            == CONTROLLER_ONLY | LINUX_HOST)


@pytest.mark.parametrize('name,args,context,phrase', [
    ('license_report', {'clients': {}, 'dest': '/nonexistent-dir-tscal', 'report_time': 'next tuesday'},
     'license_report: ', 'is not an ISO 8601 date or time'),
    ('license_inventory', {'action': 'query', 'ledger': 'mysql://db/ledger'}, '', 'unsupported ledger URL'),
    ('client_os_info', {'matrix_override': [{'nonsense': True}]}, 'matrix_override: ', 'nonsense'),
])
def test_a_domain_error_fails_the_task_saying_its_text_once(name: str, args: dict[str, t.Any], context: str,
                                                            phrase: str) -> None:
    plugin = make_action(name, args)
    plugin._execute_module = MagicMock(side_effect=AssertionError('no host call before the arguments are checked'))
    with pytest.raises(AnsibleActionFail) as failure:
        plugin.run(task_vars={})
    message = failure.value.message  # what ansible-core 2.19 shows: the text plus any chained cause's text
    assert message.startswith(context) and message.count(phrase) == 1, message
    assert failure.value.__cause__ is None and failure.value.__suppress_context__


def test_arguments_are_validated_against_the_spec_before_anything_runs() -> None:
    plugin = make_action('license_server', {'mode': 'steal'})
    plugin._execute_module = MagicMock(side_effect=AssertionError('no host call'))
    with pytest.raises(AnsibleActionFail, match='mode'):
        plugin.run(task_vars={})


def test_module_executions_are_counted_into_every_windows_result() -> None:
    plugin = make_action('license_server', {'mode': 'activation'})
    plugin._execute_module = MagicMock(return_value={'changed': False, 'failed': False, 'error': [], 'result': {}})
    result = plugin.run(task_vars={})
    assert result['module_executions'] == 1 and plugin._execute_module.call_count == 1
