# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The fleet audit: client_license query results -> ledger observations and a report (JSON, CSV, HTML).

No Ansible imports: the ``license_report`` action and the ``license_observations`` filter are thin
wrappers, and the tests call this module directly.

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
import csv
import dataclasses
import datetime
import html
import io
import json
import math
import typing as t

from ._expiry import DEFAULT_EXPIRING_DAYS, expiry_status
from ._ledger import STATES, LedgerError, format_timestamp, normalize_timestamp

FORMATS = ('html', 'json', 'csv')
DEFAULT_TITLE = 'TS/RDS client license audit'
GENERATOR = 'tslicensing.cal.license_report'
NOT_REACHED = 'not reached'
NO_LICENSE = 'no license'
# Most urgent first: a host's status is the first of these that any of its licenses has.
STATUSES = (NOT_REACHED, 'expired', 'expiring', 'temporary', 'undecodable', 'unknown', NO_LICENSE, 'permanent')
LICENSE_TYPES = ('permanent', 'temporary', 'unknown')
CSV_COLUMNS = ('host', 'reached', 'message', 'hardware_id', 'views', 'key', 'license_server', 'scope', 'serial',
               'issued_to', 'issued_to_user', 'valid_from', 'valid_to', 'days_left', 'license_type', 'status',
               'note', 'transfer_out_state', 'transfer_out_target', 'transfer_in_state', 'transfer_in_source',
               'next_action')
TRANSFER_FIELDS = ('id', 'cal_id', 'source_host', 'target_host', 'state', 'reissue_reference', 'updated_at',
                   'completed_at')
# A spreadsheet runs a cell starting with one of these as a formula; registry text must never be code.
_FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')


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


def _reached(clients: t.Mapping[str, t.Any]) -> t.Iterator[tuple[str, t.Mapping[str, t.Any]]]:
    for host, result in clients.items():
        if not_reached_reason(result) is None:
            yield host, result


# -- observations -----------------------------------------------------------------------------------

def observations_from_clients(clients: t.Any, observed_at: t.Any = None) -> list[dict[str, t.Any]]:
    """One ledger observation per decoded license per host (the ``observations`` of license_inventory).

    Hosts not reached and undecodable keys contribute nothing; the same observation seen in both views is
    given once. ``temporary`` is True unless the license says it is permanent (see the module docstring).
    """
    stamp = format_timestamp(parse_time(observed_at, 'observed_at')) if observed_at not in (None, '') else None
    observations: list[dict[str, t.Any]] = []
    for host, result in _reached(_checked_clients(clients)):
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
            if stamp is not None:
                observation['observed_at'] = stamp
            if observation not in observations:
                observations.append(observation)
    return observations


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


def _incoming_cals(transfers: t.Sequence[t.Mapping[str, t.Any]], host: str) -> list[dict[str, t.Any]]:
    """The latest transfer of each CAL whose latest move ends at ``host``, oldest first."""
    latest: dict[t.Any, dict[str, t.Any]] = {}
    for row in sorted(transfers, key=_transfer_order):
        latest[row.get('cal_id')] = {f: row.get(f) for f in TRANSFER_FIELDS}
    return [row for row in latest.values() if row['target_host'] == host]


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
    if isinstance(expiring_days, bool) or not isinstance(expiring_days, int) or expiring_days < 0:
        raise ReportError('expiring_days must be a whole number of days >= 0, not %r' % (expiring_days,))
    moment = parse_time(now)
    window = datetime.timedelta(days=expiring_days)
    outgoing, incoming = _latest_transfers(transfers)
    hosts = [_host_entry(host, result, moment, window, outgoing, incoming)
             for host, result in sorted(_checked_clients(clients).items(), key=lambda item: item[0].casefold())]
    for entry in hosts:  # every CAL coming in, not only the latest
        entry['transfers_in'] = _incoming_cals(transfers, entry['host'])
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


# -- JSON and CSV -----------------------------------------------------------------------------------

