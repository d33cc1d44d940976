# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The tabular renderings of a report: JSON (the report as it is) and CSV (one row per license)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import typing as t

# A cell's value is read from the host entry and one of its license rows (None for a host without one).
_Getter = t.Callable[[t.Mapping[str, t.Any], t.Optional[t.Mapping[str, t.Any]]], t.Any]


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of the CSV and, when it has a ``label``, of the page's host table: a new column is one entry."""

    name: str  # the CSV header
    value: _Getter
    label: str | None = None  # the page's column header; None: CSV only
    show: str = 'text'  # how the page shows the value: text, mono, list, date, type, status (macros in page.html.j2)
    under: str | None = None  # the CSV column whose value the page shows in smaller text under this one's
    css: str = ''  # the page cell's class
    page_value: _Getter | None = None  # what the page shows when it differs from the CSV value


def _of_host(field: str) -> _Getter:
    return lambda host, row: host.get(field)


def _of_license(field: str) -> _Getter:
    return lambda host, row: None if row is None else row.get(field)


def _of_transfer(direction: str, field: str) -> _Getter:
    return lambda host, row: (host.get(direction) or {}).get(field)


def _hardware_id(host: t.Mapping[str, t.Any], row: t.Mapping[str, t.Any] | None) -> t.Any:
    """The view's hardware id of a license; every view's of a host without one."""
    return row.get('hardware_id') if row is not None else ' '.join(host['hardware_ids']) or None


def _status(host: t.Mapping[str, t.Any], row: t.Mapping[str, t.Any] | None) -> t.Any:
    return (host if row is None else row)['status']


def _shown_type(host: t.Mapping[str, t.Any], row: t.Mapping[str, t.Any] | None) -> t.Any:
    # Nothing was decoded of an undecodable key, so there is no type to show.
    return None if row is None or row['status'] == 'undecodable' else row['license_type']


COLUMNS = (
    Column('host', _of_host('host')),
    Column('reached', _of_host('reached')),
    Column('message', _of_host('message')),
    Column('hardware_id', _hardware_id),
    Column('views', _of_license('views'), 'View', 'list'),
    Column('key', _of_license('key'), 'Key', 'mono'),
    Column('license_server', _of_license('license_server'), 'License server', under='scope'),
    Column('scope', _of_license('scope')),
    Column('serial', _of_license('serial'), 'Serial', 'mono'),
    Column('issued_to', _of_license('issued_to'), 'Issued to', under='issued_to_user', css='nowrap'),
    Column('issued_to_user', _of_license('issued_to_user')),
    Column('valid_from', _of_license('valid_from'), 'Valid from', 'date', css='date'),
    Column('valid_to', _of_license('valid_to'), 'Valid to', 'date', css='date'),
    Column('days_left', _of_license('days_left'), 'Days left', css='num'),
    Column('license_type', _of_license('license_type'), 'Type', 'type', page_value=_shown_type),
    Column('status', _status, 'Status', 'status'),
    Column('note', _of_license('note')),
    Column('transfer_out_state', _of_transfer('transfer_out', 'state')),
    Column('transfer_out_target', _of_transfer('transfer_out', 'target_host')),
    Column('transfer_in_state', _of_transfer('transfer_in', 'state')),
    Column('transfer_in_source', _of_transfer('transfer_in', 'source_host')),
    Column('next_action', _of_host('next_action')),
)
CSV_COLUMNS = tuple(column.name for column in COLUMNS)
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
        for row in host['licenses'] or [None]:
            yield {column.name: column.value(host, row) for column in COLUMNS}


def render_csv(report: t.Mapping[str, t.Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\n')
    writer.writerow(column.name for column in COLUMNS)
    for row in csv_rows(report):
        writer.writerow(_csv_cell(value) for value in row.values())
    return buffer.getvalue()
