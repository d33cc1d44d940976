# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Views of ledger rows: exports (CSV, JSON) and the per-host picture the inventory plugin shows."""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import typing as t

from .. import _private_files
from .. import _time
from .._expiry import expiry_status
from ._model import Row, parse_timestamp

EXPORT_FORMATS = ('csv', 'json')
GROUPS = ('transferred_out', 'pending_reissue', 'temporary_license', 'expiring', 'expired')


def render_export(rows: t.Sequence[Row], fmt: str) -> str:
    """Rows as CSV (header from the first row; empty table: empty text) or a JSON list."""
    if fmt == 'json':
        return json.dumps(list(rows), indent=2, sort_keys=True, ensure_ascii=False) + '\n'
    if fmt != 'csv':
        raise ValueError('export format must be one of %s' % ', '.join(EXPORT_FORMATS))
    if not rows:
        return ''
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator='\n')
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def file_holds(path: str, content: str) -> bool:
    """True when ``path`` is already a 0600 file holding exactly ``content``."""
    try:
        with open(path, 'rb') as existing:
            return existing.read() == content.encode('utf-8') and (os.stat(path).st_mode & 0o777) == 0o600
    except OSError:
        return False


def write_private_file(path: str, content: str) -> bool:
    """Write ``content`` to ``path`` (mode 0600, atomically); False when it already held exactly that."""
    if file_holds(path, content):
        return False
    _private_files.write_private(path, content.encode('utf-8'), replace=True)
    return True


# The host variable each kind of latest row (see Ledger.latest_per_host) becomes.
HOST_VARIABLES = {'transfer_out': 'tscal_last_transfer_out', 'transfer_in': 'tscal_last_transfer_in',
                  'license': 'tscal_license'}


def host_facts(latest: t.Iterable[tuple[str, str, Row]], expiring_days: int,
               now: datetime.datetime | None = None) -> t.Iterator[tuple[str, str, Row, list[str]]]:
    """(host, variable, row, groups) for each (host, kind, row) of ``latest``, one at a time: each group
    follows from one row, so no host has to be held back until all of its rows are read.

    Variables: ``tscal_last_transfer_out`` / ``tscal_last_transfer_in`` (latest transfer from / to the host),
    ``tscal_license`` (latest observation). Groups: ``transferred_out`` (a CAL left it), ``pending_reissue``
    (target of a transfer waiting for a Clearinghouse reissue: reissue requested, or the source cleared with no
    reissue reference yet), ``temporary_license`` (latest license is temporary), ``expiring`` (latest license
    ends within ``expiring_days``), ``expired`` (it has ended).
    """
    now = now or _time.utc_now()
    for host, kind, row in latest:
        yield host, HOST_VARIABLES[kind], row, _groups_of(kind, row, now, expiring_days)


def _groups_of(kind: str, row: Row, now: datetime.datetime, expiring_days: int) -> list[str]:
    if kind == 'transfer_out':
        return ['transferred_out']
    if kind == 'transfer_in':
        # Waiting for the Clearinghouse: a reissue asked for, or a cleared source with no reference recorded yet.
        waiting = row['state'] == 'reissue_requested' or (row['state'] == 'source_cleared'
                                                          and not row.get('reissue_reference'))
        return ['pending_reissue'] if waiting else []
    groups = []
    if row['temporary']:
        groups.append('temporary_license')
    if row['valid_to']:
        status = expiry_status(parse_timestamp(row['valid_to']), now, expiring_days)
        if status:
            groups.append(status)
    return groups