def render_json(report: t.Mapping[str, t.Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + '\n'


def _csv_cell(value: t.Any) -> t.Any:
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, (list, tuple)):
        value = ' '.join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_rows(report: t.Mapping[str, t.Any]) -> t.Iterator[dict[str, t.Any]]:
    """One row per license; a host without one (or not reached) gets one row of its own."""
    for host in report['hosts']:
        out = host.get('transfer_out') or {}
        into = host.get('transfer_in') or {}
        common = {
            'host': host['host'], 'reached': host['reached'], 'message': host['message'],
            'hardware_id': ' '.join(host['hardware_ids']) or None,
            'transfer_out_state': out.get('state'), 'transfer_out_target': out.get('target_host'),
            'transfer_in_state': into.get('state'), 'transfer_in_source': into.get('source_host'),
            'next_action': host.get('next_action'),
        }
        if not host['licenses']:
            yield dict(common, status=host['status'])
        for row in host['licenses']:
            yield dict(common, **{k: v for k, v in row.items() if k in CSV_COLUMNS})


def render_csv(report: t.Mapping[str, t.Any]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator='\n')
    writer.writeheader()
    for row in csv_rows(report):
        writer.writerow({column: _csv_cell(row.get(column)) for column in CSV_COLUMNS})
    return buffer.getvalue()


def render(report: t.Mapping[str, t.Any], fmt: str) -> str:
    renderers = {'html': render_html, 'json': render_json, 'csv': render_csv}
    if fmt not in renderers:
        raise ReportError('report format %r is not one of %s' % (fmt, ', '.join(FORMATS)))
    return renderers[fmt](report)


# -- HTML -------------------------------------------------------------------------------------------
# One self-contained page: inline CSS and SVG, no script, nothing fetched (the CSP forbids it too).
# Colour is never the only signal: every highlighted row, tile and marker also carries a text badge,
# a label or a distinct marker shape.

COLOURS = {
    # status: (strong: badges, markers, row edge; tint: row background). The strong colours are used for
    # nothing else, so a screenshot shows them only when a license has that status.
    'expired': ('#b42318', '#fef3f2'),
    'expiring': ('#b54708', '#fffaeb'),
    'temporary': ('#6938ef', '#f4f3ff'),
    'undecodable': ('#c11574', '#fdf2fa'),
    'unknown': ('#026aa2', '#f0f9ff'),
    NOT_REACHED: ('#344054', '#f2f4f7'),
    NO_LICENSE: ('#667085', '#ffffff'),
    'permanent': ('#067647', '#ffffff'),
}
STATUS_LABELS = {
    'expired': 'Expired', 'expiring': 'Expiring', 'temporary': 'Temporary', 'undecodable': 'Undecodable',
    'unknown': 'Type unknown', NOT_REACHED: 'Not reached', NO_LICENSE: 'No license', 'permanent': 'Permanent',
}
TRANSFER_LABELS = {'intent_recorded': 'interrupted: removal not confirmed, run the transfer again',
                   'source_cleared': 'source cleared', 'server_revoked': 'server revoked',
                   'reissue_requested': 'reissue requested', 'completed': 'completed'}
_DASH = '\u2014'

_CSS = '''
:root { color-scheme: light; --ink: #101828; --muted: #475467; --line: #d0d5dd; --soft: #f9fafb; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #f2f4f7; color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI",
  Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 20px 40px; }
header.top { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: flex-end; gap: 8px 24px;
  margin-bottom: 18px; }
h1 { margin: 0; font-size: 24px; letter-spacing: -0.01em; }
h2 { margin: 0 0 10px; font-size: 16px; }
.meta { color: var(--muted); font-size: 13px; }
.meta b { color: var(--ink); font-weight: 600; }
.mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 12px; }
section.card { background: #fff; border: 1px solid #eaecf0; border-radius: 10px; padding: 16px 18px;
  margin-bottom: 18px; box-shadow: 0 1px 2px rgba(16, 24, 40, .05); }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(112px, 1fr)); gap: 10px; margin-bottom: 18px; }
.tile { background: #fff; border: 1px solid #eaecf0; border-left: 5px solid #eaecf0; border-radius: 8px;
  padding: 10px 12px; }
.tile .n { font-size: 26px; font-weight: 700; line-height: 1.1; font-variant-numeric: tabular-nums; }
.tile .l { color: var(--muted); font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
.tile .s { color: var(--muted); font-size: 12px; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 999px; font-size: 11px; font-weight: 700;
  letter-spacing: .03em; text-transform: uppercase; white-space: nowrap; border: 1px solid transparent;
  vertical-align: 1px; }
.badge.quiet { background: #fff; border-color: var(--line); color: var(--muted); }
.badge.transfer { background: #eff8ff; border-color: #b2ddff; color: #175cd3; text-transform: none; }
.badge.transfer.done { background: #ecfdf3; border-color: #abefc6; color: #067647; }
.chart { overflow-x: auto; }
.chart > svg { display: block; width: 100%; min-width: 680px; height: auto; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; margin-top: 8px; color: var(--muted); font-size: 12px; }
.legend svg { display: inline-block; width: 12px; height: 12px; vertical-align: -1px; margin-right: 5px; }
.upcoming { border-collapse: collapse; margin-top: 14px; font-size: 13px; }
.upcoming caption { text-align: left; padding-bottom: 4px; }
.upcoming td { padding: 4px 18px 4px 0; border-top: 1px solid #eaecf0; }
table.hosts { width: 100%; border-collapse: collapse; font-size: 13px; }
table.hosts thead th { position: sticky; top: 0; background: var(--soft); color: var(--muted); text-align: left;
  font-size: 11px; text-transform: uppercase; letter-spacing: .04em; padding: 8px;
  border-bottom: 1px solid var(--line); }
table.hosts td { padding: 7px 8px; border-bottom: 1px solid #eaecf0; vertical-align: top; }
table.hosts tbody { break-inside: avoid; }
tr.hosthead th { text-align: left; background: #fff; padding: 14px 8px 6px; border-bottom: 2px solid var(--line);
  font-weight: 400; }
tr.hosthead .name { font-size: 15px; font-weight: 700; margin-right: 8px; word-break: break-all; }
tr.hosthead .hw { color: var(--muted); margin: 0 8px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.date, td.nowrap { white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.has-note td { border-bottom: 0; }
tr.note-row td { padding-top: 0; }
.sub { color: var(--muted); font-size: 12px; }
td.msg { color: var(--ink); white-space: pre-wrap; word-break: break-word; }
.note { color: var(--muted); font-size: 12px; margin-top: 2px; word-break: break-word; }
footer { color: var(--muted); font-size: 12px; margin-top: 8px; }
@media screen and (max-width: 820px) {
  main { padding: 14px 10px 30px; }
  h1 { font-size: 20px; }
  table.hosts thead { display: none; }
  table.hosts, table.hosts tbody, table.hosts tr, table.hosts td, table.hosts th { display: block; width: 100%; }
  table.hosts tr.row { margin: 6px 0; border: 1px solid #eaecf0; border-radius: 8px; overflow: hidden; }
  table.hosts td { display: grid; grid-template-columns: 9.5em 1fr; gap: 8px; border-bottom: 1px solid #f2f4f7;
    text-align: left; white-space: normal; }
  table.hosts td::before { content: attr(data-label); color: var(--muted); font-size: 11px; font-weight: 600;
    text-transform: uppercase; letter-spacing: .04em; }
  table.hosts td.msg { display: block; }
  table.hosts tr.has-note { margin-bottom: 0; border-bottom: 0; border-radius: 8px 8px 0 0; }
  table.hosts tr.note-row { margin-top: 0; border-top: 0; border-radius: 0 0 8px 8px; }
  .upcoming td { padding-right: 10px; }
  .upcoming td:nth-child(4) { display: none; }
  table.hosts td.msg::before { display: block; }
  tr.hosthead th { padding-top: 18px; }
}
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  body { background: #fff; font-size: 10pt; }
  main { max-width: none; padding: 0; }
  section.card, .tile { box-shadow: none; }
  table.hosts thead th { position: static; }
  .tiles { grid-template-columns: repeat(9, 1fr); gap: 6px; }
  .tile { padding: 6px 8px; }
  .tile .l { font-size: 9px; }
  .chart, .upcoming, tr { break-inside: avoid; }
  h2 { break-after: avoid; }
}
'''


def _e(value: t.Any) -> str:
    """Escaped text; every value that reaches the page goes through here."""
    return html.escape(_DASH if value in (None, '') else str(value), quote=True)


def _badge(status: str, text: str | None = None) -> str:
    strong, _tint = COLOURS[status]
    if status in ('permanent', NO_LICENSE):
        style = 'color:%s;border-color:%s;background:#fff' % (strong, strong)
    else:
        style = 'color:#fff;background:%s' % strong
    return '<span class="badge" style="%s">%s</span>' % (style, _e(text or STATUS_LABELS[status]))


def _date(value: str | None) -> str:
    if not value:
        return _e(None)
    return '<span title="%s">%s</span>' % (_e(value), _e(value[:10]))


def _tile(label: str, count: int, status: str | None, sub: str = '') -> str:
    """A count; a non-zero count of a status that needs attention gets that status's colours."""
    style = ''
    if status is not None and count:
        strong, tint = COLOURS[status]
        style = ' style="border-left-color:%s;background:%s"' % (strong, tint)
        if status != 'permanent':
            style = style[:-1] + ';color:%s"' % strong
    return ('<div class="tile"%s><div class="l">%s</div><div class="n">%d</div><div class="s">%s</div></div>'
            % (style, _e(label), count, sub))


def _html_tiles(report: t.Mapping[str, t.Any]) -> str:
    totals = report['totals']
    transfers = totals['transfers']
    transfer_sub = ', '.join('%d %s' % (n, _e(TRANSFER_LABELS.get(state, state)))
                             for state, n in transfers.items() if n) or 'none recorded'
    tiles = [
        _tile('Hosts', totals['hosts'], None, '%d reached' % totals['reached']),
        _tile('Not reached', totals['not_reached'], NOT_REACHED, 'query failed or host down'),
        _tile('With a CAL', totals['with_license'], None, 'permanent, unexpired; %d without' % totals['without_license']),
        _tile('Permanent', totals['permanent'], 'permanent', 'licenses'),
        _tile('Temporary', totals['temporary'], 'temporary', 'licenses'),
        _tile('Expiring', totals['expiring'], 'expiring', 'within %d days' % report['expiring_days']),
        _tile('Expired', totals['expired'], 'expired', 'licenses'),
        _tile('Undecodable', totals['undecodable'], 'undecodable', 'license keys'),
        _tile('Transfers', sum(transfers.values()), None, transfer_sub),
    ]
    return '<div class="tiles">%s</div>' % ''.join(tiles)


# -- the timeline (inline SVG) --

_SVG_WIDTH = 1000
_LANE = 22
_MAX_LANES = 10
_LABEL_CHARS = 22


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    """Permanent: circle; temporary: diamond; unknown type: square - the shape tells the type."""
    if kind == 'temporary':
        return ('<path d="M%.1f %.1fl7 7-7 7-7-7z" fill="%s" stroke="#fff" stroke-width="1.5"/>'
                % (x, y - 7, colour))
    if kind == 'unknown':
        return '<rect x="%.1f" y="%.1f" width="12" height="12" fill="%s" stroke="#fff" stroke-width="1.5"/>' % (
            x - 6, y - 6, colour)
    return '<circle cx="%.1f" cy="%.1f" r="6.5" fill="%s" stroke="#fff" stroke-width="1.5"/>' % (x, y, colour)


def _tick_days(horizon: float) -> int:
    for step in (1, 2, 5, 7, 14, 30, 61, 91, 182, 365, 730, 1826, 3652):
        if horizon / step <= 8:
            return step
    return 3652


def _label_span(x: float, label: str, limit: float) -> tuple[float, float, bool]:
    """Where a marker and its label sit: (left, right, flipped); flipped labels go left of the marker."""
    width = 6.2 * len(label)
    if x + 10 + width <= limit:
        return x - 8, x + 10 + width, False
    return x - 10 - width, x + 8, True


def _lanes(spans: list[tuple[float, float, bool]]) -> list[int | None]:
    """The lane of each labelled marker (markers sorted by x), so that no two labels in a lane overlap;
    None when every lane is taken there: that marker goes, unlabelled, on the strip along the axis."""
    ends: list[float] = []
    placed: list[int | None] = []
    for start, end, _flipped in spans:
        free = [lane for lane, lane_end in enumerate(ends) if start > lane_end]
        if free:
            ends[free[0]] = end
            placed.append(free[0])
        elif len(ends) < _MAX_LANES:
            ends.append(end)
            placed.append(len(ends) - 1)
        else:
            placed.append(None)
    return placed


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[:_LABEL_CHARS - 1] + '\u2026'


def _gutter(x: float, y: float, width: float, height: float, count: int, word: str, tip: str,
            colours: tuple[str, str, str]) -> str:
    """A box counting the licenses left off the axis (expired ones, or ones ending after its end)."""
    stroke, fill, ink = colours
    centre, middle = x + width / 2, y + height / 2
    return ('<g><title>%s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="6" fill="%s" stroke="%s"/>'
            '<text x="%.1f" y="%.1f" font-size="22" font-weight="700" fill="%s" text-anchor="middle">%d</text>'
            '<text x="%.1f" y="%.1f" font-size="11" fill="%s" text-anchor="middle">%s</text></g>'
            % (_e(tip), x, y, width, height, fill, stroke, centre, middle + 2, ink, count, centre, middle + 18,
               ink, _e(word)))


def _html_timeline(report: t.Mapping[str, t.Any]) -> str:
    """Now to the last end date (at most ~400 days): one marker per license, the expiring window shaded;
    expired licenses and those ending after the axis are counted in boxes at either end."""
    entries = report['timeline']
    if not entries:
        return '<p class="meta">No license with a known end date to show.</p>'
    now = parse_time(report['report_time'])
    window_days = report['expiring_days']
    expired = [e for e in entries if e['status'] == 'expired']
    upcoming = [e for e in entries if e['status'] != 'expired']
    cap = max(400, 2 * window_days)  # a CAL ending in decades must not squeeze the next weeks into a corner
    horizon = max([window_days, 7] + [e['days_left'] for e in upcoming if e['days_left'] <= cap]) * 1.06 + 1
    later = [e for e in upcoming if e['days_left'] > horizon]
    shown = [e for e in upcoming if e['days_left'] <= horizon]
    left, right = (130 if expired else 24), _SVG_WIDTH - (130 if later else 36)

    def x_of(days: float) -> float:
        return left + (right - left) * min(max(days, 0.0), horizon) / horizon

    def days_of(entry: t.Mapping[str, t.Any]) -> float:
        return (parse_time(entry['valid_to']) - now).total_seconds() / 86400

    points = sorted(((x_of(days_of(e)), e) for e in shown), key=lambda p: (p[0], p[1]['host']))
    label_limit = right + 6 if later else _SVG_WIDTH - 4  # labels never run into the 'later' box
    spans = [_label_span(x, _short(e['host']), label_limit) for x, e in points]
    lanes = _lanes(spans)
    strip = _LANE if None in lanes else 0  # the unlabelled markers' strip along the axis
    top = 26
    axis_y = top + (max([lane for lane in lanes if lane is not None], default=0) + 1) * _LANE + strip + 14
    parts = ['<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="#fef0c7" opacity=".55"/>'
             % (left, top - 18, x_of(window_days) - left, axis_y - top + 18),
             '<text x="%.1f" y="%d" font-size="11" fill="#93370d">expiring window: %d days</text>'
             % (left + 4, top - 6, window_days),
             '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#98a2b3" stroke-width="1.5"/>'
             % (left, axis_y, right, axis_y)]
    step = _tick_days(horizon)
    for days in range(0, int(horizon) + 1, step):
        x = x_of(days)
        label = 'now' if days == 0 else (now + datetime.timedelta(days=days)).strftime('%Y-%m-%d')
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#98a2b3"/>'
                     '<text x="%.1f" y="%d" font-size="11" fill="#475467" text-anchor="%s">%s</text>'
                     % (x, axis_y, x, axis_y + 5, x, axis_y + 18, 'start' if days == 0 else 'middle', _e(label)))
    ys = [axis_y - 12 if lane is None else axis_y - 14 - strip - lane * _LANE for lane in lanes]
    # Stems first, so that every marker and label is drawn over them.
    parts.extend('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%d" stroke="#d0d5dd"/>' % (x, y, x, axis_y)
                 for (x, _entry), y in zip(points, ys))
    for (x, entry), (_start, _end, flipped), lane, y in zip(points, spans, lanes, ys):
        tip = '%s \u2014 %s, %s, ends %s (%s days): %s' % (
            entry['host'], entry['license_server'] or 'unknown server', entry['license_type'],
            entry['valid_to'], entry['days_left'], STATUS_LABELS[entry['status']])
        label = ('<text x="%.1f" y="%.1f" font-size="11" fill="#101828" stroke="#fff" stroke-width="3" '
                 'stroke-opacity=".8" paint-order="stroke"%s>%s</text>'
                 % (x - 10 if flipped else x + 10, y + 4, ' text-anchor="end"' if flipped else '',
                    _e(_short(entry['host']))) if lane is not None else '')
        parts.append('<g><title>%s</title>%s%s</g>'
                     % (_e(tip), _marker(entry['license_type'], x, y, COLOURS[entry['status']][0]), label))
    box_top, box_height = top - 18, axis_y - top + 18
    if expired:
        strong, tint = COLOURS['expired']
        parts.append(_gutter(8, box_top, left - 30, box_height, len(expired), 'expired',
                             'Expired: ' + ', '.join(sorted({e['host'] for e in expired})), (strong, tint, strong)))
    if later:
        end_date = (now + datetime.timedelta(days=horizon)).strftime('%Y-%m-%d')
        parts.append(_gutter(right + 14, box_top, _SVG_WIDTH - right - 22, box_height, len(later), 'later',
                             'Ending after %s: %s' % (end_date, ', '.join(sorted({e['host'] for e in later}))),
                             ('#98a2b3', '#f9fafb', '#344054')))
    summary = '%d license end dates: %d expired, %d in the next %d days, %d later' % (
        len(entries), len(expired), sum(1 for e in upcoming if e['status'] == 'expiring'), window_days,
        sum(1 for e in upcoming if e['status'] != 'expiring'))
    svg = ('<svg viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">'
           '<title>%s</title>%s</svg>' % (_SVG_WIDTH, axis_y + 40, _e(summary), _e(summary), ''.join(parts)))
    return '<div class="chart">%s</div>%s%s' % (svg, _html_legend(entries), _html_upcoming(upcoming))


