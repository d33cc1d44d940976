"""The license_server action's use of win_powershell, with _execute_module mocked (no host, no double)."""

from __future__ import annotations

import typing as t
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.tslicensing.cal.plugins.action.license_server import ActionModule
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _license_server_scripts as scripts

PACK = {'KeyPackId': 3, 'Description': 'RDS Per Device CAL', 'KeyPackType': 1, 'ProductType': 0,
        'ProductVersion': 'Windows Server 2019', 'ProductVersionID': 6, 'TotalLicenses': 10, 'IssuedLicenses': 1,
        'AvailableLicenses': 9, 'ExpirationDate': None, 'TypeAndModel': ''}
CAL = {'LicenseId': 11, 'KeyPackId': 3, 'sIssuedToUser': '', 'sIssuedToComputer': 'PC-042', 'LicenseStatus': 2,
       'IssueDate': None, 'ExpirationDate': None, 'sHardwareId': 'ab'}


def ok(result: dict[str, t.Any]) -> dict[str, t.Any]:
    return {'changed': False, 'failed': False, 'result': result, 'error': []}


def make_action(args: dict[str, t.Any], check_mode: bool,
                answers: list[dict[str, t.Any]]) -> tuple[ActionModule, list[dict[str, t.Any]]]:
    task = MagicMock(Task)
    task.args = args
    task.check_mode = check_mode
    task.async_val = 0
    plugin = ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    calls: list[dict[str, t.Any]] = []

    def execute_module(module_name: str, module_args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        calls.append({'module': module_name, 'args': module_args, 'check_mode': plugin._task.check_mode})
        return answers.pop(0)

    plugin._execute_module = execute_module  # type: ignore[method-assign]
    return plugin, calls


def test_reads_run_with_check_mode_lent_off_and_revoke_is_never_sent_in_check_mode() -> None:
    plugin, calls = make_action({'mode': 'revoke', 'computer': 'PC-042'}, True,
                                [ok({'KeyPacks': [PACK], 'Issued': [CAL]})])
    result = plugin.run(task_vars={})
    assert result['changed'] and [c['license_id'] for c in result['would_revoke']] == [11]
    assert [scripts.script_name(c['args']['script']) for c in calls] == ['list_cals']  # one read, both classes
    assert all(c['module'] == 'ansible.windows.win_powershell' and c['check_mode'] is False for c in calls)
    assert all(c['args']['error_action'] == 'stop' and c['args']['depth'] == 5 for c in calls)
    assert plugin._task.check_mode is True  # lent back


def test_revoke_passes_the_keys_as_parameters() -> None:
    plugin, calls = make_action({'mode': 'revoke', 'computer': 'PC-042'}, False, [
        ok({'KeyPacks': [PACK], 'Issued': [CAL]}),
        {'changed': True, 'failed': False, 'error': [],
         'result': {'Found': True, 'ReturnValue': 0, 'RevokableCals': 1, 'NextRevokeAllowedOn': None}}])
    result = plugin.run(task_vars={})
    assert result['changed'] and result['module_executions'] == 2
    assert calls[1]['args']['parameters'] == {'LicenseId': 11, 'KeyPackId': 3}
    assert scripts.script_name(calls[1]['args']['script']) == 'revoke_issued'


def _listed() -> list[dict[str, t.Any]]:
    plugin, _calls = make_action({'mode': 'list', 'computer': ['PC-042']}, False, [ok({'KeyPacks': [PACK], 'Issued': [CAL]})])
    return plugin.run(task_vars={})['cals']


def test_revoke_of_cals_just_listed_reads_nothing_again() -> None:
    plugin, calls = make_action({'mode': 'revoke', 'computer': ['PC-042'], 'issued': _listed()}, False, [
        {'changed': True, 'failed': False, 'error': [],
         'result': {'Found': True, 'ReturnValue': 0, 'RevokableCals': 1, 'NextRevokeAllowedOn': None}}])
    result = plugin.run(task_vars={})
    assert result['changed'] and result['module_executions'] == 1
    assert [scripts.script_name(c['args']['script']) for c in calls] == ['revoke_issued']
    assert calls[0]['args']['parameters'] == {'LicenseId': 11, 'KeyPackId': 3}


@pytest.mark.parametrize('issued, mode', [([{'license_id': 11}], 'revoke'), ([{'x': 1}], 'revoke'), ([], 'list')])
def test_a_passed_list_that_is_not_one_is_refused_before_any_host_call(issued: t.Any, mode: str) -> None:
    plugin, calls = make_action({'mode': mode, 'computer': ['PC-042'], 'issued': issued}, False, [])
    with pytest.raises(AnsibleActionFail, match='issued'):
        plugin.run(task_vars={})
    assert calls == []


@pytest.mark.parametrize('args', [{'mode': 'list', 'computer': ''}, {'mode': 'revoke', 'computer': ' '},
                                  {'mode': 'list', 'hardware_id': ''}])
def test_blank_selectors_are_refused_before_any_host_call(args: dict[str, t.Any]) -> None:
    plugin, calls = make_action(args, False, [])
    with pytest.raises(AnsibleActionFail, match='must not be empty'):
        plugin.run(task_vars={})
    assert calls == []


def test_win_powershell_check_mode_skip_is_never_taken_as_data() -> None:
    plugin, _calls = make_action({'mode': 'activation'}, False,
                                 [{'changed': True, 'msg': 'skipped, running in check mode'}])
    with pytest.raises(AnsibleActionFail, match='refusing to guess'):
        plugin.run(task_vars={})


def test_module_documentation_parses() -> None:
    import pathlib

    import yaml

    sidecar = pathlib.Path(__file__).resolve().parents[3] / 'plugins' / 'modules' / 'license_server.yml'
    docs = yaml.safe_load(sidecar.read_text())
    documentation = docs['DOCUMENTATION']
    assert documentation['module'] == 'license_server'
    assert documentation['attributes']['check_mode']['support'] == 'full'
    assert set(documentation['options']['mode']['choices']) == {'list', 'revoke', 'keypacks', 'activation'}
    assert set(ActionModule.ARGUMENT_SPEC) == set(documentation['options'])
    assert yaml.safe_load(docs['EXAMPLES']) and docs['RETURN']


def test_unreadable_property_fails_with_a_message() -> None:
    plugin, _calls = make_action({'mode': 'list'}, False, [
        ok({'KeyPacks': [PACK], 'Issued': [{**CAL, 'IssueDate': 'next tuesday'}]})])
    result = plugin.run(task_vars={})
    assert result['failed'] and result['msg'].startswith('unexpected data from the license server')
