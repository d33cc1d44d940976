"""render_json / render_csv / render_html: stable, complete, escaped and self-contained output."""

from __future__ import annotations

import collections
import csv
import html.parser
import io
import json
import re

import pytest

import report_stores as rs
from ansible_collections.tslicensing.cal.plugins.plugin_utils._report import (
    COLOURS, CSV_COLUMNS, STATUSES, ReportError, _tabular, build_report, render, render_csv, render_html, render_json)

HOSTILE_HOST = '<script>alert("host")</script>'
HOSTILE_SERVER = '<img src=x onerror=alert(1)>&amp;'
HOSTILE_USER = '"><svg onload=alert(2)>'
TRANSFERS = [{'id': 1, 'cal_id': 'CAL-1', 'source_host': 'pc-old', 'target_host': 'pc-permanent',
              'state': 'completed', 'updated_at': '2026-02-01T10:00:00Z'},
             {'id': 2, 'cal_id': 'CAL-2', 'source_host': 'pc-temporary', 'target_host': 'pc-new',
              'state': 'reissue_requested', 'updated_at': '2026-02-02T10:00:00Z'}]


class _Page(html.parser.HTMLParser):
    """Tags, attributes, text and badge texts of a page, as a browser's tokenizer sees them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.badges: list[str] = []
        self._in_badge = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        self._in_badge = tag == 'span' and 'badge' in (attributes.get('class') or '').split()

    def handle_endtag(self, tag):
        self._in_badge = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_badge:
            self.badges.append(data.strip())


@pytest.fixture(scope='module')
def report(license_fixtures):
    return build_report(rs.fleet(license_fixtures), TRANSFERS, rs.NOW, ledger='sqlite:///srv/ledger.sqlite3')


@pytest.fixture(scope='module')
def permanent_only_report():
    clients = {'pc-%d' % n: rs.query_result({'64': rs.store(rs.blob(
        rs.license('PC-%d' % n, 60 + n * 5, serial=0x0200000100 + n)))}) for n in range(4)}
    return build_report(clients, [], rs.NOW)


def test_json_is_the_report_and_stable(report, license_fixtures):
    text = render_json(report)
    assert json.loads(text) == report
    again = build_report(rs.fleet(license_fixtures), TRANSFERS, rs.NOW, ledger='sqlite:///srv/ledger.sqlite3')
    assert render_json(again) == text
    assert text.endswith('}\n')


def test_csv_has_a_stable_header_and_one_row_per_license_or_host(report):
    text = render_csv(report)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0].split(',') == list(CSV_COLUMNS)
    licenses = sum(len(host['licenses']) for host in report['hosts'])
    bare = sum(1 for host in report['hosts'] if not host['licenses'])
    assert len(rows) == licenses + bare == 14
    down = next(row for row in rows if row['host'] == 'pc-down')
    assert (down['reached'], down['status'], down['key']) == ('no', 'not reached', '')
    assert 'timed out' in down['message']
    both = next(row for row in rows if row['host'] == 'pc-both-views')
    assert (both['views'], both['days_left'], both['license_type']) == ('64 32', '45', 'permanent')
    permanent = next(row for row in rows if row['host'] == 'pc-permanent')
    assert (permanent['transfer_in_state'], permanent['transfer_in_source']) == ('completed', 'pc-old')
    temporary = next(row for row in rows if row['host'] == 'pc-temporary')
    assert (temporary['transfer_out_state'], temporary['transfer_out_target']) == ('reissue_requested', 'pc-new')
    assert next(row for row in rows if row['host'] == 'pc-expired')['days_left'] == '-3'


def test_csv_cells_never_become_spreadsheet_formulas():
    clients = {'=HYPERLINK("http://evil")': {'failed': True, 'msg': '+cmd|calc'},
               'pc': rs.query_result({'64': rs.store(rs.blob(rs.license('PC', -2, server='@SUM(A1)')))})}
    rows = list(csv.DictReader(io.StringIO(render_csv(build_report(clients, [], rs.NOW)))))
    assert rows[0]['host'] == '\'=HYPERLINK("http://evil")'
    assert rows[1]['license_server'] == "'@SUM(A1)"
    assert rows[1]['days_left'] == '-2'  # a number, not text: left alone


def test_html_is_self_contained(report):
    text = render_html(report)
    page = _Page(text)
    tags = {tag for tag, _attrs in page.tags}
    assert tags <= {'html', 'head', 'meta', 'title', 'style', 'body', 'main', 'header', 'div', 'h1', 'h2', 'b',
                    'span', 'section', 'svg', 'rect', 'text', 'line', 'g', 'circle', 'path', 'table',
                    'caption', 'thead', 'tbody', 'tr', 'th', 'td', 'footer', 'details', 'summary'}
    assert 'script' not in tags
    for tag, attrs in page.tags:
        assert not {'src', 'href', 'srcset', 'action', 'background'} & set(attrs), (tag, attrs)
        assert not any(name.startswith('on') for name in attrs), (tag, attrs)
    assert 'url(' not in text and '@import' not in text
    # Only the SVG namespace name (never fetched) and the ledger location shown as text.
    assert set(re.findall(r'\w+://[^"<\s]*', text)) == {'http://www.w3.org/2000/svg', 'sqlite:///srv/ledger.sqlite3'}
    csp = [attrs['content'] for tag, attrs in page.tags if tag == 'meta' and attrs.get('http-equiv')]
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'"]


def test_html_shows_every_host_license_and_transfer(report):
    page = _Page(render_html(report))
    text = ' '.join(page.text)
    for host in report['hosts']:
        assert host['host'] in text
        for row in host['licenses']:
            assert row['key'] in text
            if row['serial']:
                assert row['serial'] in text
    assert 'unreachable: Failed to connect to the host via winrm: timed out' in text
    assert 'CAL moving in \u2190 pc-old: completed' in text
    assert 'CAL moved out \u2192 pc-new: reissue requested' in text
    assert 'sqlite:///srv/ledger.sqlite3' in text and '2026-03-01 08:00 UTC' in text


def test_html_marks_problems_with_text_badges_not_only_colour(report, permanent_only_report):
    badges = _Page(render_html(report)).badges
    for label in ('Expired', 'Expiring', 'Temporary', 'Undecodable', 'Not reached', 'No license', 'Permanent'):
        assert label in badges, label
    calm = render_html(permanent_only_report)
    assert set(_Page(calm).badges) == {'Permanent'}
    for status in ('expired', 'expiring', 'temporary', 'undecodable', 'not reached'):
        assert COLOURS[status][0] not in calm, status  # so a screenshot cannot show them either


def test_html_escapes_everything_from_hosts_and_registries():
    spec = rs.license('PC-X', 10, server=HOSTILE_SERVER, user=HOSTILE_USER)
    clients = {HOSTILE_HOST: rs.query_result({'64': rs.store(rs.blob(spec)), '32': None}),
               'pc-<b>bold</b>': {'failed': True, 'msg': '<iframe src="http://evil"></iframe>'}}
    report = build_report(clients, [], rs.NOW, title='<h1>Audit & co</h1>')
    text = render_html(report)
    page = _Page(text)
    tags = [tag for tag, _attrs in page.tags]
    assert not {'script', 'img', 'iframe'} & set(tags) and tags.count('h1') == 1
    assert tags.count('svg') == 2 and 'b' in tags  # the page's own: the chart, one legend shape, <b> in the header
    assert not [attrs for _tag, attrs in page.tags if any(name.startswith('on') for name in attrs)]
    visible = ''.join(page.text)
    for hostile in (HOSTILE_HOST, HOSTILE_SERVER, HOSTILE_USER, 'pc-<b>bold</b>', '<h1>Audit & co</h1>',
                    '<iframe src="http://evil"></iframe>'):
        assert hostile in visible  # shown as text, exactly
    assert '&lt;script&gt;alert(&#34;host&#34;)&lt;/script&gt;' in text  # as the template's autoescape spells it
    assert '&amp;amp;' in text  # the server name's own '&amp;' stays literal text


def test_html_shows_html_and_jinja_looking_values_literally():
    """Host values are data to the template: neither markup nor template code, in text or in attributes."""
    script, expression, block = '<script>alert(1)</script>', '{{ 1111*3 }}', '{% for x in range(3) %}x{% endfor %}'
    spec = rs.license('PC-X', 10, server=expression, user=block)
    clients = {script: rs.query_result({'64': rs.store(rs.blob(spec)), '32': None}),
               expression: {'failed': True, 'msg': expression + ' <script>x</script>'}}
    transfers = [{'id': 1, 'cal_id': expression + '"><script>', 'source_host': 'pc-old', 'target_host': script,
                  'state': 'completed'}]
    text = render_html(build_report(clients, transfers, rs.NOW, title=expression + ' <script>'))
    page = _Page(text)
    assert 'script' not in [tag for tag, _attrs in page.tags] and '<script>' not in text
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in text
    visible = ''.join(page.text)
    for value in (script, expression, block, expression + ' <script>x</script>', expression + ' <script>'):
        assert value in visible  # shown as text, exactly
    assert '3333' not in text and 'xxx' not in text  # nothing was evaluated
    titles = [attrs.get('title') for _tag, attrs in page.tags]
    assert 'transfer #1 of %s"><script>' % expression in titles  # an attribute value parses back to the text


def test_a_new_column_is_one_entry_in_columns(report, monkeypatch):
    """CSV header, CSV cells, the page's header and its cells all follow COLUMNS."""
    column = _tabular.Column('key_lower', lambda host, row: None if row is None else row['key'].lower(), 'Key (lower)',
                             'mono')
    monkeypatch.setattr(_tabular, 'COLUMNS', _tabular.COLUMNS + (column,))
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert list(rows[0])[-1] == 'key_lower'
    assert {row['key_lower'] for row in rows if row['host'] == 'pc-expiring'} == {'license000'}
    assert {row['key_lower'] for row in rows if row['host'] == 'pc-down'} == {''}
    page = render_html(report)
    headers = re.findall(r'<th scope="col">([^<]*)</th>', page)
    assert headers[:11] == ['View', 'Key', 'License server', 'Serial', 'Issued to', 'Valid from', 'Valid to',
                            'Days left', 'Type', 'Status', 'Key (lower)']
    assert page.count('<td data-label="Key (lower)"><div><span class="mono">license000</span></div></td>') >= 5
    assert 'colspan="11"' in page and 'colspan="10"' not in page  # full-width rows span the new column too
    monkeypatch.undo()
    assert 'Key (lower)' not in render_html(report) and 'key_lower' not in render_csv(report)


