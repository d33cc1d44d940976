# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin for tslicensing.cal.client_os_info (documentation in plugins/modules/client_os_info.py)."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _eligibility, _regfile
from ansible_collections.tslicensing.cal.plugins.plugin_utils._windows_action import WindowsActionBase

CURRENT_VERSION_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'
# /reg:64: a 32-bit host process would otherwise read the WOW64 view, which on some systems lacks values.
REG_QUERY_ARGV = ('reg.exe', 'query', CURRENT_VERSION_KEY, '/reg:64')


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
    }

    def run(self, tmp: t.Any = None, task_vars: t.Optional[dict[str, t.Any]] = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp
        args = self._validated_args()
        try:
            # Validate an admin's override before touching the host: a typo there is a config error.
            _eligibility.effective_matrix(args['matrix_override'])
        except _eligibility.MatrixError as e:
            raise AnsibleActionFail('matrix_override: %s' % e) from None

        command = self._run_command(list(REG_QUERY_ARGV), task_vars or {}, read_only=True)
        if not command.started:
            raise AnsibleActionFail('could not start reg.exe on the host (rc %d): %s'
                                    % (command.rc, command.message))
        os_info = os_from_reg_query(command.rc, command.stdout, command.stderr)
        eligibility = _eligibility.decide(os_info, args['license_server'], args['licensing_mode'],
                                          args['matrix_override'])
        result.update(changed=False, os=os_info, eligibility=eligibility,
                      module_executions=self.module_executions)
        return result
