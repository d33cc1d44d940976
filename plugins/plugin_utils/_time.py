# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""UTC time, one way for the whole collection: a time without a zone is UTC (what license stores, WMI dates
and the ledger hold), and a time is written as ISO 8601 with a ``Z`` in whole seconds."""

from __future__ import annotations

import datetime

UTC = datetime.timezone.utc
ISO_UTC_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(UTC)


def as_utc(moment: datetime.datetime) -> datetime.datetime:
    """The same moment in UTC; a naive time is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso_utc(moment: datetime.datetime) -> str:
    """``2026-03-01T08:00:00Z``: the moment in UTC, whole seconds."""
    return as_utc(moment).strftime(ISO_UTC_FORMAT)


def parse_iso(text: str) -> datetime.datetime:
    """An ISO 8601 date or time as an aware UTC datetime (a date is its midnight, no zone is UTC); raises
    ValueError for other text."""
    return as_utc(datetime.datetime.fromisoformat(text.strip()))