def test_html_timeline_lists_the_upcoming_end_dates(report):
    page = _Page(render_html(report))
    svg_titles = [data for data in page.text if re.search(r' ends \d{4}-', data)]
    assert len(svg_titles) == 6  # one marker per license not yet expired
    assert any('pc-expiring' in title and '12 days' in title and 'Expiring' in title for title in svg_titles)
    assert '8 license end dates: 2 expired, 2 in the next 30 days, 4 later' in page.text


def test_render_refuses_an_unknown_format(report):
    with pytest.raises(ReportError, match="report format 'pdf' is not one of html, json, csv"):
        render(report, 'pdf')
    assert render(report, 'csv') == render_csv(report)


def test_empty_fleet_renders():
    report = build_report({}, [], rs.NOW)
    assert 'No hosts in this audit.' in render_html(report)
    assert render_csv(report) == ','.join(CSV_COLUMNS) + '\n'


def _timeline_fleet(days_left: list[float]) -> dict:
    return {'pc-%02d' % n: rs.query_result({'64': rs.store(rs.blob(
        rs.license('PC-%02d' % n, days, serial=0x0200000300 + n)))}) for n, days in enumerate(days_left)}


def _chart(report) -> _Page:
    """The timeline's SVG alone."""
    text = render_html(report)
    start = text.index('<div class="chart">')
    return _Page(text[start:text.index('</svg>', start) + len('</svg>')])


