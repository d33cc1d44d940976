# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters tslicensing.cal.store_outcome, unchanged_outcome and outcome_summary (docs in the .yml sidecars)."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _outcome


def store_outcome(result: t.Any, state: str, check_mode: bool = False) -> dict[str, t.Any]:
    try:
        return _outcome.store_outcome(result, state, bool(check_mode))
    except _outcome.OutcomeError as e:
        raise AnsibleFilterError('store_outcome: %s' % e) from None


def unchanged_outcome(detail: t.Any, refused: bool = False) -> dict[str, t.Any]:
    if not isinstance(detail, str) or not detail.strip():
        raise AnsibleFilterError('unchanged_outcome: the input must be a non-empty string')
    text = detail.strip()
    return _outcome.unchanged(detail='refused' if refused else text, refused=text if refused else None)


def failed_outcome(result: t.Any, task: t.Any = None) -> dict[str, t.Any]:
    message = result.get('msg') if isinstance(result, t.Mapping) else result
    return _outcome.failed(message, task)


def outcome_summary(hosts: t.Any, hostvars: t.Any, outcome_var: str, check_mode: bool = False,
                    title: str = 'Summary', started_var: t.Any = None, batch: t.Any = None,
                    max_fail_percentage: t.Any = None) -> dict[str, t.Any]:
    if isinstance(hosts, str) or not isinstance(hosts, t.Iterable):
        raise AnsibleFilterError('outcome_summary: the input must be a list of inventory hostnames, got %s'
                                 % type(hosts).__name__)
    outcomes = {}
    # The hosts without the fact set by the host play's first task never started: the run stopped before.
    left = [host for host in hosts if started_var and started_var not in hostvars[host]]
    for host in hosts:
        host_vars = hostvars[host]
        # hostvars of a host that never ran the role simply lack the fact.
        outcomes[host] = host_vars[outcome_var] if outcome_var in host_vars else None
    try:
        summary = _outcome.summarize(outcomes, bool(check_mode), title, left)
        if batch is not None:
            summary['stop'] = _outcome.batch_stops(
                {host: outcomes.get(host) for host in batch},
                100 if max_fail_percentage in (None, '') else int(max_fail_percentage))
        return summary
    except _outcome.OutcomeError as e:
        raise AnsibleFilterError('outcome_summary: %s' % e) from None


class FilterModule:

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {'store_outcome': store_outcome, 'unchanged_outcome': unchanged_outcome,
                'failed_outcome': failed_outcome, 'outcome_summary': outcome_summary}
