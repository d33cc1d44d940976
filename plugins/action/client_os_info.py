# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin for tslicensing.cal.client_os_info (documentation in plugins/modules/client_os_info.yml)."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license, _cmd_chain, _eligibility, _regfile
from ansible_collections.tslicensing.cal.plugins.plugin_utils._action import action_fail
from ansible_collections.tslicensing.cal.plugins.plugin_utils._windows_action import WindowsActionBase

CURRENT_VERSION_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'
COMPUTER_NAME_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName'
# /reg:64: a 32-bit host process would otherwise read the WOW64 view, which on some systems lacks values.
REG_QUERY_ARGV = ('reg.exe', 'query', CURRENT_VERSION_KEY, '/reg:64')
# The identity round trip: OS, NetBIOS computer name and architecture, in one program start.
IDENTITY_STEPS = (
    _cmd_chain.Step('version', REG_QUERY_ARGV),
    _cmd_chain.Step('name', ('reg.exe', 'query', COMPUTER_NAME_KEY, '/v', 'ComputerName')),
    _cmd_chain.Step('arch', tuple(_client_license.reg_query_architecture())),
)


def _sz_value(output: str, name: str) -> str | None:
    for line in output.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0].lower() == name.lower() and parts[1] == 'REG_SZ':
            return parts[2].strip()
    return None


def identity(results: t.Mapping[str, _cmd_chain.StepResult]) -> dict[str, t.Any]:
    """The OS descriptor plus computer_name and architecture (None when the host did not say)."""
    version = results['version']
    os_info = os_from_reg_query(version.rc if version.ran else 1, version.output, '')
    name, arch = results['name'], results['arch']
    os_info['computer_name'] = _sz_value(name.output, 'ComputerName') if name.ok else None
    os_info['architecture'] = _sz_value(arch.output, _client_license.ARCHITECTURE_VALUE) if arch.ok else None
    return os_info


def os_from_reg_query(rc: int, stdout: str, stderr: str) -> dict[str, t.Any]:
    """Descriptor from one ``reg query`` of the CurrentVersion key; a failed or unreadable query is 'unknown'."""
    if rc != 0:
        detail = (stderr or stdout).strip().splitlines()
        return _eligibility.unknown_os('reg query %s failed with rc %d%s' % (
            CURRENT_VERSION_KEY, rc, (': ' + detail[0]) if detail else ''))
    try:
        document = _regfile.parse_reg_query(stdout, CURRENT_VERSION_KEY, source='reg query CurrentVersion')
    except _regfile.RegFileError as e:
        return _eligibility.unknown_os('reg query output unreadable: %s' % e)
    # Only the key's own values: the output also lists its subkeys, which carry none here.
    values = {value.name: value.data for value in document.keys[0].values}
    return _eligibility.parse_current_version(values)


class ActionModule(WindowsActionBase):

    ARGUMENT_SPEC = {
        # No choices: the policy normalises the spelling (2008r2, '2012 R2') and names a value it does not know.
        'license_server': {'type': 'str'},
        'licensing_mode': {'type': 'str', 'choices': list(_eligibility.LICENSING_MODES)},
        'matrix_override': {'type': 'list', 'elements': 'dict', 'default': []},
        'registry_views': {'type': 'list', 'elements': 'str'},
    }

    def _act(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        try:
            # Validate an admin's override before touching the host: a typo there is a config error.
            _eligibility.effective_matrix(args['matrix_override'])
        except _eligibility.MatrixError as e:
            raise action_fail(e, 'matrix_override') from None

        views = None
        if args['registry_views'] is not None:
            try:
                views = _client_license.normalize_views(args['registry_views'])
            except ValueError as exc:
                raise AnsibleActionFail(str(exc)) from None
        # The client license store in the same round trip when asked (a transfer reads both at once).
        steps = list(IDENTITY_STEPS) + [step for step in _client_license.read_steps(views or ())
                                        if step.name != 'arch']
        nonce = _cmd_chain.new_nonce()
        command = self._run_command(_cmd_chain.build(steps, nonce), task_vars, read_only=True)
        if not command.started:
            raise AnsibleActionFail('could not start cmd.exe on the host (rc %d): %s'
                                    % (command.rc, command.message))
        try:
            results = _cmd_chain.parse(command.stdout, steps, nonce)
        except _cmd_chain.ChainError as exc:
            raise AnsibleActionFail('%s: %s' % (exc, command.message[-500:])) from None
        os_info = identity(results)
        eligibility = _eligibility.decide(os_info, args['license_server'], args['licensing_mode'],
                                          args['matrix_override'])
        result = {'changed': False, 'os': os_info, 'eligibility': eligibility}
        if views is not None:
            result['client_license'] = self._store(views, results)
        return result

    @staticmethod
    def _store(views: list[str], results: t.Mapping[str, _cmd_chain.StepResult]) -> dict[str, t.Any]:
        """What tslicensing.cal.client_license state=query returns, from the same steps."""
        try:
            arch = _client_license.architecture(results)
            distinct = _client_license.distinct_views(views, arch)
            found = {view: _client_license.store_in_view(results, view) for view in distinct}
        except _client_license.HostError as exc:
            raise AnsibleActionFail('%s; nothing was changed' % exc) from None
        return {'changed': False, 'architecture': arch,
                'views': {view: _client_license.summary(doc) for view, doc in found.items()}}
