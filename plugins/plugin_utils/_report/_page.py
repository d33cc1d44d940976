# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The HTML page of a report."""

from __future__ import annotations

import datetime
import html
import typing as t

from ._model import GENERATOR, LICENSE_TYPES, NO_LICENSE, NOT_REACHED, STATUSES, parse_time

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
details.group { border-top: 1px solid #eaecf0; padding: 6px 0; }
details.group > summary, details.server > summary { cursor: pointer; padding: 6px 4px; }
details.server { margin-left: 14px; }
table.hosts.compact td { padding: 4px 8px; }
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
  details.group > summary { break-after: avoid; }
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

    points = _merged(sorted(((x_of(days_of(e)), e) for e in shown), key=lambda p: (p[0], p[1]['host'])))
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
        if entry.get('hosts'):
            tip = '%s, %s, ending %s to %s (%s): %s' % (
                entry['host'], entry['license_type'], entry['valid_to'][:10], entry['last_valid_to'][:10],
                STATUS_LABELS[entry['status']], _names(entry['hosts']))
        else:
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
                             'Expired: ' + _names(sorted({e['host'] for e in expired})), (strong, tint, strong)))
    if later:
        end_date = (now + datetime.timedelta(days=horizon)).strftime('%Y-%m-%d')
        parts.append(_gutter(right + 14, box_top, _SVG_WIDTH - right - 22, box_height, len(later), 'later',
                             'Ending after %s: %s' % (end_date, _names(sorted({e['host'] for e in later}))),
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


# A group of hosts with one status is shown open when it is short enough to read; a group of
# more than _FULL_LIMIT hosts lists one line per host, by license server (the per-license details of every host are
# in the CSV and the JSON), so that the page of 10,000 hosts stays a few MiB and opens in a browser at once.
_OPEN_LIMIT = 200
_FULL_LIMIT = 300
_COMPACT_COLUMNS = ('Host', 'License server', 'Licenses', 'Valid to', 'Days left', 'Status')


def _group_head(status: str, count: int, what: str) -> str:
    return '<summary>%s <b>%d</b> %s%s</summary>' % (
        _badge(status), count, 'host' if count == 1 else 'hosts', ' <span class="meta">%s</span>' % _e(what)
        if what else '')


def _full_table(hosts: list[t.Mapping[str, t.Any]]) -> str:
    head = ''.join('<th scope="col">%s</th>' % _e(name) for name in _COLUMNS)
    return '<table class="hosts"><thead><tr>%s</tr></thead>%s</table>' % (head, ''.join(map(_html_host, hosts)))


def _servers(host: t.Mapping[str, t.Any]) -> list[str]:
    return sorted({row['license_server'] for row in host['licenses'] if row['license_server']}) or ['']


def _compact_row(host: t.Mapping[str, t.Any]) -> str:
    ends = sorted(row['valid_to'] for row in host['licenses'] if row['valid_to'])
    days = [row['days_left'] for row in host['licenses'] if row['days_left'] is not None]
    return ('<tr class="row"><td data-label="Host"><div class="mono">%s</div></td>'
            '<td data-label="License server"><div>%s</div></td><td data-label="Licenses" class="num"><div>%d</div></td>'
            '<td data-label="Valid to" class="date"><div>%s</div></td><td data-label="Days left" class="num"><div>%s'
            '</div></td><td data-label="Status"><div>%s</div></td></tr>'
            % (_e(host['host']), _e(', '.join(s for s in _servers(host) if s)), len(host['licenses']),
               _date(ends[0] if ends else None), _e(min(days) if days else None),
               _e(host['message'] or STATUS_LABELS[host['status']])))


def _compact_tables(status: str, hosts: list[t.Mapping[str, t.Any]]) -> str:
    """One collapsed list per license server (a host holding CALs of several servers is under each)."""
    by_server: dict[str, list[t.Mapping[str, t.Any]]] = {}
    for host in hosts:
        for server in _servers(host):
            by_server.setdefault(server, []).append(host)
    head = ''.join('<th scope="col">%s</th>' % _e(name) for name in _COMPACT_COLUMNS)
    parts = []
    for server in sorted(by_server, key=lambda name: (name == '', name.casefold())):
        members = by_server[server]
        parts.append('<details class="server"><summary><b>%s</b> <span class="meta">%d %s</span></summary>'
                     '<table class="hosts compact"><thead><tr>%s</tr></thead><tbody>%s</tbody></table></details>'
                     % (_e(server or 'no license server'), len(members), 'host' if len(members) == 1 else 'hosts',
                        head, ''.join(map(_compact_row, members))))
    return ''.join(parts)


def _html_hosts(report: t.Mapping[str, t.Any]) -> str:
    """One section per status, most urgent first, each saying how many hosts it holds."""
    if not report['hosts']:
        return '<p class="meta">No hosts in this audit.</p>'
    groups: dict[str, list[t.Mapping[str, t.Any]]] = {status: [] for status in STATUSES}
    for host in report['hosts']:
        groups[host['status']].append(host)
    parts = []
    for status, hosts in groups.items():
        if not hosts:
            continue
        hosts.sort(key=lambda h: h['host'].casefold())
        compact = len(hosts) > _FULL_LIMIT
        is_open = len(hosts) <= _OPEN_LIMIT
        parts.append('<details class="group" data-status="%s"%s>%s%s</details>' % (
            _e(status), ' open' if is_open else '',
            _group_head(status, len(hosts), 'one line per host, by license server; every license is in the CSV and '
                        'JSON' if compact else ''),
            _compact_tables(status, hosts) if compact else _full_table(hosts)))
    return ''.join(parts)


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
        '<section class="card hosts-card"><h2>Hosts <span class="meta">(by status, most urgent first)</span></h2>%s'
        '</section>'
        % _html_hosts(report),
        '<footer>Generated by %s from tslicensing.cal.client_license query results%s. Dates are UTC; days left '
        'are counted from the report time.</footer>' % (generator, ledger),
        '</main></body></html>',
        '',
    ))
