# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The ledger's side of a removal that is part of a transfer (KB 315262): the intent - which CALs leave
the client, with the verified backup of each - written to the ledger after every backup is verified on
the controller and before the first ``reg delete``. If that write fails, nothing is deleted; once it is
written, no fault between the delete and the final record can lose a removed CAL: a rerun finds the
intent and finishes it (store gone: the recorded backup is checked and the transfer moves to
``source_cleared``) or renews it (store still there).

Pure Python: no Ansible imports.
"""

from __future__ import annotations

import hashlib
import typing as t

from . import _transfer
from ._ledger import LedgerError, TransferRequest, open_ledger


# The options both store actions (client_license on Windows, linux_client_license) take for backups, the
# ledger, a transfer's removal and a restore's overrides: one spec, so that the two cannot drift apart.
STORE_ACTION_OPTIONS: dict[str, dict[str, t.Any]] = dict(
    state=dict(type='str', default='query', choices=['absent', 'present', 'query']),
    backup_dir=dict(type='path'),
    backup=dict(type='path'),
    ledger=dict(type='str', no_log=True),
    transfer=dict(type='dict', options=dict(
        target=dict(type='str', required=True),
        reason=dict(type='str'),
        operator=dict(type='str'),
        reissue_reference=dict(type='str', no_log=False),
        allow_multiple_to_target=dict(type='bool', default=False),
        cals=dict(type='list', elements='raw'),
        variable_names=dict(type='dict'),
    )),
    remove_permanent=dict(type='bool', default=False),
    restore_from_host=dict(type='str'),
    restore_transferred_cal=dict(type='bool', default=False),
)


class IntentError(Exception):
    """The intent could not be recorded (the message says why); nothing was deleted."""


def intent_requests(transfer: t.Mapping[str, t.Any], views: t.Mapping[str, t.Mapping[str, t.Any]],
                    host: str) -> list[TransferRequest]:
    """One request per permanent CAL in the backed-up ``views`` (a client_license ``views`` result, each
    present view holding its verified ``backup``). The CALs come from the store as it was backed up; when
    the caller named the CALs it checked (``transfer['cals']``), the store must hold exactly those."""
    found = _transfer.transferable_cals({'views': views})['cals']
    if not found:
        raise IntentError('the store of %s holds no permanent per-device CAL to record as transferred' % host)
    expected = transfer.get('cals')
    if expected is not None:
        named = sorted(str(cal.get('cal') if isinstance(cal, t.Mapping) else cal) for cal in expected)
        if named != sorted(cal['cal'] for cal in found):
            raise IntentError('the store of %s now holds the CAL(s) %s, not %s that were checked: it changed '
                              'since; run the transfer again' % (host, ', '.join(sorted(c['cal'] for c in found)),
                                                                 ', '.join(named) or 'none'))
    requests = []
    for cal in found:
        backup = views[cal['view']].get('backup') or {}
        if not backup.get('path') or not backup.get('sha256'):
            raise IntentError('CAL %s (view %s) has no verified backup' % (cal['cal'], cal['view']))
        try:
            requests.append(TransferRequest(
                cal_id=cal['cal'], source_host=host, target_host=transfer.get('target'),
                license_server=cal.get('license_server'), license_serial=cal.get('serial'),
                source_hardware_id=cal.get('hardware_id'), reason=transfer.get('reason'),
                operator=transfer.get('operator'), backup_path=backup['path'], backup_sha256=backup['sha256'],
                reissue_reference=transfer.get('reissue_reference')))
        except LedgerError as exc:
            raise IntentError(str(exc)) from None
    return requests


def record_intents(url: str | None, transfer: t.Mapping[str, t.Any], views: t.Mapping[str, t.Mapping[str, t.Any]],
                   host: str) -> list[dict[str, t.Any]]:
    """Write the intent of every CAL in ``views`` (one transaction); the ledger rows as stored.
    Raises IntentError with the ledger's reason when it cannot be written (locked, unreachable, refused)."""
    requests = intent_requests(transfer, views, host)
    backups = [{k: views[view]['backup'].get(k) for k in ('view', 'path', 'sha256')}
               for view in sorted(views) if (views[view] or {}).get('backup')]
    try:
        with open_ledger(url) as ledger:
            outcomes = ledger.record_intents(requests, bool(transfer.get('allow_multiple_to_target')),
                                             transfer.get('variable_names') or None, backups)
    except LedgerError as exc:
        raise IntentError(str(exc)) from None
    return [t.cast(dict, outcome.record) for outcome in outcomes]


def verify_recorded_backup(row: t.Mapping[str, t.Any]) -> None:
    """A removal confirmed by a rerun (the store is gone) finishes only when the backup its intent
    recorded is still on the controller, unchanged; else say what is missing."""
    path, expected = row.get('backup_path'), row.get('backup_sha256')
    what = ('transfer #%s of CAL %s' % (row['id'], row.get('cal_id')) if row.get('id') is not None
            else 'the transfer of CAL %s' % row.get('cal_id'))
    if not path or not expected:
        raise IntentError('%s records no backup: the store is gone without one; check the ledger and the '
                          'controller\'s backups before going on' % what)
    try:
        with open(path, 'rb') as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
    except OSError as exc:
        raise IntentError('%s: its backup %s cannot be read (%s); the store on the client is gone, so this '
                          'backup is the only copy: find it before going on'
                          % (what, path, exc.strerror or exc)) from None
    if digest != str(expected).lower():
        raise IntentError('%s: its backup %s has sha256 %s, not the %s recorded before the delete'
                          % (what, path, digest, expected))
