# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The audit report as data: client_license query results -> per-host entries, totals, the expiry timeline,
and the ledger observations.

``clients`` maps an inventory hostname to what ``tslicensing.cal.client_license: {state: query}``
registered for it (``views`` -> ``'64'``/``'32'`` -> ``licenses[].decoded``, see ``_client_license.summary``).
A host whose result is ``failed``, ``unreachable`` or ``skipped``, or has no ``views``, was not reached.

Decisions:
- Every date judgement (days left, expiring, expired) is made against the report time ``now``, never
  against the ``expired`` flag the decoder computed when the host was queried.
- A license whose temporary flag is unknown (no licensed-version information) is observed as
  ``temporary=True``: a temporary license must never complete a transfer, so "unknown" may not claim
  to be permanent. In the report its type stays ``unknown``.
- The same license in both registry views (same key, same ClientLicense bytes, same hardware id) is one
  observation and one report row listing both views.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import math
import typing as t

from .._expiry import DEFAULT_EXPIRING_DAYS, expiry_status
from .._ledger import STATES, LedgerError, format_timestamp, normalize_timestamp

FORMATS = ('html', 'json', 'csv')
DEFAULT_TITLE = 'TS/RDS client license audit'
GENERATOR = 'tslicensing.cal.license_report'
NOT_REACHED = 'not reached'
NO_LICENSE = 'no license'
# Most urgent first: a host's status is the first of these that any of its licenses has.
STATUSES = (NOT_REACHED, 'expired', 'expiring', 'temporary', 'undecodable', 'unknown', NO_LICENSE, 'permanent')
LICENSE_TYPES = ('permanent', 'temporary', 'unknown')
# What the report and the observations read of a decoded license (the spool keeps these only).
LICENSE_FIELDS = ('license_server', 'scope', 'serial', 'issued_to_machine', 'issued_to_user', 'valid_from', 'valid_to',
                  'temporary')
TRANSFER_FIELDS = ('id', 'cal_id', 'source_host', 'target_host', 'state', 'reissue_reference', 'updated_at',
                   'completed_at')


class ReportError(ValueError):
    """Input that cannot be reported on; the message names the host and the field."""


# -- time -------------------------------------------------------------------------------------------

def parse_time(value: t.Any, field: str = 'report_time') -> datetime.datetime:
    """A datetime or ISO 8601 text -> aware UTC datetime, by the ledger's rules (a date means its midnight,
    no zone means UTC, whole seconds), so report and ledger read every time the same way."""
    if not isinstance(value, (str, datetime.date)):
        raise ReportError('%s must be an ISO 8601 string or a datetime, not %s' % (field, _type_name(value)))
    try:
        text = normalize_timestamp(value, field)
    except LedgerError:
        text = None
    if text is None:
        raise ReportError('%s %r is not an ISO 8601 date or time (e.g. 2026-03-01T08:00:00Z)' % (field, value))
    return datetime.datetime.fromisoformat(text)


def _license_time(value: t.Any, host: str, field: str) -> datetime.datetime | None:
    if value in (None, ''):
        return None
    return parse_time(value, '%s: %s' % (host, field))


def _type_name(value: t.Any) -> str:
    """The YAML-level type of a value for messages (Ansible hands over its own dict/list/str subclasses)."""
    for name, kind in (('str', str), ('bool', bool), ('int', int), ('float', float), ('dict', t.Mapping),
                       ('list', t.Sequence)):
        if isinstance(value, kind):
            return name
    return 'null' if value is None else type(value).__name__


# -- reading client_license results -----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Seen:
    """One license certificate (or one undecodable LICENSEnnn key) found in one registry view."""

    view: str
    key: str
    hardware_id: str | None
    identity: tuple[t.Any, ...]
    license: t.Mapping[str, t.Any] | None
    note: str | None


def _checked_clients(clients: t.Any) -> t.Mapping[str, t.Any]:
    if not isinstance(clients, t.Mapping):
        raise ReportError('clients must be a dict of inventory hostname -> client_license query result, not %s'
                          % _type_name(clients))
    for host in clients:
        if not isinstance(host, str) or not host:
            raise ReportError('clients: every key must be an inventory hostname, not %r' % (host,))
    return clients


def not_reached_reason(result: t.Any) -> str | None:
    """Why a host's registered result holds no store to report on; None when it was reached."""
    if not isinstance(result, t.Mapping):
        return 'no client_license result (got %s)' % _type_name(result)
    message = str(result.get('msg') or '').strip()
    if result.get('unreachable'):
        return 'unreachable: %s' % (message or 'no message')
    if result.get('failed'):
        return 'failed: %s' % (message or 'no message')
    if result.get('skipped'):
        return 'skipped: %s' % (result.get('skip_reason') or message or 'no reason given')
    if not isinstance(result.get('views'), t.Mapping):
        return 'no client_license query result (no views)'
    return None


