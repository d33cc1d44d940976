"""Exports and the per-host view (pure functions, no database)."""

from __future__ import annotations

import csv
import datetime
import io
import json
import pathlib
import stat

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import (
    host_facts, render_export, write_private_file)

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
ROWS = [{'id': 1, 'cal_id': "x'; DROP TABLE t; --", 'reason': 'line\nbreak, "quoted" ünï', 'temporary': None}]


def test_csv_and_json_round_trip_verbatim() -> None:
    assert list(csv.DictReader(io.StringIO(render_export(ROWS, 'csv')))) == \
        [{'id': '1', 'cal_id': ROWS[0]['cal_id'], 'reason': ROWS[0]['reason'], 'temporary': ''}]
    assert json.loads(render_export(ROWS, 'json')) == ROWS
    assert render_export([], 'csv') == '' and json.loads(render_export([], 'json')) == []


def test_private_file_is_0600_and_idempotent(tmp_path: pathlib.Path) -> None:
    dest = tmp_path / 'export.json'
    dest.write_text('old')
    dest.chmod(0o644)
    assert write_private_file(str(dest), 'new') is True
    assert dest.read_text() == 'new' and stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert write_private_file(str(dest), 'new') is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ['export.json']


def _transfer(id_: int, source: str, target: str, state: str, reference: str | None = None) -> dict[str, object]:
    return {'id': id_, 'source_host': source, 'target_host': target, 'state': state, 'reissue_reference': reference}


def _seen(id_: int, host: str, valid_to: str | None, temporary: bool = False) -> dict[str, object]:
    return {'id': id_, 'host': host, 'valid_to': valid_to, 'temporary': temporary, 'observed_at': '2026-05-01T00:00:00Z'}


def test_host_facts_groups() -> None:
    out, waiting = _transfer(2, 'a', 'c', 'reissue_requested'), _transfer(1, 'a', 'b', 'completed')
    latest = [('a', 'transfer_out', out), ('b', 'transfer_in', waiting), ('c', 'transfer_in', out),
              ('g', 'transfer_in', _transfer(3, 'x', 'g', 'source_cleared')),
              ('h', 'transfer_in', _transfer(4, 'y', 'h', 'source_cleared', reference='CH-1')),
              ('b', 'license', _seen(1, 'b', '2026-06-10T00:00:00Z', temporary=True)),
              ('d', 'license', _seen(2, 'd', '2026-05-31T00:00:00Z')),
              ('e', 'license', _seen(3, 'e', '2026-06-16T00:00:00Z')),
              ('f', 'license', _seen(4, 'f', None))]
    facts = list(host_facts(latest, expiring_days=14, now=NOW))
    assert [(host, variable, groups) for host, variable, _row, groups in facts] == [
        ('a', 'tscal_last_transfer_out', ['transferred_out']),
        ('b', 'tscal_last_transfer_in', []),
        ('c', 'tscal_last_transfer_in', ['pending_reissue']),
        # A cleared source waits for the Clearinghouse until a reissue reference is recorded.
        ('g', 'tscal_last_transfer_in', ['pending_reissue']),
        ('h', 'tscal_last_transfer_in', []),
        ('b', 'tscal_license', ['temporary_license', 'expiring']),
        ('d', 'tscal_license', ['expired']),
        ('e', 'tscal_license', []),
        ('f', 'tscal_license', [])]
    assert [row for _host, _variable, row, _groups in facts] == [row for _host, _kind, row in latest]
