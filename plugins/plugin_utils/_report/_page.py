# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The HTML page of a report: plain data for the template ``page.html.j2``, which renders it autoescaped."""

from __future__ import annotations

import datetime
import functools
import os
import typing as t

import jinja2

from ._model import GENERATOR, LICENSE_TYPES, NO_LICENSE, NOT_REACHED, STATUSES, parse_time
from . import _tabular

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


@functools.lru_cache(maxsize=None)
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.path.dirname(os.path.abspath(__file__))),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    environment.filters['dash'] = _dash
    environment.filters['coord'] = '{0:.1f}'.format
    environment.globals.update(STATUS_LABELS=STATUS_LABELS, NOT_REACHED=NOT_REACHED, badge_style=_badge_style,
                               row_style=_row_style)
    return environment.get_template('page.html.j2')


def _dash(value: t.Any) -> t.Any:
    """What the page shows for a value: a dash for none."""
    return _DASH if value is None or value == '' else value


def _badge_style(status: str) -> str:
    strong, _tint = COLOURS[status]
    if status in ('permanent', NO_LICENSE):
        return 'color:%s;border-color:%s;background:#fff' % (strong, strong)
    return 'color:#fff;background:%s' % strong


def _row_style(status: str) -> str:
    """Rows that need attention get their status's tint and a coloured left edge."""
    if status in ('permanent', NO_LICENSE):
        return ''
    strong, tint = COLOURS[status]
    return 'background:%s;box-shadow:inset 4px 0 0 %s' % (tint, strong)


def _tile(label: str, count: int, status: str | None, sub: str = '') -> dict[str, t.Any]:
    """A count; a non-zero count of a status that needs attention gets that status's colours."""
    style = ''
    if status is not None and count:
        strong, tint = COLOURS[status]
        style = 'border-left-color:%s;background:%s' % (strong, tint)
        if status != 'permanent':
            style += ';color:%s' % strong
    return {'label': label, 'count': count, 'style': style, 'sub': sub}


