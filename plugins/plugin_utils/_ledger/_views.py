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


def host_view(transfers: t.Sequence[Row], observations: t.Sequence[Row], expiring_days: int,
              now: datetime.datetime | None = None) -> dict[str, dict[str, t.Any]]:
    """host -> {'vars': {...}, 'groups': [...]} from every host named in transfers or observations.

    vars: ``tscal_last_transfer_out`` / ``tscal_last_transfer_in`` (latest transfer from / to it),
    ``tscal_license`` (latest observation). Groups: ``transferred_out`` (a CAL left it),
    ``pending_reissue`` (target of a transfer waiting for a Clearinghouse reissue: reissue requested, or the
    source cleared with no reissue reference yet), ``temporary_license``
    (latest license is temporary), ``expiring`` (latest license ends within ``expiring_days``),
    ``expired`` (it has ended).
    """
    now = now or _time.utc_now()
    hosts: dict[str, dict[str, t.Any]] = {}

    def entry(name: str) -> dict[str, t.Any]:
        return hosts.setdefault(name, {'vars': {}, 'groups': []})

    for transfer in transfers:  # oldest first, so the last assignment is the latest
        entry(transfer['source_host'])['vars']['tscal_last_transfer_out'] = transfer
        entry(transfer['target_host'])['vars']['tscal_last_transfer_in'] = transfer
    for observation in sorted(observations, key=lambda o: (o['observed_at'], o['id'])):
        entry(observation['host'])['vars']['tscal_license'] = observation
    for view in hosts.values():
        view['groups'] = _groups_of(view['vars'], expiring_days, now)
    return hosts


def _groups_of(host_vars: dict[str, t.Any], expiring_days: int, now: datetime.datetime) -> list[str]:
    groups = []
    if 'tscal_last_transfer_out' in host_vars:
        groups.append('transferred_out')
    incoming = host_vars.get('tscal_last_transfer_in')
    # Waiting for the Clearinghouse: a reissue asked for, or a cleared source with no reference recorded yet.
    if incoming and (incoming['state'] == 'reissue_requested'
                     or (incoming['state'] == 'source_cleared' and not incoming.get('reissue_reference'))):
        groups.append('pending_reissue')
    license_ = host_vars.get('tscal_license')
    if license_:
        if license_['temporary']:
            groups.append('temporary_license')
        if license_['valid_to']:
            status = expiry_status(parse_timestamp(license_['valid_to']), now, expiring_days)
            if status:
                groups.append(status)
    return groups