def _seen_licenses(host: str, result: t.Mapping[str, t.Any]) -> t.Iterator[_Seen]:
    """Every license of every present view of a reached host, in view then key order."""
    for view, store in result['views'].items():
        if not isinstance(store, t.Mapping):
            raise ReportError('%s: views[%r] must be a dict, not %s' % (host, view, _type_name(store)))
        if not store.get('present'):
            continue
        entries = store.get('licenses') or []
        if not isinstance(entries, t.Sequence) or isinstance(entries, (str, bytes)):
            raise ReportError('%s: views[%r].licenses must be a list' % (host, view))
        hardware_id = store.get('hardware_id') or None
        for entry in entries:
            if not isinstance(entry, t.Mapping):
                raise ReportError('%s: views[%r].licenses holds %s, not a dict' % (host, view, _type_name(entry)))
            yield from _seen_in_entry(host, str(view), hardware_id, entry)


def _seen_in_entry(host: str, view: str, hardware_id: str | None, entry: t.Mapping[str, t.Any]) -> t.Iterator[_Seen]:
    key = str(entry.get('name') or '?')
    decoded = entry.get('decoded')
    digest = entry.get('client_license_sha256')
    if not isinstance(decoded, t.Mapping):
        yield _Seen(view, key, hardware_id, (key, digest, hardware_id, None), None, 'no ClientLicense value')
        return
    licenses = decoded.get('licenses') or []
    warnings = [str(w) for w in decoded.get('warnings') or []]
    note = '; '.join(warnings) or None
    if not licenses:
        yield _Seen(view, key, hardware_id, (key, digest, hardware_id, None), None,
                    note or 'no license certificate in the ClientLicense value')
        return
    for index, license in enumerate(licenses):
        if not isinstance(license, t.Mapping):
            raise ReportError('%s: %s in view %s holds a decoded license that is not a dict' % (host, key, view))
        yield _Seen(view, key, hardware_id, (key, digest, hardware_id, index), license, note)


# -- observations -----------------------------------------------------------------------------------

def observations_from_clients(clients: t.Any, observed_at: t.Any = None) -> list[dict[str, t.Any]]:
    """One ledger observation per decoded license per host (the ``observations`` of license_inventory).

    Hosts not reached and undecodable keys contribute nothing; the same observation seen in both views is
    given once. ``temporary`` is True unless the license says it is permanent (see the module docstring).
    """
    return list(observations(_checked_clients(clients).items(), observed_at))


def observations(results: t.Iterable[tuple[str, t.Any]], observed_at: t.Any = None) -> t.Iterator[dict[str, t.Any]]:
    """The observations of (host, client_license result) pairs, one host at a time (a spool is read this way)."""
    stamp = format_timestamp(parse_time(observed_at, 'observed_at')) if observed_at not in (None, '') else None
    for host, result in results:
        if not_reached_reason(result) is not None:
            continue
        seen_here: set[tuple[t.Any, ...]] = set()  # the same license in both views is one observation
        for seen in _seen_licenses(host, result):
            if seen.license is None:
                continue
            observation = {
                'host': host,
                'hardware_id': seen.hardware_id,
                'license_server': seen.license.get('license_server'),
                'serial': seen.license.get('serial'),
                'valid_to': seen.license.get('valid_to'),
                'temporary': seen.license.get('temporary') is not False,
            }
            identity = tuple(repr(value) for value in observation.values())  # a malformed value may be a dict
            if identity in seen_here:
                continue
            seen_here.add(identity)
            if stamp is not None:
                observation['observed_at'] = stamp
            yield observation


# -- the report -------------------------------------------------------------------------------------

def license_type(license: t.Mapping[str, t.Any] | None) -> str:
    if license is None or license.get('temporary') is None:
        return 'unknown'
    return 'temporary' if license['temporary'] else 'permanent'


def _row_status(kind: str, decodable: bool, ends: datetime.datetime | None, now: datetime.datetime,
                window: datetime.timedelta) -> str:
    if not decodable:
        return 'undecodable'
    return expiry_status(ends, now, window.days) or kind


def _days_left(ends: datetime.datetime | None, now: datetime.datetime) -> int | None:
    """Whole days until the end (0 on its last day; negative once ended)."""
    if ends is None:
        return None
    return math.floor((ends - now).total_seconds() / 86400)


