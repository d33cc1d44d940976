# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.
"""A minimal, bounds-checked DER reader. Offsets are absolute in the buffer, so messages point at the bad byte."""

from __future__ import annotations

import datetime
import functools
import re
import typing as t

from .. import _time

# DER tags used by the decoder (universal class unless noted).
TAG_BOOLEAN = 0x01
TAG_INTEGER = 0x02
TAG_BIT_STRING = 0x03
TAG_OCTET_STRING = 0x04
TAG_OID = 0x06
TAG_UTC_TIME = 0x17
TAG_GENERALIZED_TIME = 0x18
TAG_SEQUENCE = 0x30
TAG_SET = 0x31
TAG_CONTEXT_0 = 0xA0
TAG_CONTEXT_3 = 0xA3

_UTC_TIME = re.compile(r'(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z')
_GENERALIZED_TIME = re.compile(r'(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z')


class DerError(ValueError):
    """A DER structure that cannot be read: the message says what and at which offset."""


class Tlv:
    """One tag-length-value: absolute offsets of its header, value and end (a plain slotted class: the
    decoder makes about a hundred per licence, and a frozen dataclass costs twice as much to build)."""

    __slots__ = ('tag', 'start', 'value_start', 'end', 'truncated')

    def __init__(self, tag: int, start: int, value_start: int, end: int, truncated: bool = False) -> None:
        self.tag = tag
        self.start = start
        self.value_start = value_start
        self.end = end
        self.truncated = truncated

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    def __repr__(self) -> str:
        return 'Tlv(tag=0x%02x, start=%d, value_start=%d, end=%d%s)' % (
            self.tag, self.start, self.value_start, self.end, ', truncated' if self.truncated else '')


def read_tlv(buf: bytes, pos: int, limit: int, lenient: bool = False) -> Tlv:
    """Read one TLV at ``pos`` that must end by ``limit``.

    ``lenient`` clamps an overlong length to ``limit`` (marking it truncated) instead of failing, so that
    the complete certificates of a truncated PKCS#7 can still be read.
    """
    if pos + 2 > limit:
        raise DerError('truncated header at offset %d' % pos)
    tag = buf[pos]
    first = buf[pos + 1]
    if first < 0x80 and tag & 0x1F != 0x1F and pos + 2 + first <= limit:
        # The common case, short form and in bounds, first: about a hundred of these per licence.
        return Tlv(tag, pos, pos + 2, pos + 2 + first)
    if tag & 0x1F == 0x1F:
        raise DerError('high-tag-number form at offset %d is not used by licences' % pos)
    value_start = pos + 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise DerError('indefinite length at offset %d is not DER' % pos)
    else:
        count = first & 0x7F
        if count > 4:
            raise DerError('length of %d bytes at offset %d is too large' % (count, pos))
        if value_start + count > limit:
            raise DerError('truncated length at offset %d' % pos)
        length = int.from_bytes(buf[value_start:value_start + count], 'big')
        value_start += count
    end = value_start + length
    if end > limit:
        if not lenient:
            raise DerError('length %d at offset %d exceeds the %d bytes available'
                           % (length, pos, limit - value_start))
        return Tlv(tag, pos, value_start, limit, truncated=True)
    return Tlv(tag, pos, value_start, end)


def expect(buf: bytes, pos: int, limit: int, tag: int, what: str, lenient: bool = False) -> Tlv:
    tlv = read_tlv(buf, pos, limit, lenient)
    if tlv.tag != tag:
        raise DerError('%s: expected tag 0x%02x, found 0x%02x at offset %d' % (what, tag, tlv.tag, pos))
    return tlv


def children(buf: bytes, parent: Tlv, lenient: bool = False) -> t.Iterator[Tlv]:
    pos = parent.value_start
    while pos < parent.end:
        child = read_tlv(buf, pos, parent.end, lenient)
        yield child
        pos = child.end


def value(buf: bytes, tlv: Tlv) -> bytes:
    return buf[tlv.value_start:tlv.end]


@functools.lru_cache(maxsize=512)
def decode_oid(data: bytes) -> str:
    # Cached: a fleet's licences repeat the same few dozen OIDs, and the result is an immutable str.
    if not data:
        raise DerError('empty OBJECT IDENTIFIER')
    if data[-1] & 0x80:
        raise DerError('OBJECT IDENTIFIER ends inside a sub-identifier')
    arcs: list[int] = []
    current = 0
    for byte in data:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(current)
            current = 0
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return '.'.join(str(arc) for arc in head + arcs[1:])


def decode_time(tag: int, data: bytes) -> datetime.datetime:
    try:
        text = data.decode('ascii')
    except UnicodeDecodeError:
        raise DerError('time value is not ASCII') from None
    if tag == TAG_UTC_TIME:
        match = _UTC_TIME.fullmatch(text)
        if not match:
            raise DerError('bad UTCTime %r' % text)
        year = int(match.group(1))
        # RFC 5280: two-digit years 50-99 are 19xx (the sample's licence server starts in 1970).
        year += 1900 if year >= 50 else 2000
        rest = match.groups()[1:]
    elif tag == TAG_GENERALIZED_TIME:
        match = _GENERALIZED_TIME.fullmatch(text)
        if not match:
            raise DerError('bad GeneralizedTime %r' % text)
        year = int(match.group(1))
        rest = match.groups()[1:]
    else:
        raise DerError('expected a time, found tag 0x%02x' % tag)
    try:
        return datetime.datetime(year, *(int(part) for part in rest), tzinfo=datetime.timezone.utc)
    except ValueError as exc:
        raise DerError('invalid time %r: %s' % (text, exc)) from None


iso_utc = _time.iso_utc