def _html_legend(entries: list[dict[str, t.Any]]) -> str:
    """Only the colours and shapes the chart uses (a healthy fleet shows no warning colour anywhere)."""
    items = []
    for kind in LICENSE_TYPES:
        if any(e['license_type'] == kind for e in entries if e['status'] != 'expired'):
            items.append('<span><svg viewBox="-7 -7 14 14">%s</svg>%s</span>'
                         % (_marker(kind, 0, 0, '#475467'), _e(STATUS_LABELS[kind])))
    for status in ('expiring', 'temporary', 'unknown', 'permanent'):
        if any(e['status'] == status for e in entries):
            items.append('<span>%s %s</span>' % (_badge(status), _e(_legend_text(status))))
    return '<div class="legend">%s</div>' % ''.join(items)


def _legend_text(status: str) -> str:
    return {'expiring': 'ends within the window', 'temporary': 'temporary license', 'unknown': 'type not stated',
            'permanent': 'permanent license'}[status]


def _html_upcoming(upcoming: list[dict[str, t.Any]], limit: int = 8) -> str:
    if not upcoming:
        return ''
    rows = ''.join('<tr><td class="date">%s</td><td class="num">%s d</td><td>%s</td><td>%s</td><td>%s</td></tr>'
                   % (_date(e['valid_to']), _e(e['days_left']), _e(e['host']), _e(e['license_server']),
                      _badge(e['status'])) for e in upcoming[:limit])
    more = len(upcoming) - limit
    caption = 'Next %s' % ('%d of %d end dates' % (limit, len(upcoming)) if more > 0 else 'end dates')
    return '<table class="upcoming"><caption class="meta">%s</caption>%s</table>' % (
        _e(caption), rows)


