"""The HTML report as a browser renders it: real headless Chromium on the files license_report wrote.

Screenshots are checked with Pillow: the expected size, not blank, and the highlight colours of expiring,
temporary and expired licenses present in the pixels of a mixed fleet and absent from a healthy one.
"""

from __future__ import annotations

import collections
import html.parser
import os
import pathlib
import re
import shutil
import signal
import subprocess

import pytest
from PIL import Image

import report_stores as rs
from ansible_collections.tslicensing.cal.plugins.plugin_utils._report import COLOURS, _spool

pytestmark = pytest.mark.slow

REPO = pathlib.Path(__file__).resolve().parents[3]
CHROMIUM = pathlib.Path('/usr/bin/chromium')
DOC_IMAGE = REPO / 'docs' / 'audit-report.png'
CHROMIUM_TIMEOUT = 90
WIDTH, HEIGHT = 1280, 1600
HOSTILE_HOST = '<script>document.title="owned"</script>'
HOSTILE_SERVER = '<img src=x onerror=alert(1)>'
HIGHLIGHTS = ('expiring', 'temporary', 'expired')
REPORTS = '''
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the reports
      tslicensing.cal.license_report:
        clients: "{{ item.clients }}"
        dest: "{{ report_dir }}/{{ item.name }}"
        ledger: "{{ ledger_url }}"
        report_time: "2026-03-01T08:00:00Z"
        formats: [html]
      loop: "{{ fleets }}"
      loop_control:
        label: "{{ item.name }}"
'''


def _hostile_fleet() -> dict:
    spec = rs.license('PC-X', 20, server=HOSTILE_SERVER)
    return {HOSTILE_HOST: rs.query_result({'64': rs.store(rs.blob(spec)), '32': None})}


def _healthy_fleet() -> dict:
    return {'pc-%03d' % n: rs.query_result({'64': rs.store(rs.blob(
        rs.license('PC-%03d' % n, 60 + 3 * n, serial=0x0200000100 + n)))}) for n in range(6)}


@pytest.fixture(scope='module')
def reports(run_playbook, seed_transfers, tmp_path_factory, license_fixtures) -> dict[str, pathlib.Path]:
    """The HTML files license_report writes for a mixed, a healthy and a hostile fleet (one real run)."""
    if not CHROMIUM.exists():
        pytest.skip('%s is missing (scripts/setup.sh installs the Debian chromium package)' % CHROMIUM)
    workdir = tmp_path_factory.mktemp('report-html')
    seed_transfers('sqlite://%s/ledger.sqlite3' % workdir)  # only hosts of the mixed fleet take part
    fleets = [{'name': 'mixed', 'clients': rs.fleet(license_fixtures)},
              {'name': 'healthy', 'clients': _healthy_fleet()},
              {'name': 'hostile', 'clients': _hostile_fleet()}]
    run = run_playbook(workdir, 'reports', REPORTS, {'fleets': fleets, 'report_dir': str(workdir),
                                                     'ledger_url': 'sqlite://%s/ledger.sqlite3' % workdir})
    assert run.rc == 0, run.stdout + run.stderr
    return {fleet['name']: workdir / fleet['name'] / 'tscal-audit.html' for fleet in fleets}


