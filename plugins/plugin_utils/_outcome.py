# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""What one host's run of a role achieved (its *outcome*), and the summary of a whole run.

Every role that acts on clients (``client_license``, ``transfer``) sets a fact ``<role>_outcome`` with the
keys of ``OUTCOME_KEYS``; each playbook ends with ``summarize()`` over the hosts it targeted, so the four
playbooks print the same short summary (hosts changed, backups written, CALs freed, refusals with reasons).
A host without an outcome failed or was unreachable before its role finished: it is listed as not reached.

Pure Python: no Ansible imports.
"""

from __future__ import annotations

import typing as t

OUTCOME_KEYS = ('changed', 'backups', 'cals_freed', 'cals_revoked', 'refused', 'detail')


class OutcomeError(ValueError):
    """A result or outcome that does not have the expected shape."""


def unchanged(detail: str, refused: str | None = None) -> dict[str, t.Any]:
    """The outcome of a host where nothing changed: nothing to do (``detail``), or a refusal (``refused``)."""
    if not (refused or detail):
        raise OutcomeError('an unchanged outcome needs a detail or a refusal reason')
    return {'changed': False, 'backups': [], 'cals_freed': 0, 'cals_revoked': 0, 'refused': refused or None,
            'detail': detail or 'refused'}


def store_outcome(result: t.Mapping[str, t.Any], state: str, check_mode: bool = False) -> dict[str, t.Any]:
    """The outcome of one ``tslicensing.cal.client_license`` task from its registered result.

    ``views`` describes each store as it was *before* the task, so with ``state: absent`` the licenses of every
    view found present were removed (or would be, in check mode): those are the CALs freed on this client.
    """
    if not isinstance(result, t.Mapping):
        raise OutcomeError('expected the registered result of tslicensing.cal.client_license, got %s'
                           % type(result).__name__)
    if result.get('failed') or result.get('unreachable'):
        raise OutcomeError('the client_license task did not succeed: %s' % result.get('msg', 'no message'))
    views = result.get('views')
    if not isinstance(views, t.Mapping):
        raise OutcomeError('the result has no "views": is it a tslicensing.cal.client_license result?')
    if state not in ('query', 'absent', 'present'):
        raise OutcomeError('state must be query, absent or present, got %r' % (state,))
    present = [store for store in views.values() if store.get('present')]
    freed = sum(len(store.get('licenses') or ()) for store in present) if state == 'absent' else 0
    # Only backups written count; the backups a restore read are named in its message.
    backups = [store['backup']['path'] for store in present if store.get('backup')] if state == 'absent' else []
    return {
        'changed': bool(result.get('changed')),
        # In check mode nothing is written; the plan still says how many CALs would be freed.
        'backups': [] if check_mode else backups,
        'cals_freed': freed,
        'cals_revoked': 0,
        'refused': None,
        'detail': result.get('msg') or _describe_query(views),
    }


def _describe_query(views: t.Mapping[str, t.Any]) -> str:
    parts = []
    for view, store in sorted(views.items()):
        if store.get('present'):
            parts.append('view %s: %d license(s)' % (view, len(store.get('licenses') or ())))
        else:
            parts.append('view %s: no store' % view)
    return '; '.join(parts) or 'no view asked'


def summarize(outcomes: t.Mapping[str, t.Mapping[str, t.Any] | None], check_mode: bool = False,
              title: str = 'Summary') -> dict[str, t.Any]:
    """Totals over ``{host: outcome or None}`` and the lines to print, in host order."""
    reached = {host: outcome for host, outcome in outcomes.items() if outcome}
    not_reached = sorted(host for host, outcome in outcomes.items() if not outcome)
    for host, outcome in reached.items():
        missing = [key for key in OUTCOME_KEYS if key not in outcome]
        if missing:
            raise OutcomeError('outcome of %s lacks %s' % (host, ', '.join(missing)))
    refused = {host: outcome['refused'] for host, outcome in reached.items() if outcome['refused']}
    totals = {
        'hosts': len(outcomes),
        'changed': sum(1 for outcome in reached.values() if outcome['changed']),
        'backups': sum(len(outcome['backups']) for outcome in reached.values()),
        'cals_freed': sum(int(outcome['cals_freed']) for outcome in reached.values()),
        'cals_revoked': sum(int(outcome['cals_revoked']) for outcome in reached.values()),
        'refused': len(refused),
        'not_reached': len(not_reached),
    }
    would = 'would be ' if check_mode else ''
    lines = [
        '%s%s: %d host(s), %d %schanged, %d backup(s) written, %d CAL(s) %sfreed, %d %srevoked on the license '
        'server, %d refused, %d not reached' % (
            title, ' (check mode: nothing was changed)' if check_mode else '', totals['hosts'],
            totals['changed'], would, totals['backups'], totals['cals_freed'], would, totals['cals_revoked'],
            would, totals['refused'], totals['not_reached']),
    ]
    for host in sorted(reached):
        outcome = reached[host]
        if outcome['refused']:
            lines.append('%s: REFUSED: %s' % (host, outcome['refused']))
        else:
            lines.append('%s: %s%s' % (host, outcome['detail'],
                                       (' (backups: %s)' % ', '.join(outcome['backups'])) if outcome['backups'] else ''))
    for host in not_reached:
        lines.append('%s: NOT REACHED: failed or unreachable before its outcome was recorded (see the task '
                     'errors above)' % host)
    return {'totals': totals, 'refused': refused, 'not_reached': not_reached, 'lines': lines}