# -- the host table --

_COLUMNS = ('View', 'Key', 'License server', 'Serial', 'Issued to', 'Valid from', 'Valid to', 'Days left', 'Type',
            'Status')


def _transfer_badges(host: t.Mapping[str, t.Any]) -> str:
    badges = []
    incoming = host.get('transfers_in') or [host.get('transfer_in')]
    for row, arrow, peer_field, text in ([(host.get('transfer_out'), '\u2192', 'target_host', 'CAL moved out')]
                                         + [(row, '\u2190', 'source_host', 'CAL moving in') for row in incoming]):
        if row:
            done = ' done' if row.get('state') == 'completed' else ''
            badges.append('<span class="badge transfer%s" title="%s">%s %s %s: %s</span>' % (
                done, _e('transfer #%s of %s' % (row.get('id'), row.get('cal_id'))), _e(text), arrow,
                _e(row.get(peer_field)), _e(TRANSFER_LABELS.get(row.get('state'), row.get('state')))))
    return ' '.join(badges)


def _cell(label: str, content: str, cls: str = '') -> str:
    # One child element: the narrow layout is a two-column grid of the label and this.
    return '<td data-label="%s"%s><div>%s</div></td>' % (_e(label), ' class="%s"' % cls if cls else '', content)


def _row_style(status: str) -> str:
    """Rows that need attention get their status's tint and a coloured left edge."""
    if status in ('permanent', NO_LICENSE):
        return ''
    strong, tint = COLOURS[status]
    return ' style="background:%s;box-shadow:inset 4px 0 0 %s"' % (tint, strong)


