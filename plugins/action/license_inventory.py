# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""tslicensing.cal.license_inventory: the transfer ledger, on the controller (docs in plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _transfer_intent
from ansible_collections.tslicensing.cal.plugins.plugin_utils._action import ControllerActionBase, action_fail
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import (
    EXPORT_FORMATS, STATES, TABLES, file_holds, Ledger, LedgerError, Observation, Outcome, TransferRequest, default_operator,
    location_for_display, open_ledger, render_export, write_private_file)

ACTIONS = ('check_transfer', 'record_transfer', 'record_observations', 'mark', 'query', 'export')
OBSERVATION_SPEC: dict[str, t.Any] = {
    'host': {'type': 'str'},
    'hardware_id': {'type': 'str'},
    'license_server': {'type': 'str'},
    'serial': {'type': 'str'},
    'valid_to': {'type': 'str'},
    'temporary': {'type': 'bool', 'default': False},
    'observed_at': {'type': 'str'},
}


class ActionModule(ControllerActionBase):
    """Every operation is one ledger transaction; in check mode it is rolled back."""

    ARGUMENT_SPEC: dict[str, t.Any] = {
        'ledger': {'type': 'str', 'no_log': True},
        'timeout': {'type': 'float'},
        'action': {'type': 'str', 'required': True, 'choices': list(ACTIONS)},
        'cal': {'type': 'str'},
        'source_host': {'type': 'str'},
        'target_host': {'type': 'str'},
        'license_server': {'type': 'str'},
        'license_serial': {'type': 'str'},
        'source_hardware_id': {'type': 'str'},
        'reason': {'type': 'str'},
        'operator': {'type': 'str'},
        'backup_path': {'type': 'str'},
        'backup_sha256': {'type': 'str'},
        'reissue_reference': {'type': 'str', 'no_log': False},
        'allow_multiple_to_target': {'type': 'bool', 'default': False},
        'variable_names': {'type': 'dict'},
        'verify_backup': {'type': 'bool', 'default': False},
        'observations': {'type': 'list', 'elements': 'dict', 'options': OBSERVATION_SPEC},
        'transfer_id': {'type': 'int'},
        'state': {'type': 'str', 'choices': [s for s in STATES if s != 'source_cleared']},
        'host': {'type': 'str'},
        'format': {'type': 'str', 'choices': list(EXPORT_FORMATS), 'default': 'json'},
        'table': {'type': 'str', 'choices': list(TABLES), 'default': 'transfers'},
        'dest': {'type': 'path'},
    }
    REQUIRED_IF: list[t.Sequence[t.Any]] = [
        ('action', 'record_transfer', ('cal', 'target_host')),
        ('action', 'check_transfer', ('cal', 'target_host')),
        ('action', 'record_observations', ('observations',)),
        ('action', 'mark', ('state',)),
        ('action', 'mark', ('transfer_id', 'cal'), True),
        ('action', 'export', ('dest',)),
    ]

    DOMAIN_ERRORS = (LedgerError,)

    def _act(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        url = self._ledger_url(args)
        check_mode = bool(self._task.check_mode)
        with open_ledger(url, dry_run=check_mode) as ledger:
            return dict(self._perform(ledger, args, task_vars, check_mode), ledger=location_for_display(url))

    @staticmethod
    def _ledger_url(args: dict[str, t.Any]) -> str | None:
        url = args['ledger'] or None
        if url and args['timeout'] is not None:
            url += ('&' if '?' in url else '?') + 'timeout=%g' % args['timeout']
        elif args['timeout'] is not None:
            raise AnsibleActionFail('timeout needs an explicit ledger URL (put ?timeout= in TSCAL_LEDGER_URL instead)')
        return url

    def _perform(self, ledger: Ledger, args: dict[str, t.Any], task_vars: dict[str, t.Any],
                 check_mode: bool) -> dict[str, t.Any]:
        inventory_hostname = to_text(task_vars.get('inventory_hostname', ''))
        action = args['action']
        if action == 'check_transfer':
            refusals = ledger.check_transfer(self._transfer_request(args, inventory_hostname),
                                             args['allow_multiple_to_target'], args['variable_names'])
            return {'changed': False, 'accepted': not refusals, 'refusals': refusals}
        if action == 'record_transfer':
            request = self._transfer_request(args, inventory_hostname)
            if args['verify_backup']:
                _verify_backup(request)
            return _outcome(ledger.record_transfer(request, args['allow_multiple_to_target'], args['variable_names']),
                            'transfer')
        if action == 'record_observations':
            outcome = ledger.record_observations(
                [Observation(**{**o, 'host': o['host'] or inventory_hostname}) for o in args['observations']],
                operator=_operator(args))
            return {'changed': outcome.changed, 'observations': outcome.records, 'completed': outcome.completed}
        if action == 'mark':
            return _outcome(ledger.mark(args['state'], transfer_id=args['transfer_id'], cal_id=args['cal'],
                                        reissue_reference=args['reissue_reference'], operator=_operator(args)),
                            'transfer')
        if action == 'query':
            return {'changed': False,
                    'transfers': ledger.transfers(cal_id=args['cal'], host=args['host'], state=args['state']),
                    'observations': ledger.observations(host=args['host'])}
        return self._export(ledger, args, check_mode)

    @staticmethod
    def _transfer_request(args: dict[str, t.Any], inventory_hostname: str) -> TransferRequest:
        return TransferRequest(
            cal_id=args['cal'], source_host=args['source_host'] or inventory_hostname,
            target_host=args['target_host'], license_server=args['license_server'],
            license_serial=args['license_serial'], source_hardware_id=args['source_hardware_id'],
            reason=args['reason'], operator=_operator(args), backup_path=args['backup_path'],
            backup_sha256=args['backup_sha256'], reissue_reference=args['reissue_reference'])

    @staticmethod
    def _export(ledger: Ledger, args: dict[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
        rows = ledger.table(args['table'])
        content = render_export(rows, args['format'])
        dest = args['dest']
        if check_mode:
            changed = not file_holds(dest, content)
        else:
            try:
                changed = write_private_file(dest, content)
            except OSError as exc:
                raise AnsibleActionFail('cannot write export %s: %s' % (dest, to_text(exc.strerror or exc))) from None
        return {'changed': changed, 'dest': dest, 'rows': len(rows)}


def _verify_backup(request: TransferRequest) -> None:
    try:
        _transfer_intent.verify_recorded_backup({'id': None, 'cal_id': request.cal_id,
                                                 'backup_path': request.backup_path,
                                                 'backup_sha256': request.backup_sha256})
    except _transfer_intent.IntentError as exc:
        raise action_fail(exc) from None


def _outcome(outcome: Outcome, name: str) -> dict[str, t.Any]:
    return {'changed': outcome.changed, name: outcome.record}


def _operator(args: dict[str, t.Any]) -> str | None:
    return args['operator'] or default_operator()
