# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""When a license is "expiring": the one window default and the one rule, for the audit report and the
ledger inventory alike."""

from __future__ import annotations

import datetime
import typing as t

# The one default of the "expiring" window: the report's, the audit role's and the ledger inventory's.
DEFAULT_EXPIRING_DAYS = 30

EXPIRED = 'expired'
EXPIRING = 'expiring'


def expiry_status(ends: t.Optional[datetime.datetime], now: datetime.datetime,
                  expiring_days: int = DEFAULT_EXPIRING_DAYS) -> t.Optional[str]:
    """``'expired'`` once ``ends`` has come, ``'expiring'`` when it comes within ``expiring_days`` of ``now``,
    else None (also for a license without an end)."""
    if ends is None:
        return None
    if ends <= now:
        return EXPIRED
    if ends <= now + datetime.timedelta(days=expiring_days):
        return EXPIRING
    return None
