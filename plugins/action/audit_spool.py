# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""tslicensing.cal.audit_spool: the audit's per-run store of every host's result, on the controller (docs in
plugins/modules)."""

from __future__ import annotations

import typing as t

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _private_files
from ansible_collections.tslicensing.cal.plugins.plugin_utils._action import ControllerActionBase, action_fail
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import (
    LedgerError, Observation, default_operator, location_for_display, open_ledger)
from ansible_collections.tslicensing.cal.plugins.plugin_utils._report import ReportError, observations
from ansible_collections.tslicensing.cal.plugins.plugin_utils._report import _spool

STATES = ('directory', 'present', 'recorded', 'absent')


class ActionModule(ControllerActionBase):
    """One step of the spool's life: open it, keep a host's result, record it in the ledger, remove it."""

    ARGUMENT_SPEC: dict[str, t.Any] = {
        'state': {'type': 'str', 'required': True, 'choices': list(STATES)},
        'spool': {'type': 'path'},
        'base': {'type': 'path'},
        'result': {'type': 'raw'},
        'host': {'type': 'str'},
        'hosts': {'type': 'list', 'elements': 'str'},
        'ledger': {'type': 'str', 'no_log': True},
        'observed_at': {'type': 'str'},
    }
    REQUIRED_IF: list[t.Sequence[t.Any]] = [
        ('state', 'present', ('spool',)),
        ('state', 'recorded', ('spool', 'hosts')),
        ('state', 'absent', ('spool',)),
    ]

    DOMAIN_ERRORS = (ReportError, LedgerError)
    FAILURE_CONTEXT = 'audit_spool'

    def _act(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        state = args['state']
        try:
            # The spool is the run's scratch space, kept in check mode too (it is how the report learns what
            # would be written) and removed at its end: changed only ever means the ledger changed.
            if state == 'directory':
                return {'changed': False, 'spool': _spool.open_spool(args['base'])}
            if state == 'present':
                host = args['host'] or to_text(task_vars.get('inventory_hostname', ''))
                return {'changed': False, 'path': _spool.write_entry(args['spool'], host, args['result'])}
            if state == 'recorded':
                return _record(args, bool(self._task.check_mode))
            return {'changed': False, 'removed': _spool.remove_spool(args['spool'])}
        except OSError as exc:
            raise action_fail(_private_files.describe(exc), 'audit_spool') from None


def _record(args: dict[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
    """The licenses the spool's hosts hold, as ledger observations (a dry run in check mode)."""
    url = args['ledger'] or None
    entries = _spool.read_entries(args['spool'], args['hosts'])
    seen = [Observation(**item) for item in observations(entries, args['observed_at'] or None)]
    done: dict[str, t.Any] = {'ledger': location_for_display(url), 'observations': len(seen), 'completed': []}
    if not seen:  # nothing seen: the ledger is not even opened (nor created)
        return dict(done, changed=False)
    operator = default_operator()
    try:
        with open_ledger(url, dry_run=check_mode) as ledger:
            outcome = ledger.record_observations(seen, operator=operator)
    except LedgerError as exc:
        raise action_fail(exc, 'audit_spool: cannot record the observations') from None
    return dict(done, changed=outcome.changed, recorded=len(outcome.records), completed=outcome.completed)
