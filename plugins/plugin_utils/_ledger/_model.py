# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""What goes into the ledger and what comes out: requests, outcomes, errors, timestamps."""

from __future__ import annotations

import dataclasses
import getpass
import datetime
import re
import typing as t

from .. import _time
from ._url import LedgerError

Row = t.Dict[str, t.Any]


class LedgerUnavailable(LedgerError):
    """The ledger is locked by someone else for longer than the timeout, or cannot be reached."""


class TransferRefused(LedgerError):
    """The one-time transfer rule (KB 315262) refuses this transfer."""


class StateChangeRefused(LedgerError):
    """The transfer cannot move to the requested state from the one it is in."""


_SHA256 = re.compile(r'^[0-9a-fA-F]{64}$')


def default_operator() -> str | None:
    """Who runs the controller: the operator the audit trail records when none is given."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def utc_now() -> str:
    return _time.iso_utc(_time.utc_now())


format_timestamp = _time.iso_utc


def normalize_timestamp(value: t.Any, field: str) -> str | None:
    """ISO 8601 text, a date or a datetime -> the ledger's UTC form; a bare date means its midnight UTC
    (naive times are taken as UTC, which is what the license store holds)."""
    if value is None or value == '':
        return None
    if isinstance(value, datetime.datetime):
        return format_timestamp(value)
    if isinstance(value, datetime.date):
        return format_timestamp(datetime.datetime(value.year, value.month, value.day))
    try:
        return format_timestamp(_time.parse_iso(str(value)))
    except ValueError:
        raise LedgerError('%s %r is not an ISO 8601 date or time' % (field, value)) from None


def parse_timestamp(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


def checked_text(value: t.Any, field: str, required: bool = False) -> str | None:
    """Text stored verbatim; only NUL is refused (PostgreSQL cannot store it, so neither backend does)."""
    if value is None or value == '':
        if required:
            raise LedgerError('%s is required' % field)
        return None
    text = str(value)
    if '\x00' in text:
        raise LedgerError('%s contains a NUL character, which the ledger cannot store' % field)
    return text


@dataclasses.dataclass(frozen=True)
class TransferRequest:
    """One KB 315262 transfer of a CAL from ``source_host`` (already cleared) to ``target_host``."""

    cal_id: str
    source_host: str
    target_host: str
    license_server: str | None = None
    license_serial: str | None = None
    source_hardware_id: str | None = None
    reason: str | None = None
    operator: str | None = None
    backup_path: str | None = None
    backup_sha256: str | None = None
    reissue_reference: str | None = None

    def __post_init__(self) -> None:
        required = ('cal_id', 'source_host', 'target_host')
        for field in dataclasses.fields(self):
            value = checked_text(getattr(self, field.name), field.name, field.name in required)
            object.__setattr__(self, field.name, value)
        if self.reissue_reference is not None and not self.reissue_reference.strip():
            raise LedgerError('reissue_reference is blank: give the Clearinghouse reissue reference, or leave it unset')
        if self.backup_sha256 is not None:
            if not _SHA256.match(self.backup_sha256):
                raise LedgerError('backup_sha256 must be 64 hexadecimal digits')
            object.__setattr__(self, 'backup_sha256', self.backup_sha256.lower())
        if self.source_host == self.target_host:
            raise LedgerError('source_host and target_host are both %r; a transfer moves a CAL to '
                              'another computer' % self.source_host)


@dataclasses.dataclass(frozen=True)
class Observation:
    """A license seen on a host by an audit."""

    host: str
    hardware_id: str | None = None
    license_server: str | None = None
    serial: str | None = None
    valid_to: str | None = None
    temporary: bool = False
    observed_at: str | None = None

    def __post_init__(self) -> None:
        for name in ('host', 'hardware_id', 'license_server', 'serial'):
            object.__setattr__(self, name, checked_text(getattr(self, name), name, name == 'host'))
        object.__setattr__(self, 'valid_to', normalize_timestamp(self.valid_to, 'valid_to'))
        object.__setattr__(self, 'observed_at', normalize_timestamp(self.observed_at, 'observed_at') or utc_now())
        object.__setattr__(self, 'temporary', bool(self.temporary))


@dataclasses.dataclass(frozen=True)
class Outcome:
    """``changed`` is False when the ledger already held exactly this; ``record`` is the row as stored."""

    changed: bool
    record: Row | None = None
    records: list[Row] = dataclasses.field(default_factory=list)
    completed: list[Row] = dataclasses.field(default_factory=list)