def _chromium(page: pathlib.Path, workdir: pathlib.Path, *options: str) -> subprocess.CompletedProcess[str]:
    """One headless Chromium run; its whole process group is killed if it does not finish in time."""
    profile = workdir / ('chromium-profile-%d' % len(list(workdir.glob('chromium-profile-*'))))
    argv = [str(CHROMIUM), '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync',
            '--hide-scrollbars', '--force-device-scale-factor=1', '--force-color-profile=srgb',
            '--user-data-dir=%s' % profile, *options, page.as_uri()]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          stdin=subprocess.DEVNULL, start_new_session=True) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=CHROMIUM_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail('chromium did not finish within %d s: %s' % (CHROMIUM_TIMEOUT, ' '.join(argv)))
    assert proc.returncode == 0, stderr[-2000:]
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def _screenshot(page: pathlib.Path, workdir: pathlib.Path, width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    png = workdir / ('%s-%dx%d.png' % (page.parent.name, width, height))
    _chromium(page, workdir, '--window-size=%d,%d' % (width, height), '--screenshot=%s' % png)
    image = Image.open(png).convert('RGB')
    image.load()
    return image


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _pixel_counts(image: Image.Image) -> collections.Counter:
    return collections.Counter({colour: count for count, colour in image.getcolors(image.width * image.height)})


def _highlight_pixels(image: Image.Image) -> dict[str, int]:
    counts = _pixel_counts(image)
    return {status: counts[_rgb(COLOURS[status][0])] for status in HIGHLIGHTS}


def _assert_not_blank(image: Image.Image) -> None:
    counts = _pixel_counts(image)
    background, share = counts.most_common(1)[0]
    assert share < 0.8 * image.width * image.height, 'one colour %s covers most of the page' % (background,)
    assert len(counts) > 200  # text, badges, chart: many distinct colours


def test_screenshot_of_a_mixed_fleet_shows_every_highlight(reports, tmp_path):
    image = _screenshot(reports['mixed'], tmp_path)
    assert image.size == (WIDTH, HEIGHT)
    _assert_not_blank(image)
    highlights = _highlight_pixels(image)
    # Solid badges, row edges, tile borders and markers: hundreds of pixels each, not a stray anti-aliased one.
    assert all(count > 300 for count in highlights.values()), highlights
    # The doc image the README shows: refreshed on request only, so a test run never edits the checkout.
    png = tmp_path / ('%s-%dx%d.png' % ('mixed', WIDTH, HEIGHT))
    if os.environ.get('TSCAL_UPDATE_DOC_IMAGE') == '1' and (
            not DOC_IMAGE.exists() or DOC_IMAGE.read_bytes() != png.read_bytes()):
        DOC_IMAGE.parent.mkdir(exist_ok=True)
        shutil.copyfile(png, DOC_IMAGE)


def test_screenshot_of_a_healthy_fleet_shows_no_warning_colour(reports, tmp_path):
    image = _screenshot(reports['healthy'], tmp_path)
    assert image.size == (WIDTH, HEIGHT)
    _assert_not_blank(image)
    assert _highlight_pixels(image) == dict.fromkeys(HIGHLIGHTS, 0)
    assert _pixel_counts(image)[_rgb(COLOURS['permanent'][0])] > 300  # the page is not merely empty


def test_narrow_window_keeps_the_highlights(reports, tmp_path):
    image = _screenshot(reports['mixed'], tmp_path, width=420, height=2400)
    assert image.size == (420, 2400)
    _assert_not_blank(image)
    assert all(count > 100 for count in _highlight_pixels(image).values())


class _Dom(html.parser.HTMLParser):
    """The elements (tag, class) and text of the DOM Chromium serialised."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.classes: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.classes.append((tag, dict(attrs).get('class') or ''))

    def handle_data(self, data):
        self.text.append(data)


def test_chromium_builds_no_element_from_hostile_values(reports, tmp_path):
    dom = _Dom(_chromium(reports['hostile'], tmp_path, '--dump-dom').stdout)
    assert 'script' not in dom.tags and 'img' not in dom.tags
    text = ''.join(dom.text)
    assert HOSTILE_HOST in text and HOSTILE_SERVER in text
    assert 'owned' not in ''.join(dom.text[:3])  # the title was not rewritten by an injected script


def test_chromium_dom_of_the_mixed_fleet(reports, tmp_path):
    dom = _Dom(_chromium(reports['mixed'], tmp_path, '--dump-dom').stdout)
    assert ('table', 'hosts') in dom.classes and ('div', 'chart') in dom.classes
    assert sum(1 for tag, cls in dom.classes if tag == 'tr' and cls == 'hosthead') == 11  # one group per host
    assert 'script' not in dom.tags
    text = ' '.join(dom.text)
    assert 'failed: reg.exe query failed: Access is denied.' in text


def test_prints_to_pdf(reports, tmp_path):
    pdf = tmp_path / 'report.pdf'
    _chromium(reports['mixed'], tmp_path, '--no-pdf-header-footer', '--print-to-pdf=%s' % pdf)
    data = pdf.read_bytes()
    assert data.startswith(b'%PDF-')
    pages = len(re.findall(rb'/Type\s*/Page(?![s\w])', data))
    assert 1 <= pages <= 5, pages  # A4 landscape; the narrow (card) layout is for screens only


LARGE_HOSTS = 1500
LARGE_REPORT = '''
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the report of a large fleet from its spool
      tslicensing.cal.license_report:
        spool: "{{ spool }}"
        hosts: "{{ hosts_audited }}"
        dest: "{{ report_dir }}"
        ledger: "{{ ledger_url }}"
        report_time: "2026-03-01T08:00:00Z"
        formats: [html]
'''


@pytest.fixture(scope='module')
def large_report(run_playbook, tmp_path_factory) -> pathlib.Path:
    """The page of LARGE_HOSTS hosts, written by license_report from a spool (as the audit role writes it)."""
    if not CHROMIUM.exists():
        pytest.skip('%s is missing (scripts/setup.sh installs the Debian chromium package)' % CHROMIUM)
    workdir = tmp_path_factory.mktemp('report-large')
    clients = rs.large_fleet(LARGE_HOSTS)
    spool = _spool.open_spool(str(workdir / 'spools'))
    for host, result in clients.items():
        _spool.write_entry(spool, host, result)
    run = run_playbook(workdir, 'large', LARGE_REPORT, {
        'spool': spool, 'hosts_audited': list(clients), 'report_dir': str(workdir / 'large'),
        'ledger_url': 'sqlite://%s/ledger.sqlite3' % workdir})
    assert run.rc == 0, run.stdout + run.stderr
    return workdir / 'large' / 'tscal-audit.html'


class _Groups(html.parser.HTMLParser):
    """The <details> sections of the DOM: class, status, open, and the hosts inside each (a host's head row in a
    full table, its one row in a compact one)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[dict] = []
        self._open: list[dict] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == 'details':
            section = {'class': attributes.get('class'), 'status': attributes.get('data-status'),
                       'open': 'open' in attributes, 'rows': 0}
            self.sections.append(section)
            self._open.append(section)
        elif tag == 'tr' and self._open:
            classes = (attributes.get('class') or '').split()
            compact = self._open[-1]['class'] == 'server'
            if ('row' in classes) if compact else ('hosthead' in classes):
                self._open[-1]['rows'] += 1

    def handle_endtag(self, tag):
        if tag == 'details' and self._open:
            self._open.pop()


def test_chromium_dom_of_a_large_fleet_is_grouped_by_status_and_server(large_report, tmp_path):
    dump = _chromium(large_report, tmp_path, '--dump-dom').stdout
    groups = _Groups(dump)
    by_status = [s for s in groups.sections if s['class'] == 'group']
    servers = [s for s in groups.sections if s['class'] == 'server']
    expected = collections.Counter(
        'not reached' if n % 100 == 99 else 'temporary' if n % 40 == 39 else 'expiring' if n % 25 == 24
        else 'permanent' for n in range(LARGE_HOSTS))
    assert [s['status'] for s in by_status] == ['not reached', 'expiring', 'temporary', 'permanent']
    # The groups needing attention are open, with a row per host; the large healthy one is collapsed,
    # one line per host under each of its four license servers.
    assert {s['status']: s['open'] for s in by_status} == {
        'not reached': True, 'expiring': True, 'temporary': True, 'permanent': False}
    assert [s['rows'] for s in by_status[:3]] == [expected[s] for s in ('not reached', 'expiring', 'temporary')]
    assert len(servers) == 4 and not any(s['open'] for s in servers)
    assert sum(s['rows'] for s in servers) == expected['permanent']
    assert 'script' not in _Dom(dump).tags
    assert large_report.stat().st_size < 2 * 2 ** 20


def test_screenshot_of_a_large_fleet_shows_the_urgent_groups_first(large_report, tmp_path):
    image = _screenshot(large_report, tmp_path)
    _assert_not_blank(image)
    highlights = _highlight_pixels(image)
    assert highlights['expiring'] > 300 and highlights['temporary'] > 300, highlights