def _tiles(report: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    totals = report['totals']
    transfers = totals['transfers']
    transfer_sub = ', '.join('%d %s' % (n, _dash(TRANSFER_LABELS.get(state, state)))
                             for state, n in transfers.items() if n) or 'none recorded'
    return [
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


# -- the timeline (inline SVG) --

_SVG_WIDTH = 1000
_LANE = 22
_MAX_LANES = 10
_LABEL_CHARS = 22
# The shape tells the license type.
_SHAPES = {'permanent': 'circle', 'temporary': 'diamond', 'unknown': 'square'}


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


_MARKER_LIMIT = 250  # more markers than this are merged: one per few pixels, type and status
_MERGE_PIXELS = 4
_NAMED = 20  # hosts named in a tooltip


def _names(hosts: t.Sequence[str]) -> str:
    more = len(hosts) - _NAMED
    return ', '.join(hosts[:_NAMED]) + (' and %d more' % more if more > 0 else '')


def _merged(points: list[tuple[float, t.Mapping[str, t.Any]]]) -> list[tuple[float, t.Mapping[str, t.Any]]]:
    """The points as they are, or - past _MARKER_LIMIT - one marker per few pixels, license type and status,
    counting its licenses, so that a fleet's chart stays a chart of a few hundred elements."""
    if len(points) <= _MARKER_LIMIT:
        return points
    buckets: dict[tuple[int, str, str], list[tuple[float, t.Mapping[str, t.Any]]]] = {}
    for x, entry in points:
        buckets.setdefault((int(x // _MERGE_PIXELS), entry['license_type'], entry['status']), []).append((x, entry))
    merged = []
    for members in buckets.values():
        x, first = members[0]
        if len(members) == 1:
            merged.append((x, first))
            continue
        merged.append((x, dict(first, host='%d licenses' % len(members), last_valid_to=members[-1][1]['valid_to'],
                               hosts=sorted({entry['host'] for _x, entry in members}))))
    return sorted(merged, key=lambda p: p[0])


def _timeline(report: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
    """Now to the last end date (at most ~400 days): one marker per license, the expiring window shaded;
    expired licenses and those ending after the axis are counted in boxes at either end. None: nothing to show."""
    entries = report['timeline']
    if not entries:
        return None
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

    points = _merged(sorted(((x_of(days_of(e)), e) for e in shown), key=lambda p: (p[0], p[1]['host'])))
    label_limit = right + 6 if later else _SVG_WIDTH - 4  # labels never run into the 'later' box
    spans = [_label_span(x, _short(e['host']), label_limit) for x, e in points]
    lanes = _lanes(spans)
    strip = _LANE if None in lanes else 0  # the unlabelled markers' strip along the axis
    top = 26
    axis_y = top + (max([lane for lane in lanes if lane is not None], default=0) + 1) * _LANE + strip + 14
    box_top, box_height = top - 18, axis_y - top + 18
    ticks = [{'x': x_of(days), 'anchor': 'start' if days == 0 else 'middle',
              'label': 'now' if days == 0 else (now + datetime.timedelta(days=days)).strftime('%Y-%m-%d')}
             for days in range(0, int(horizon) + 1, _tick_days(horizon))]
    markers = []
    for (x, entry), (_start, _end, flipped), lane in zip(points, spans, lanes):
        if entry.get('hosts'):
            tip = '%s, %s, ending %s to %s (%s): %s' % (
                entry['host'], entry['license_type'], entry['valid_to'][:10], entry['last_valid_to'][:10],
                STATUS_LABELS[entry['status']], _names(entry['hosts']))
        else:
            tip = '%s \u2014 %s, %s, ends %s (%s days): %s' % (
                entry['host'], entry['license_server'] or 'unknown server', entry['license_type'],
                entry['valid_to'], entry['days_left'], STATUS_LABELS[entry['status']])
        markers.append({'x': x, 'y': axis_y - 12 if lane is None else axis_y - 14 - strip - lane * _LANE,
                        'shape': _SHAPES[entry['license_type']], 'colour': COLOURS[entry['status']][0], 'tip': tip,
                        'label': None if lane is None else _short(entry['host']), 'flipped': flipped})
    gutters = []  # boxes counting the licenses left off the axis
    if expired:
        strong, tint = COLOURS['expired']
        gutters.append({'x': 8, 'width': left - 30, 'count': len(expired), 'word': 'expired',
                        'tip': 'Expired: ' + _names(sorted({e['host'] for e in expired})),
                        'stroke': strong, 'fill': tint, 'ink': strong})
    if later:
        end_date = (now + datetime.timedelta(days=horizon)).strftime('%Y-%m-%d')
        gutters.append({'x': right + 14, 'width': _SVG_WIDTH - right - 22, 'count': len(later), 'word': 'later',
                        'tip': 'Ending after %s: %s' % (end_date, _names(sorted({e['host'] for e in later}))),
                        'stroke': '#98a2b3', 'fill': '#f9fafb', 'ink': '#344054'})
    for box in gutters:
        box.update(y=box_top, height=box_height)
    summary = '%d license end dates: %d expired, %d in the next %d days, %d later' % (
        len(entries), len(expired), sum(1 for e in upcoming if e['status'] == 'expiring'), window_days,
        sum(1 for e in upcoming if e['status'] != 'expiring'))
    return {
        'width': _SVG_WIDTH, 'height': axis_y + 40, 'summary': summary,
        'window': {'x': left, 'y': box_top, 'width': x_of(window_days) - left, 'height': box_height,
                   'days': window_days},
        'axis': {'left': left, 'right': right, 'y': axis_y},
        'ticks': ticks, 'markers': markers, 'gutters': gutters,
        **_legend(entries), **_upcoming(upcoming),
    }


_LEGEND_TEXTS = {'expiring': 'ends within the window', 'temporary': 'temporary license',
                 'unknown': 'type not stated', 'permanent': 'permanent license'}


def _legend(entries: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """Only the colours and shapes the chart uses (a healthy fleet shows no warning colour anywhere)."""
    drawn = {e['license_type'] for e in entries if e['status'] != 'expired'}
    statuses = {e['status'] for e in entries}
    return {'legend_shapes': [(_SHAPES[kind], STATUS_LABELS[kind]) for kind in LICENSE_TYPES if kind in drawn],
            'legend_statuses': [(status, text) for status, text in _LEGEND_TEXTS.items() if status in statuses]}


def _upcoming(upcoming: list[dict[str, t.Any]], limit: int = 8) -> dict[str, t.Any]:
    more = len(upcoming) - limit
    caption = 'Next %s' % ('%d of %d end dates' % (limit, len(upcoming)) if more > 0 else 'end dates')
    return {'upcoming': upcoming[:limit], 'caption': caption}


# -- the host table --

def _transfers(host: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    shown = []
    incoming = host.get('transfers_in') or [host.get('transfer_in')]
    for row, arrow, peer_field, text in ([(host.get('transfer_out'), '\u2192', 'target_host', 'CAL moved out')]
                                         + [(row, '\u2190', 'source_host', 'CAL moving in') for row in incoming]):
        if row:
            shown.append({'done': row.get('state') == 'completed',
                          'title': 'transfer #%s of %s' % (row.get('id'), row.get('cal_id')),
                          'text': '%s %s %s: %s' % (text, arrow, _dash(row.get(peer_field)),
                                                    _dash(TRANSFER_LABELS.get(row.get('state'), row.get('state'))))})
    return shown


def _cells(host: t.Mapping[str, t.Any], row: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """The host table's cells of one license: one per COLUMNS entry with a label."""
    by_name = {column.name: column for column in _tabular.COLUMNS}
    return [{'label': column.label, 'show': column.show, 'css': column.css,
             'value': (column.page_value or column.value)(host, row),
             'under': by_name[column.under].value(host, row) if column.under else None} for column in _shown()]


def _shown() -> list[_tabular.Column]:
    return [column for column in _tabular.COLUMNS if column.label]


def _full_host(host: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    licenses = [{'style': _row_style(row['status']), 'note': row['note'], 'cells': _cells(host, row)}
                for row in host['licenses']]
    return dict(host, transfers=_transfers(host), licenses=licenses)


# A group of hosts with one status is shown open when it is short enough to read; a group of
# more than _FULL_LIMIT hosts lists one line per host, by license server (the per-license details of every host are
# in the CSV and the JSON), so that the page of 10,000 hosts stays a few MiB and opens in a browser at once.
_OPEN_LIMIT = 200
_FULL_LIMIT = 300


def _servers(host: t.Mapping[str, t.Any]) -> list[str]:
    return sorted({row['license_server'] for row in host['licenses'] if row['license_server']}) or ['']


def _compact_host(host: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    ends = sorted(row['valid_to'] for row in host['licenses'] if row['valid_to'])
    days = [row['days_left'] for row in host['licenses'] if row['days_left'] is not None]
    return {'host': host['host'], 'servers': ', '.join(s for s in _servers(host) if s),
            'licenses': len(host['licenses']), 'valid_to': ends[0] if ends else None,
            'days_left': min(days) if days else None, 'state': host['message'] or STATUS_LABELS[host['status']]}


def _compact_servers(hosts: list[t.Mapping[str, t.Any]]) -> list[dict[str, t.Any]]:
    """One collapsed list per license server (a host holding CALs of several servers is under each)."""
    by_server: dict[str, list[dict[str, t.Any]]] = {}
    for host in hosts:
        line = _compact_host(host)
        for server in _servers(host):
            by_server.setdefault(server, []).append(line)
    return [{'name': server, 'hosts': by_server[server]}
            for server in sorted(by_server, key=lambda name: (name == '', name.casefold()))]


def _groups(report: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """One section per status, most urgent first, each saying how many hosts it holds."""
    groups: dict[str, list[t.Mapping[str, t.Any]]] = {status: [] for status in STATUSES}
    for host in report['hosts']:
        groups[host['status']].append(host)
    shown = []
    for status, hosts in groups.items():
        if not hosts:
            continue
        hosts.sort(key=lambda h: h['host'].casefold())
        compact = len(hosts) > _FULL_LIMIT
        shown.append({'status': status, 'count': len(hosts), 'open': len(hosts) <= _OPEN_LIMIT,
                      'servers': _compact_servers(hosts) if compact else None,
                      'hosts': None if compact else [_full_host(host) for host in hosts]})
    return shown


def render_html(report: t.Mapping[str, t.Any]) -> str:
    return _template().render(
        title=report['title'], generator=report.get('generator', GENERATOR), ledger=report.get('ledger'),
        when=parse_time(report['report_time']).strftime('%Y-%m-%d %H:%M UTC'), expiring_days=report['expiring_days'],
        host_count=report['totals']['hosts'], license_count=report['totals']['licenses'], tiles=_tiles(report),
        timeline=_timeline(report), groups=_groups(report), columns=_shown())
