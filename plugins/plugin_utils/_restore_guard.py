# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""A restore must not clone a CAL: the ledger's check before a restore brings a backup back, for the Windows
store and the Linux licence files alike.

A backup holding a CAL the ledger says was transferred to another computer is refused unless the operator
overrides it; every override (that one, or a backup of another host) is recorded in the ledger's event log
before anything is restored. Pure Python: no Ansible imports.
"""

from __future__ import annotations

import typing as t

from ._ledger import LedgerError, default_operator, open_ledger


class RestoreRefused(Exception):
    """The restore is refused or cannot be checked (the message says why); nothing was restored."""


def ledger_moved_away(ledger: t.Any, cals: t.Sequence[str], host: str) -> list[dict[str, t.Any]]:
    """The latest transfer of each CAL whose target is another computer than ``host``."""
    moved = []
    for cal in cals:
        rows = ledger.transfers(cal_id=cal)
        if rows and rows[-1]['target_host'] != host:
            moved.append(rows[-1])
    return moved


def check_restore(ledger_url: str | None, host: str, cals: t.Sequence[str], renamed: t.Sequence[str],
                  backups: t.Mapping[str, t.Any], allow_transferred: bool,
                  check_mode: bool) -> dict[str, t.Any] | None:
    """Refuse (RestoreRefused) a restore of a CAL transferred away unless ``allow_transferred``; record the
    overrides used (a transferred CAL, a backup of another host: ``renamed``) in the ledger, and return what
    was recorded (None when no override was needed). In check mode nothing is recorded."""
    if not cals and not renamed:
        return None
    try:
        with open_ledger(ledger_url, dry_run=True) as ledger:
            moved = ledger_moved_away(ledger, cals, host)
    except LedgerError as exc:
        raise RestoreRefused('cannot check in the ledger whether the CAL(s) of the backup were transferred away '
                             '(%s); nothing was restored' % exc) from None
    if moved and not allow_transferred:
        raise RestoreRefused(
            'refusing to restore: the ledger records that %s; restoring it here would leave one CAL on two '
            'computers. If that transfer was undone, set restore_transferred_cal=true (recorded in the ledger)'
            % '; '.join('CAL %s was transferred to %s (transfer #%s, %s, state %s)'
                        % (row['cal_id'], row['target_host'], row['id'], row['created_at'], row['state'])
                        for row in moved))
    if not moved and not renamed:
        return None
    detail: dict[str, t.Any] = {'target_host': host, 'backups': dict(backups)}
    if renamed:
        detail['restore_from_host'] = renamed[0]
    if moved:
        detail['transfers'] = [row['id'] for row in moved]
        detail['cals'] = sorted({row['cal_id'] for row in moved})
    try:
        with open_ledger(ledger_url, dry_run=check_mode) as ledger:
            ledger.record_event('restore_override', detail, host=host, operator=default_operator())
    except LedgerError as exc:
        raise RestoreRefused('cannot record the restore override in the ledger (%s); nothing was restored'
                             % exc) from None
    return dict(detail, recorded=not check_mode)
