# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters tslicensing.cal.default_if_blank and run_hosts (docs in the .yml sidecars)."""

from __future__ import annotations

import typing as t

from ansible import context
from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _outcome

display = Display()


def default_if_blank(value: t.Any, default: t.Any = '') -> t.Any:
    return default if _outcome.is_blank(value) else value


def batch_size(value: t.Any, variable: str, default: t.Any = '100%') -> t.Any:
    try:
        return _outcome.batch_size(value, variable, default)
    except _outcome.OutcomeError as exc:
        raise AnsibleFilterError(str(exc)) from None


def fail_percentage(value: t.Any, variable: str, default: int = 0) -> int:
    try:
        return _outcome.fail_percentage(value, variable, default)
    except _outcome.OutcomeError as exc:
        raise AnsibleFilterError(str(exc)) from None


def run_hosts(pattern: t.Any, variable: str, matched: t.Any, groups: t.Any, limit: t.Any = None,
              limited: t.Any = None, protect: bool = False, example: str = 'pc042') -> list[str]:
    if isinstance(matched, str) or not isinstance(matched, t.Iterable) or not isinstance(groups, t.Mapping):
        raise AnsibleFilterError('run_hosts: expects the matched hostnames (a list) and the groups magic variable')
    if context.CLIARGS.get('syntax'):
        # --syntax-check (and ansible-lint) template the hosts keyword without the run's variables: no run, no
        # hosts to check. Any real run, --check included, gets the checks below.
        return []
    try:
        hosts, left_out = _outcome.run_hosts(pattern, variable, list(matched), groups,
                                             None if _outcome.is_blank(limit) else str(limit),
                                             None if limited is None else list(limited), bool(protect), example)
    except _outcome.OutcomeError as exc:
        raise AnsibleFilterError(str(exc)) from None
    if left_out:
        display.warning('%s=%s: left out %s (license servers and hosts known only to the ledger are never acted '
                        'on here)' % (variable, pattern, ', '.join(left_out)))
    return hosts


class FilterModule:

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {'default_if_blank': default_if_blank, 'run_hosts': run_hosts, 'batch_size': batch_size,
                'fail_percentage': fail_percentage}
