# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters tslicensing.cal.transferable_cals, transfer_plan, server_outcome and transfer_outcome (docs in the .yml
sidecars)."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _outcome, _transfer


def transferable_cals(result: t.Any) -> dict[str, t.Any]:
    try:
        return _transfer.transferable_cals(result)
    except _outcome.OutcomeError as e:
        raise AnsibleFilterError('transferable_cals: %s' % e) from None


def transfer_plan(history: t.Any, source: str, target: str, revoke: t.Any = False,
                  reissue_reference: t.Any = None) -> dict[str, t.Any]:
    try:
        return _transfer.transfer_plan(history, source, target, boolean(revoke, strict=False),
                                       None if reissue_reference is None else str(reissue_reference))
    except _outcome.OutcomeError as e:
        raise AnsibleFilterError('transfer_plan: %s' % e) from None


def server_outcome(issued: t.Any, computer: t.Any, revocation: t.Any = None) -> dict[str, t.Any]:
    try:
        return _transfer.server_outcome(issued, computer, revocation or None)
    except _outcome.OutcomeError as e:
        raise AnsibleFilterError('server_outcome: %s' % e) from None


def transfer_outcome(store: t.Any, transfers: t.Any, target: str, server: t.Any = None, recorded: t.Any = None,
                     check_mode: bool = False) -> dict[str, t.Any]:
    if not isinstance(store, t.Mapping) or not isinstance(transfers, list) \
            or not all(isinstance(row, t.Mapping) and 'cal_id' in row for row in transfers):
        raise AnsibleFilterError('transfer_outcome: expects a store outcome (dict) and the ledger transfer rows')
    return _transfer.transfer_outcome(store, transfers, target, server or None, recorded or [], bool(check_mode))


class FilterModule:

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {'transferable_cals': transferable_cals, 'transfer_plan': transfer_plan,
                'server_outcome': server_outcome, 'transfer_outcome': transfer_outcome}
