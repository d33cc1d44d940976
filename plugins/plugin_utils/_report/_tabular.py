# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The tabular renderings of a report: JSON (the report as it is) and CSV (one row per license)."""

from __future__ import annotations

import csv
import io
import json
import typing as t

CSV_COLUMNS = ('host', 'reached', 'message', 'hardware_id', 'views', 'key', 'license_server', 'scope', 'serial',
               'issued_to', 'issued_to_user', 'valid_from', 'valid_to', 'days_left', 'license_type', 'status',
               'note', 'transfer_out_state', 'transfer_out_target', 'transfer_in_state', 'transfer_in_source',
               'next_action')
# A spreadsheet runs a cell starting with one of these as a formula; registry text must never be code.
_FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')


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
