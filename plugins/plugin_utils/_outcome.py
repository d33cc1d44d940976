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
# What a license in a store is, for the counts: a permanent CAL, a temporary license (not a CAL), an expired
# license of either kind, or one whose type is unknown (undecodable, or the flag is missing).
LICENSE_KINDS = ('permanent', 'temporary', 'expired', 'unknown')


class OutcomeError(ValueError):
    """A result or outcome that does not have the expected shape."""


def unchanged(detail: str, refused: str | None = None) -> dict[str, t.Any]:
    """The outcome of a host where nothing changed: nothing to do (``detail``), or a refusal (``refused``)."""
    if not (refused or detail):
        raise OutcomeError('an unchanged outcome needs a detail or a refusal reason')
    return {'changed': False, 'backups': [], 'cals_freed': 0, 'cals_revoked': 0, 'refused': refused or None,
            'detail': detail or 'refused'}


def failed(message: t.Any, task: t.Any = None) -> dict[str, t.Any]:
    """The outcome of a host whose role failed (recorded by the playbook's rescue, so the run goes on)."""
    text = ' '.join(str(message or 'no error message').split())
    where = ('at "%s": ' % task) if task else ''
    return {'changed': False, 'backups': [], 'cals_freed': 0, 'cals_revoked': 0, 'refused': None,
            'failed': where + text, 'detail': 'failed'}


def license_kind(entry: t.Mapping[str, t.Any]) -> str:
    """The kind (``LICENSE_KINDS``) of one license of a ``client_license`` result's view."""
    decoded = (entry.get('decoded') or {}).get('licenses') or [] if isinstance(entry, t.Mapping) else []
    if not decoded:
        return 'unknown'
    if any(lic.get('expired') for lic in decoded):
        return 'expired'
    flags = {lic.get('temporary') for lic in decoded}
    if flags == {False}:
        return 'permanent'
    return 'temporary' if flags == {True} else 'unknown'


def license_counts(stores: t.Iterable[t.Mapping[str, t.Any]]) -> dict[str, int]:
    counts = dict.fromkeys(LICENSE_KINDS, 0)
    for store in stores:
        for entry in store.get('licenses') or ():
            counts[license_kind(entry)] += 1
    return counts


def describe_counts(counts: t.Mapping[str, int]) -> str:
    """``2 license(s): 1 permanent, 1 expired``; the kinds with none are left out."""
    total = sum(counts.values())
    parts = ['%d %s' % (counts[kind], kind) for kind in LICENSE_KINDS if counts.get(kind)]
    return '%d license(s)%s' % (total, (': ' + ', '.join(parts)) if parts else '')


def describe_licenses(store: t.Mapping[str, t.Any]) -> str:
    """One line per license of a ``client_license`` result's view, for --diff: what a reviewer checks."""
    lines = []
    for entry in store.get('licenses') or ():
        decoded = (entry.get('decoded') or {}).get('licenses') or []
        if not decoded:
            lines.append('%s: not decodable' % entry.get('name'))
        for lic in decoded:
            lines.append('%s: %s, license server %s, valid to %s, issued to %s' % (
                entry.get('name'), license_kind({'decoded': {'licenses': [lic]}}), lic.get('license_server') or '?',
                lic.get('valid_to') or '?', lic.get('issued_to_machine') or '?'))
    return '\n'.join(lines) + '\n' if lines else '(no license)\n'


def permanent_licenses(store: t.Mapping[str, t.Any]) -> list[str]:
    """The names of the permanent, unexpired CALs of a ``client_license`` result's view."""
    return [entry.get('name') for entry in store.get('licenses') or () if license_kind(entry) == 'permanent']


