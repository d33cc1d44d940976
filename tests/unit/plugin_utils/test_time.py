"""One UTC time rule: no zone means UTC, written as ISO 8601 with Z in whole seconds, for every module."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _license_server, _time
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import format_timestamp, normalize_timestamp
from ansible_collections.tslicensing.cal.plugins.plugin_utils._license_decoder._der import iso_utc

PLUS_TWO = datetime.timezone(datetime.timedelta(hours=2))


@pytest.mark.parametrize('moment, text', [
    (datetime.datetime(2026, 3, 1, 8, 0, 0, 999999), '2026-03-01T08:00:00Z'),          # naive is UTC
    (datetime.datetime(2026, 3, 1, 10, 0, tzinfo=PLUS_TWO), '2026-03-01T08:00:00Z'),   # converted
])
def test_every_module_writes_a_time_the_same_way(moment, text):
    assert _time.iso_utc(moment) == format_timestamp(moment) == iso_utc(moment) == text
    assert _license_server.iso_utc(moment) == text


@pytest.mark.parametrize('text, moment', [
    ('2026-03-01', datetime.datetime(2026, 3, 1, tzinfo=_time.UTC)),
    ('2026-03-01T10:00:00+02:00', datetime.datetime(2026, 3, 1, 8, tzinfo=_time.UTC)),
    (' 2026-03-01T08:00:00Z ', datetime.datetime(2026, 3, 1, 8, tzinfo=_time.UTC)),
])
def test_parse_iso_gives_aware_utc(text, moment):
    parsed = _time.parse_iso(text)
    assert parsed == moment and parsed.utcoffset() == datetime.timedelta(0)
    assert normalize_timestamp(text, 'x') == _time.iso_utc(moment)


def test_parse_iso_refuses_other_text():
    with pytest.raises(ValueError):
        _time.parse_iso('1st of March')


def test_utc_now_is_aware_utc():
    assert _time.utc_now().utcoffset() == datetime.timedelta(0)