def _license_row(row: t.Mapping[str, t.Any]) -> str:
    style = _row_style(row['status'])
    server = _e(row['license_server']) + ('<div class="sub">%s</div>' % _e(row['scope']) if row['scope'] else '')
    issued = _e(row['issued_to']) + ('<div class="sub">%s</div>' % _e(row['issued_to_user'])
                                     if row['issued_to_user'] else '')
    if row['status'] == 'undecodable':
        kind = _e(None)  # nothing was decoded, so there is no type to show
    else:
        kind = _badge(row['license_type']) if row['license_type'] != 'permanent' else _e('permanent')
    cells = [
        _cell('View', _e(' \u00b7 '.join(row['views']))),
        _cell('Key', '<span class="mono">%s</span>' % _e(row['key'])),
        _cell('License server', server),
        _cell('Serial', '<span class="mono">%s</span>' % _e(row['serial'])),
        _cell('Issued to', issued, 'nowrap'),
        _cell('Valid from', _date(row['valid_from']), 'date'),
        _cell('Valid to', _date(row['valid_to']), 'date'),
        _cell('Days left', _e(row['days_left']), 'num'),
        _cell('Type', kind),
        _cell('Status', _badge(row['status'])),
    ]
    if not row['note']:
        return '<tr class="row"%s>%s</tr>' % (style, ''.join(cells))
    # The decoder's warning gets the table's full width on a row of its own.
    return ('<tr class="row has-note"%s>%s</tr><tr class="row note-row"%s><td class="msg" colspan="%d" '
            'data-label="Decoder"><div class="note">%s</div></td></tr>'
            % (style, ''.join(cells), style, len(_COLUMNS), _e(row['note'])))