def store_outcome(result: t.Mapping[str, t.Any], state: str, check_mode: bool = False) -> dict[str, t.Any]:
    """The outcome of one ``tslicensing.cal.client_license`` task from its registered result.

    ``views`` describes each store as it was *before* the task, so with ``state: absent`` the licenses of every
    view found present were removed (or would be, in check mode); the permanent ones that had not expired are
    the CALs freed on this client (a temporary or expired license is no CAL).
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
    counts = license_counts(present)
    freed = counts['permanent'] if state == 'absent' else 0
    # Only backups written count; the backups a restore read are named in its message.
    backups = [store['backup']['path'] for store in present if store.get('backup')] if state == 'absent' else []
    return {
        'changed': bool(result.get('changed')),
        # In check mode nothing is written; the plan still says how many CALs would be freed.
        'backups': [] if check_mode else backups,
        'cals_freed': freed,
        'cals_revoked': 0,
        'refused': None,
        'detail': _store_detail(result.get('msg'), counts, bool(present), views),
    }


def _store_detail(msg: str | None, counts: t.Mapping[str, int], present: bool, views: t.Mapping[str, t.Any]) -> str:
    if msg and present:
        return '%s (%s)' % (msg, describe_counts(counts))
    return msg or _describe_query(views)


def _describe_query(views: t.Mapping[str, t.Any]) -> str:
    parts = []
    for view, store in sorted(views.items()):
        if store.get('present'):
            parts.append('view %s: %s' % (view, describe_counts(license_counts([store]))))
        else:
            parts.append('view %s: no store' % view)
    return '; '.join(parts) or 'no view asked'


def summarize(outcomes: t.Mapping[str, t.Mapping[str, t.Any] | None], check_mode: bool = False,
              title: str = 'Summary', left: t.Iterable[str] = ()) -> dict[str, t.Any]:
    """Totals over ``{host: outcome or None}`` and the lines to print, in host order.

    ``left``: the hosts the run never started (it stopped before their batch); they are not "not reached".
    """
    left = sorted(set(left) & set(outcomes))
    reached = {host: outcome for host, outcome in outcomes.items() if outcome}
    not_reached = sorted(host for host, outcome in outcomes.items() if not outcome and host not in left)
    for host, outcome in reached.items():
        missing = [key for key in OUTCOME_KEYS if key not in outcome]
        if missing:
            raise OutcomeError('outcome of %s lacks %s' % (host, ', '.join(missing)))
    refused = {host: outcome['refused'] for host, outcome in reached.items() if outcome['refused']}
    failed_hosts = {host: outcome['failed'] for host, outcome in reached.items() if outcome.get('failed')}
    totals = {
        'hosts': len(outcomes),
        'changed': sum(1 for outcome in reached.values() if outcome['changed']),
        'backups': sum(len(outcome['backups']) for outcome in reached.values()),
        'cals_freed': sum(int(outcome['cals_freed']) for outcome in reached.values()),
        'cals_revoked': sum(int(outcome['cals_revoked']) for outcome in reached.values()),
        'refused': len(refused),
        'not_reached': len(not_reached),
        'failed': len(failed_hosts),
        'left': len(left),
    }
    would = 'would be ' if check_mode else ''
    lines = [
        '%s%s: %d host(s), %d %schanged, %d backup(s) written, %d CAL(s) %sfreed, %d %srevoked on the license '
        'server, %d refused, %d not reached, %d failed, %d left' % (
            title, ' (check mode: nothing was changed)' if check_mode else '', totals['hosts'],
            totals['changed'], would, totals['backups'], totals['cals_freed'], would, totals['cals_revoked'],
            would, totals['refused'], totals['not_reached'], totals['failed'], totals['left']),
    ]
    for host in sorted(reached):
        outcome = reached[host]
        if outcome['refused']:
            lines.append('%s: REFUSED: %s' % (host, outcome['refused']))
        elif outcome.get('failed'):
            lines.append('%s: FAILED %s' % (host, outcome['failed']))
        else:
            lines.append('%s: %s%s' % (host, outcome['detail'],
                                       (' (backups: %s)' % ', '.join(outcome['backups'])) if outcome['backups'] else ''))
    for host in not_reached:
        lines.append('%s: NOT REACHED: failed or unreachable before its outcome was recorded (see the task '
                     'errors above)' % host)
    for host in left:
        lines.append('%s: LEFT: not started, the run stopped before its batch' % host)
    return {'totals': totals, 'refused': refused, 'failed': failed_hosts, 'not_reached': not_reached,
            'left': left, 'lines': lines}


def batch_stops(batch: t.Mapping[str, t.Mapping[str, t.Any] | None], max_fail_percentage: int) -> bool:
    """Whether more than ``max_fail_percentage`` % of a batch failed (no outcome, or a failed one): Ansible's
    own rule, counted here because the playbooks rescue a failing host to keep its summary line."""
    if not batch:
        return False
    failed = sum(1 for outcome in batch.values() if not outcome or outcome.get('failed'))
    return failed * 100 > max_fail_percentage * len(batch)


# -- the hosts a run acts on --------------------------------------------------------------------------

# Never the hosts of a destructive run: the license servers (their store is not a client's), and the hosts the
# ledger inventory knows only from the ledger (often gone or renamed machines).
PROTECTED_GROUPS = ('license_servers',)
LEDGER_ONLY_GROUP = 'ledger_only'


def is_blank(value: t.Any) -> bool:
    """An unset answer: None or a blank string (how AWX sends a blank optional survey answer)."""
    return value is None or (isinstance(value, str) and not value.strip())


def run_hosts(pattern: t.Any, variable: str, matched: t.Sequence[str], groups: t.Mapping[str, t.Sequence[str]],
              limit: str | None = None, limited: t.Sequence[str] | None = None, protect: bool = False,
              example: str = 'pc042') -> tuple[list[str], list[str]]:
    """The hosts a playbook acts on, and the ones left out, or OutcomeError naming the problem.

    ``matched``: the inventory hosts ``pattern`` matches; ``limited``: those --limit ``limit`` matches (None
    when there is no limit, or it cannot be resolved here, like ``@file``). With ``protect``, the license
    servers are left out as well as the hosts known only to the ledger.
    """
    if is_blank(pattern):
        raise OutcomeError('%s is not set: name the hosts to act on (an inventory host, group or pattern), '
                           'e.g. -e %s=%s' % (variable, variable, example))
    excluded_groups = (LEDGER_ONLY_GROUP,) + (PROTECTED_GROUPS if protect else ())
    excluded = {host for group in excluded_groups for host in groups.get(group) or ()}
    hosts = [host for host in matched if host not in excluded]
    left_out = [host for host in matched if host in excluded]
    if not hosts:
        raise OutcomeError('%s=%s matches no host%s' % (
            variable, pattern, (' this playbook may act on (left out: %s, in %s)'
                                % (', '.join(left_out), ' or '.join(excluded_groups))) if left_out else
            ' in the inventory'))
    if limited is not None and not set(hosts) & set(limited):
        raise OutcomeError('--limit %s leaves none of the %d host(s) %s=%s matches (%s): widen the limit or '
                           'change %s' % (limit, len(hosts), variable, pattern, ', '.join(hosts[:5]), variable))
    return hosts, left_out


def batch_size(value: t.Any, variable: str, default: t.Any = '100%') -> t.Any:
    """A valid ``serial`` value (a number, a percentage, or a list of them) or OutcomeError naming it."""
    if is_blank(value):
        return default
    for item in (value if isinstance(value, list) else [value]):
        text = str(item).strip()
        number = text[:-1] if text.endswith('%') else text
        if isinstance(item, bool) or not number.isdigit() or int(number) == 0:
            raise OutcomeError('%s=%s is not a batch size: give a number of hosts (10) or a percentage (25%%)'
                               % (variable, value))
    return value


def fail_percentage(value: t.Any, variable: str, default: int) -> int:
    """A ``max_fail_percentage`` (0 to 100) or OutcomeError naming it."""
    if is_blank(value):
        return default
    text = str(value).strip().rstrip('%')
    if isinstance(value, bool) or not text.isdigit() or int(text) > 100:
        raise OutcomeError('%s=%s is not a percentage: give a whole number from 0 to 100' % (variable, value))
    return int(text)