def _license_rows(host: str, result: t.Mapping[str, t.Any], now: datetime.datetime,
                  window: datetime.timedelta) -> list[dict[str, t.Any]]:
    merged: dict[tuple[t.Any, ...], dict[str, t.Any]] = {}
    for seen in _seen_licenses(host, result):
        row = merged.get(seen.identity)
        if row is not None:
            row['views'].append(seen.view)
            continue
        license = seen.license or {}
        ends = _license_time(license.get('valid_to'), host, 'valid_to')
        kind = license_type(seen.license)
        merged[seen.identity] = {
            'views': [seen.view],
            'key': seen.key,
            'hardware_id': seen.hardware_id,
            'license_server': license.get('license_server'),
            'scope': license.get('scope'),
            'serial': license.get('serial'),
            'issued_to': license.get('issued_to_machine'),
            'issued_to_user': license.get('issued_to_user'),
            'valid_from': license.get('valid_from'),
            'valid_to': license.get('valid_to'),
            'days_left': _days_left(ends, now),
            'license_type': kind,
            'status': _row_status(kind, seen.license is not None, ends, now, window),
            'note': seen.note,
        }
    return list(merged.values())


def _latest_transfers(transfers: t.Any) -> tuple[dict[str, dict[str, t.Any]], dict[str, dict[str, t.Any]]]:
    """(host -> latest transfer out of it, host -> latest transfer into it), from Ledger.transfers() rows."""
    if not isinstance(transfers, t.Sequence) or isinstance(transfers, (str, bytes)):
        raise ReportError('transfers must be a list of ledger transfer rows, not %s' % _type_name(transfers))
    outgoing: dict[str, dict[str, t.Any]] = {}
    incoming: dict[str, dict[str, t.Any]] = {}
    for position, row in enumerate(transfers):
        if not isinstance(row, t.Mapping) or not all(row.get(f) for f in ('source_host', 'target_host', 'state')):
            raise ReportError('transfers[%d] is not a ledger transfer row (source_host, target_host, state)'
                              % position)
        brief = {f: row.get(f) for f in TRANSFER_FIELDS}
        for table, host in ((outgoing, row['source_host']), (incoming, row['target_host'])):
            if host not in table or _transfer_order(brief) >= _transfer_order(table[host]):
                table[host] = brief
    return outgoing, incoming


def _incoming_cals(transfers: t.Sequence[t.Mapping[str, t.Any]]) -> dict[str, list[dict[str, t.Any]]]:
    """host -> the latest transfer of each CAL whose latest move ends at that host, oldest first."""
    latest: dict[t.Any, dict[str, t.Any]] = {}
    for row in sorted(transfers, key=_transfer_order):
        latest[row.get('cal_id')] = {f: row.get(f) for f in TRANSFER_FIELDS}
    by_host: dict[str, list[dict[str, t.Any]]] = {}
    for row in latest.values():
        by_host.setdefault(row['target_host'], []).append(row)
    return by_host


def _transfer_order(row: t.Mapping[str, t.Any]) -> tuple[int, str]:
    # Ledger ids grow with every recorded transfer; rows without one keep their list order.
    return (row['id'] if isinstance(row.get('id'), int) else -1, str(row.get('created_at') or ''))


_OPEN_TRANSFER_STATES = ('source_cleared', 'server_revoked', 'reissue_requested')


def has_cal(host: t.Mapping[str, t.Any]) -> bool:
    """The host holds a permanent CAL that has not expired (a temporary license is no CAL)."""
    return any(row['license_type'] == 'permanent' and row['status'] != 'expired' for row in host['licenses'])


def next_action(host: t.Mapping[str, t.Any]) -> str | None:
    """What the operator does next for this host, most urgent first; None when nothing is to be done."""
    if not host['reached']:
        return 'reach the host and read its store (see why above), then audit again'
    out, into = host.get('transfer_out') or {}, host.get('transfer_in') or {}
    if out.get('state') == 'source_cleared' and not out.get('reissue_reference'):
        return ('record the Clearinghouse reissue reference of %s (transfer.yml with transfer_reissue_reference), '
                'or revoke it on the license server (transfer_revoke=true)' % out.get('cal_id'))
    if into.get('state') in _OPEN_TRANSFER_STATES and not has_cal(host):
        return ('connect the client to the terminal server so that it receives the CAL from %s, then audit again '
                '(the transfer completes)' % into.get('source_host'))
    statuses = {row['status'] for row in host['licenses']}
    if 'expired' in statuses or 'undecodable' in statuses:
        return ('reset the license store (reset_license_store.yml): a license %s'
                % ('expired' if 'expired' in statuses else 'cannot be decoded'))
    for row in host['licenses']:
        if row['status'] == 'expiring':
            if row['license_type'] == 'temporary':
                return 'assign a permanent CAL before %s, when the temporary license ends' % (row['valid_to'] or '?')[:10]
            return 'renew the CAL before %s (connect the client to the terminal server)' % (row['valid_to'] or '?')[:10]
    if 'temporary' in statuses:
        return 'assign a permanent CAL (the client holds a temporary license only)'
    return None


