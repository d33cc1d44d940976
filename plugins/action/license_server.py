# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action tslicensing.cal.license_server: issued per-device CALs, revocation, key packs, activation.

Runs on the controller; each Windows-side step is one small script (``_license_server_scripts``) sent
through ``ansible.windows.win_powershell``; every decision is made by ``_license_server``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

from ansible.errors import AnsibleActionFail
from ansible.utils.display import Display

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _license_server as ls
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _license_server_scripts as scripts
from ansible_collections.tslicensing.cal.plugins.plugin_utils._windows_action import WindowsActionBase

display = Display()


class _Blocked(Exception):
    """Revocation stopped for a reason the caller must act on (limit reached, per-user CALs)."""

    def __init__(self, message: str, blocked_by: str, **details: t.Any) -> None:
        super().__init__(message)
        self.blocked_by = blocked_by
        self.details = details


class ActionModule(WindowsActionBase):

    ARGUMENT_SPEC = {
        'mode': {'type': 'str', 'required': True, 'choices': ['list', 'revoke', 'keypacks', 'activation']},
        'computer': {'type': 'list', 'elements': 'str'},
        'hardware_id': {'type': 'str'},
        'issued': {'type': 'list', 'elements': 'dict'},
    }
    REQUIRED_IF = [('mode', 'revoke', ['computer'])]

    def _act(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        # An empty value would select every CAL on the server, and in revoke mode revoke them all.
        if args['computer'] is not None and (not args['computer'] or not all(n.strip() for n in args['computer'])):
            raise AnsibleActionFail('computer must not be empty nor hold an empty name; omit it instead')
        if args['hardware_id'] is not None and not args['hardware_id'].strip():
            raise AnsibleActionFail('hardware_id must not be empty; omit it instead')
        if args['issued'] is not None and args['mode'] != 'revoke':
            raise AnsibleActionFail('issued is only for mode=revoke (the cals a list of this server returned)')
        handlers = {
            'list': self._list,
            'revoke': self._revoke,
            'keypacks': self._keypacks,
            'activation': self._activation,
        }
        outcome: dict[str, t.Any] = {'changed': False}
        try:
            handlers[args['mode']](args, task_vars, outcome)
        except _Blocked as blocked:
            outcome.update(failed=True, msg=str(blocked), blocked_by=blocked.blocked_by, **blocked.details)
        except ls.NotAdministratorError as error:
            outcome.update(failed=True, msg=str(error), not_administrator=True)
        except ls.WmiError as error:
            outcome.update(failed=True, msg=str(error))
            if error.code is not None:
                outcome['wmi_error_code'] = '0x%08X' % error.code
        except ValueError as error:
            # A property that cannot be read (an undated DATETIME shape, ...): say so instead of a traceback.
            outcome.update(failed=True, msg='unexpected data from the license server: %s' % error)
        return outcome

    # --- Windows-side reads ------------------------------------------------------------------------------

    def _read(self, script_name: str, task_vars: dict[str, t.Any]) -> t.Any:
        """Run one read-only script (also in check mode) and return its ``$Ansible.Result``."""
        res = self._run_powershell(scripts.SCRIPTS[script_name], None, task_vars, read_only=True)
        failure = ls.wmi_failure_from_result(res, 'reading the license server (%s)' % script_name)
        if failure:
            raise failure
        return res.get('result') or {}

    def _read_key_packs(self, task_vars: dict[str, t.Any]) -> list[ls.KeyPack]:
        return ls.shape_key_packs(self._read('list_keypacks', task_vars).get('Instances') or [])

    def _read_selected_cals(self, args: dict[str, t.Any], task_vars: dict[str, t.Any],
                            outcome: dict[str, t.Any]) -> list[ls.IssuedCal]:
        if args.get('issued') is not None:
            # What a list of this server returned a moment earlier (the revoke script finds each CAL again by
            # its keys before revoking it): no second read.
            try:
                cals = [ls.issued_cal_from_dict(item) for item in args['issued']]
            except ValueError as exc:
                raise AnsibleActionFail('issued: %s' % exc) from None
        else:
            read = self._read('list_cals', task_vars)
            packs = ls.shape_key_packs(read.get('KeyPacks') or [])
            cals = ls.shape_issued_cals(read.get('Issued') or [], packs)
        selected = ls.select_cals(cals, args['computer'], args['hardware_id'])
        if args['computer']:
            # Which of the names the server knows the client by: a name matching nothing is worth showing.
            outcome['matched_computers'] = ls.matched_names(selected, args['computer'])
        return selected

    # --- Modes -------------------------------------------------------------------------------------------

    def _list(self, args: dict[str, t.Any], task_vars: dict[str, t.Any], outcome: dict[str, t.Any]) -> None:
        selected = self._read_selected_cals(args, task_vars, outcome)
        outcome['cals'] = [cal.as_dict() for cal in selected]
        outcome['count'] = len(selected)

    def _keypacks(self, args: dict[str, t.Any], task_vars: dict[str, t.Any], outcome: dict[str, t.Any]) -> None:
        packs = self._read_key_packs(task_vars)
        outcome['key_packs'] = [pack.as_dict() for pack in packs]
        outcome['summary'] = ls.summarize_key_packs(packs)

    def _activation(self, args: dict[str, t.Any], task_vars: dict[str, t.Any],
                    outcome: dict[str, t.Any]) -> None:
        outcome.update(ls.shape_activation(self._read('activation', task_vars)))

    def _revoke(self, args: dict[str, t.Any], task_vars: dict[str, t.Any], outcome: dict[str, t.Any]) -> None:
        computer = ' or '.join(args['computer'])
        plan = ls.plan_revocation(self._read_selected_cals(args, task_vars, outcome))
        outcome.update(revoked=[], would_revoke=[], refused=[cal.as_dict() for cal in plan.refused_per_user])
        if plan.blocked_by_per_user:
            raise _Blocked(ls.refusal_message(plan, computer), 'per_user')
        if plan.refused_per_user:
            display.warning(ls.refusal_message(plan, computer))
        if not plan.to_revoke:
            outcome['msg'] = 'nothing to revoke: no active per-device CAL is issued to %s' % computer
            return
        if self._task.check_mode:
            outcome.update(changed=True, would_revoke=[cal.as_dict() for cal in plan.to_revoke],
                           msg='check mode: would revoke %d CAL(s) issued to %s' % (len(plan.to_revoke), computer))
            return

        now = dt.datetime.now(dt.timezone.utc)
        for position, cal in enumerate(plan.to_revoke):
            res = self._run_powershell(scripts.REVOKE_ISSUED,
                                       {'LicenseId': cal.license_id, 'KeyPackId': cal.key_pack_id}, task_vars)
            failure = ls.wmi_failure_from_result(res, 'revoking CAL %d/%d' % (cal.key_pack_id, cal.license_id))
            if failure:
                raise failure
            judged = ls.judge_revoke_result(res.get('result') or {}, now)
            outcome['revokable_cals'] = judged.revokable_cals
            if judged.revoked:
                now_revoked = dataclasses.replace(cal, status=ls.LICENSE_STATUS_NAMES[ls.STATUS_REVOKED],
                                                  status_code=ls.STATUS_REVOKED)
                outcome['revoked'].append(now_revoked.as_dict())
                outcome['changed'] = True
            remaining = plan.to_revoke[position + (1 if judged.revoked else 0):]
            if judged.limit_reached and remaining:
                raise _Blocked(
                    'revoked %d of %d CAL(s) issued to %s; %s' % (len(outcome['revoked']), len(plan.to_revoke),
                                                                  computer, judged.message),
                    'revoke_limit', next_revoke_allowed_on=judged.next_revoke_allowed_on,
                    not_revoked=[left.as_dict() for left in remaining])
        outcome['msg'] = 'revoked %d CAL(s) issued to %s' % (len(outcome['revoked']), computer)