def test_timeline_keeps_a_far_future_license_off_the_axis():
    chart = _chart(build_report(_timeline_fleet([40, 60, 80, 12000]), [], rs.NOW))
    assert any(text.startswith('Ending after 2026-05-2') and text.endswith(': pc-03') for text in chart.text)
    tick_dates = [text for text in chart.text if re.fullmatch(r'\d{4}-\d{2}-\d{2}', text)]
    assert tick_dates and max(tick_dates) < '2026-06-01'  # the axis spans the next weeks, not 33 years


def test_crowded_timeline_labels_what_fits_and_still_marks_every_license():
    chart = _chart(build_report(_timeline_fleet([45] * 40), [], rs.NOW))
    labels = [text for text in chart.text if re.fullmatch(r'pc-\d\d', text)]
    tips = [text for text in chart.text if re.search(r' ends \d{4}-', text)]
    assert len(tips) == 40 and len(labels) == 10  # ten lanes of labels; the rest on the strip along the axis


def test_a_large_fleet_is_grouped_by_status_and_license_server():
    clients = rs.large_fleet(1200)
    report = build_report(clients, [], rs.NOW)
    text = render_html(report)
    page = _Page(text)
    groups = [attrs for tag, attrs in page.tags if tag == 'details' and attrs.get('class') == 'group']
    counts = collections.Counter(host['status'] for host in report['hosts'])
    # One section per status, most urgent first; the short ones open, the large one collapsed.
    assert [g['data-status'] for g in groups] == [s for s in STATUSES if counts[s]]
    assert {g['data-status']: 'open' in g for g in groups} == {
        status: count <= 200 for status, count in counts.items()}
    assert counts['permanent'] > 300
    # The large group lists one line per host under each license server, collapsed.
    servers = [attrs for tag, attrs in page.tags if tag == 'details' and attrs.get('class') == 'server']
    assert len(servers) == 4 and not any('open' in attrs for attrs in servers)
    assert sum(1 for tag, attrs in page.tags if tag == 'tr' and attrs.get('class') == 'hosthead') == \
        len(report['hosts']) - counts['permanent']
    assert all(host in text for host in clients)
    # The chart merges markers past a few hundred: it stays a few hundred elements for 1,200 licenses.
    chart = text[text.index('<div class="chart">'):text.index('</svg>')]
    assert chart.count('<g>') < 300 and '264 licenses, permanent, ending' in chart
    summaries = ''.join(page.text)
    assert 'Permanent %d hosts one line per host, by license server' % counts['permanent'] in summaries