def _html_host(host: t.Mapping[str, t.Any]) -> str:
    hardware = ' '.join('<span class="mono hw" title="ClientHWID">%s</span>' % _e(hw) for hw in host['hardware_ids'])
    head = ('<tr class="hosthead"><th colspan="%d" scope="rowgroup"><span class="name">%s</span>%s %s %s</th></tr>'
            % (len(_COLUMNS), _e(host['host']), hardware, _badge(host['status']), _transfer_badges(host)))
    if not host['reached']:
        body = ('<tr class="row"%s><td class="msg" colspan="%d" data-label="Not reached">%s</td></tr>'
                % (_row_style(NOT_REACHED), len(_COLUMNS), _e(host['message'])))
    elif not host['licenses']:
        body = ('<tr class="row"><td class="msg" colspan="%d" data-label="Store">%s</td></tr>'
                % (len(_COLUMNS), _e('No client license stored in the registry views queried.')))
    else:
        body = ''.join(_license_row(row) for row in host['licenses'])
    if host.get('next_action'):
        body += ('<tr class="row next"><td class="msg" colspan="%d" data-label="Next action"><div><b>Next:</b> %s'
                 '</div></td></tr>' % (len(_COLUMNS), _e(host['next_action'])))
    return '<tbody>%s%s</tbody>' % (head, body)


