# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter tslicensing.cal.decode_client_license (documentation in decode_client_license.yml)."""

from __future__ import annotations

import base64
import binascii
import datetime
import re
import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _license_decoder, _regfile

# Separators people paste between hex bytes: whitespace, commas, colons and .reg line continuations.
HEX_SEPARATORS = re.compile(r'[\s,:\\]+')
HEX_DIGITS = re.compile(r'[0-9a-fA-F]+')


def reference_time(now: t.Any) -> datetime.datetime | None:
    if now is None or isinstance(now, datetime.datetime):
        return now
    if isinstance(now, str):
        try:
            return _license_decoder.parse_reference_time(now)
        except ValueError as e:
            raise AnsibleFilterError('decode_client_license: now: %s' % e) from None
    raise AnsibleFilterError('decode_client_license: now must be an ISO 8601 string or a datetime, not %s'
                             % type(now).__name__)


def looks_like_reg(text: str) -> bool:
    return text.lstrip('\ufeff \t\r\n').startswith(_regfile.HEADERS)


def text_to_blob(text: str) -> bytes:
    """Hex (spaces, commas allowed; an optional ``hex:`` prefix) or else base64."""
    compact = text.strip()
    if compact.lower().startswith('hex:'):
        compact = compact[4:]
    hex_digits = HEX_SEPARATORS.sub('', compact)
    if HEX_DIGITS.fullmatch(hex_digits) and len(hex_digits) % 2 == 0:
        return bytes.fromhex(hex_digits)
    try:
        return base64.b64decode(re.sub(r'\s+', '', text), validate=True)
    except (binascii.Error, ValueError):
        pass
    raise AnsibleFilterError('decode_client_license: input is neither hex, base64 nor the text of a .reg file '
                             '(%d characters, starting %r)' % (len(text), text[:40]))


def decode_reg(data: str | bytes, now: datetime.datetime | None) -> dict[str, t.Any]:
    try:
        doc = _regfile.parse_reg(data, 'decode_client_license input')
    except _regfile.RegFileError as e:
        raise AnsibleFilterError('decode_client_license: %s' % e) from None
    return _license_decoder.decode_store(doc, now)


def decode_client_license(data: t.Any, now: t.Any = None) -> dict[str, t.Any]:
    """Decoded licence(s) of a blob (hex/base64/bytes) or of a whole .reg export."""
    when = reference_time(now)
    if isinstance(data, _regfile.RegDocument):
        return _license_decoder.decode_store(data, when)
    if isinstance(data, (bytes, bytearray)):
        if _license_decoder.looks_like_reg_file(bytes(data)):
            return decode_reg(bytes(data), when)
        return _license_decoder.decode_client_license(bytes(data), when)
    if isinstance(data, str):
        if looks_like_reg(data):
            return decode_reg(data, when)
        if not data.strip():
            raise AnsibleFilterError('decode_client_license: empty input')
        return _license_decoder.decode_client_license(text_to_blob(data), when)
    raise AnsibleFilterError('decode_client_license: expected a hex or base64 string, bytes or .reg text, not %s'
                             % type(data).__name__)


class FilterModule:

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {'decode_client_license': decode_client_license}
