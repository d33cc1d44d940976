"""The one "expiring" rule, and that the report and the ledger inventory both follow it and its default."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _expiry, _report
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import _views

NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize('days_from_now, status', [
    (-1, 'expired'), (0, 'expired'), (1, 'expiring'), (30, 'expiring'), (31, None)])
def test_the_default_window_is_thirty_days(days_from_now: int, status: str | None) -> None:
    assert _expiry.DEFAULT_EXPIRING_DAYS == 30
    assert _expiry.expiry_status(NOW + datetime.timedelta(days=days_from_now), NOW) == status


def test_a_license_without_an_end_neither_expires_nor_is_expiring() -> None:
    assert _expiry.expiry_status(None, NOW, 365) is None


def test_the_window_is_the_callers() -> None:
    ends = NOW + datetime.timedelta(days=10)
    assert _expiry.expiry_status(ends, NOW, 9) is None
    assert _expiry.expiry_status(ends, NOW, 10) == 'expiring'


def test_the_ledger_inventory_follows_the_rule_and_the_report_the_default() -> None:
    """A license ending 20 days out is expiring under the default window and not under 14 days."""
    ends = NOW + datetime.timedelta(days=20)
    license_row = {'temporary': False, 'valid_to': ends.strftime('%Y-%m-%dT%H:%M:%SZ')}
    assert 'expiring' in _views._groups_of('license', license_row, NOW, _expiry.DEFAULT_EXPIRING_DAYS)
    assert 'expiring' not in _views._groups_of('license', license_row, NOW, 14)
    assert _report.DEFAULT_EXPIRING_DAYS == _expiry.DEFAULT_EXPIRING_DAYS