def _html_hosts(report: t.Mapping[str, t.Any]) -> str:
    hosts = sorted(report['hosts'], key=lambda h: (STATUSES.index(h['status']), h['host'].casefold()))
    if not hosts:
        return '<p class="meta">No hosts in this audit.</p>'
    head = ''.join('<th scope="col">%s</th>' % _e(name) for name in _COLUMNS)
    return '<table class="hosts"><thead><tr>%s</tr></thead>%s</table>' % (head, ''.join(map(_html_host, hosts)))


def render_html(report: t.Mapping[str, t.Any]) -> str:
    moment = parse_time(report['report_time'])
    when = moment.strftime('%Y-%m-%d %H:%M UTC')
    generator = _e(report.get('generator', GENERATOR))
    # Where the data came from goes to the footer: the header is for what the admin acts on.
    ledger = ('; transfers from the ledger <span class="mono">%s</span>' % _e(report['ledger'])
              if report.get('ledger') else '')
    return '\n'.join((
        '<!DOCTYPE html>',
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
        '<meta name="generator" content="%s">' % generator,
        '<title>%s \u2014 %s</title>' % (_e(report['title']), _e(when)),
        '<style>%s</style></head><body><main>' % _CSS,
        '<header class="top"><div><h1>%s</h1><div class="meta">Report time <b>%s</b> \u00b7 expiring window '
        '<b>%d days</b></div></div><div class="meta">%d hosts \u00b7 %d licenses</div></header>'
        % (_e(report['title']), _e(when), report['expiring_days'], report['totals']['hosts'],
           report['totals']['licenses']),
        _html_tiles(report),
        '<section class="card timeline"><h2>License expiries</h2>%s</section>' % _html_timeline(report),
        '<section class="card hosts-card"><h2>Hosts <span class="meta">(most urgent first)</span></h2>%s</section>'
        % _html_hosts(report),
        '<footer>Generated by %s from tslicensing.cal.client_license query results%s. Dates are UTC; days left '
        'are counted from the report time.</footer>' % (generator, ledger),
        '</main></body></html>',
        '',
    ))