def _host_entry(host: str, result: t.Any, now: datetime.datetime, window: datetime.timedelta,
                outgoing: t.Mapping[str, t.Any], incoming: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    reason = not_reached_reason(result)
    rows = [] if reason is not None else _license_rows(host, result, now, window)
    if reason is not None:
        status = NOT_REACHED
    elif rows:
        status = min((row['status'] for row in rows), key=STATUSES.index)
    else:
        status = NO_LICENSE
    hardware_ids: list[str] = []
    if reason is None:
        for store in result['views'].values():
            if store.get('present') and store.get('hardware_id') and store['hardware_id'] not in hardware_ids:
                hardware_ids.append(store['hardware_id'])
    entry = {
        'host': host,
        'reached': reason is None,
        'message': reason,
        'status': status,
        'hardware_ids': hardware_ids,
        'licenses': rows,
        'transfer_out': outgoing.get(host),
        'transfer_in': incoming.get(host),
    }
    entry['next_action'] = next_action(entry)
    return entry


def _totals(hosts: list[dict[str, t.Any]], transfers: t.Sequence[t.Mapping[str, t.Any]]) -> dict[str, t.Any]:
    rows = [row for host in hosts for row in host['licenses']]
    statuses = collections.Counter(row['status'] for row in rows)
    decodable = [row for row in rows if row['status'] != 'undecodable']
    kinds = collections.Counter(row['license_type'] for row in decodable)
    names = {host['host'] for host in hosts}
    by_state = dict.fromkeys(STATES, 0)
    for row in transfers:
        if row['source_host'] in names or row['target_host'] in names:
            by_state[row['state']] = by_state.get(row['state'], 0) + 1
    reached = [host for host in hosts if host['reached']]
    return {
        'hosts': len(hosts),
        'reached': len(reached),
        'not_reached': len(hosts) - len(reached),
        # A CAL is a permanent license that has not expired; a temporary or expired one is counted below.
        'with_license': sum(1 for host in reached if has_cal(host)),
        'without_license': sum(1 for host in reached if not has_cal(host)),
        'licenses': len(rows),
        'permanent': kinds['permanent'],
        'temporary': kinds['temporary'],
        'type_unknown': kinds['unknown'],
        'expiring': statuses['expiring'],
        'expired': statuses['expired'],
        'undecodable': statuses['undecodable'],
        'transfers': by_state,
    }


def _timeline(hosts: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    entries = [{'host': host['host'], 'views': row['views'], 'key': row['key'],
                'license_server': row['license_server'], 'serial': row['serial'], 'valid_to': row['valid_to'],
                'days_left': row['days_left'], 'license_type': row['license_type'], 'status': row['status']}
               for host in hosts for row in host['licenses'] if row['valid_to']]
    return sorted(entries, key=lambda e: (parse_time(e['valid_to'], 'valid_to'), e['host'], e['key']))


def build_report(clients: t.Any, transfers: t.Any, now: t.Any, expiring_days: int = DEFAULT_EXPIRING_DAYS,
                 title: str = DEFAULT_TITLE, ledger: str | None = None) -> dict[str, t.Any]:
    """The report as data: per host rows, latest transfers, totals and a sorted timeline of expiries.

    ``transfers`` are ``Ledger.transfers()`` rows (oldest first); ``now`` is the report time (datetime or
    ISO 8601); a license ending within ``expiring_days`` of it is ``expiring``. ``ledger`` is only shown.
    """
    return build_report_from(_checked_clients(clients).items(), transfers, now, expiring_days, title, ledger)


def build_report_from(results: t.Iterable[tuple[str, t.Any]], transfers: t.Any, now: t.Any,
                      expiring_days: int = DEFAULT_EXPIRING_DAYS, title: str = DEFAULT_TITLE,
                      ledger: str | None = None) -> dict[str, t.Any]:
    """build_report for (host, result) pairs read one at a time (from a spool): only the report is kept."""
    if isinstance(expiring_days, bool) or not isinstance(expiring_days, int) or expiring_days < 0:
        raise ReportError('expiring_days must be a whole number of days >= 0, not %r' % (expiring_days,))
    moment = parse_time(now)
    window = datetime.timedelta(days=expiring_days)
    outgoing, incoming = _latest_transfers(transfers)
    moving_in = _incoming_cals(transfers)
    hosts = []
    for host, result in results:
        entry = _host_entry(host, result, moment, window, outgoing, incoming)
        entry['transfers_in'] = moving_in.get(host, [])  # every CAL coming in, not only the latest
        hosts.append(entry)
    hosts.sort(key=lambda entry: entry['host'].casefold())
    return {
        'generator': GENERATOR,
        'title': str(title),
        'report_time': format_timestamp(moment),
        'expiring_days': expiring_days,
        'ledger': ledger,
        'totals': _totals(hosts, transfers),
        'hosts': hosts,
        'timeline': _timeline(hosts),
    }
