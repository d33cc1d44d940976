# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""ClientHWID values and whole .reg documents: every licence and hardware id below the MSLicensing roots."""

from __future__ import annotations

import datetime
import struct
import typing as t

# The client store (STORE_ROOTS, the layout) imports this package: its names are read at call time only.
from .. import _client_license, _regfile
from ._containers import PREVIEW_BYTES, decode_client_license, failure_context

HWID_SIZE = 20


def decode_hwid(blob: bytes) -> dict[str, t.Any]:
    """A ClientHWID (CLIENT_HARDWARE_ID): PlatformId + Data1..4, little-endian DWORDs."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise TypeError('decode_hwid expects bytes, not %s' % type(blob).__name__)
    blob = bytes(blob)
    warnings: list[str] = []
    if len(blob) != HWID_SIZE:
        warnings.append('ClientHWID is %d bytes, expected %d (%s)'
                        % (len(blob), HWID_SIZE, failure_context(blob)))
    usable = blob[:min(len(blob), HWID_SIZE * 4) // 4 * 4]
    dwords = list(struct.unpack('<%dI' % (len(usable) // 4), usable))
    if not dwords:
        status = 'undecodable'
    else:
        status = 'partial' if warnings else 'decoded'
    return {
        'status': status,
        'size': len(blob),
        'hex': blob[:PREVIEW_BYTES].hex(),
        'dwords': dwords,
        'text': ', '.join('0x%08x' % dword for dword in dwords),
        'platform_id': '0x%08x' % dwords[0] if dwords else None,
        'warnings': warnings,
    }


REG_FILE_HEADERS = tuple(header.encode('ascii') for header in _regfile.HEADERS)


def looks_like_reg_file(data: bytes) -> bool:
    """True when ``data`` starts like a .reg export (UTF-16LE with BOM, UTF-8 or ANSI), not a licence blob."""
    # UTF-16LE text has NULs between ASCII letters; dropping them makes all encodings comparable.
    head = data[:200].replace(b'\x00', b'').lstrip(b'\xff\xfe\xef\xbb\xbf \t\r\n')
    return head.startswith(REG_FILE_HEADERS)


REG_BINARY = 3


def decode_store(doc: t.Any, now: datetime.datetime | None = None) -> dict[str, t.Any]:
    """Decode every licence and hardware id of the MSLicensing roots in a parsed .reg document."""

    result: dict[str, t.Any] = {'licenses': [], 'hardware_ids': [], 'warnings': [], 'status': 'undecodable'}
    for key in doc.keys:
        if key.delete:
            continue
        try:
            path = _regfile.normalize_key(key.path)
        except ValueError as exc:
            result['warnings'].append('key %r skipped: %s' % (key.path, exc))
            continue
        relative = next((rel for rel in (_regfile.relative_path(path, root) for root in _client_license.STORE_ROOTS) if rel), None)
        if relative is None:
            continue
        match = _client_license.LICENSE_KEY.match(relative)
        if match:
            result['licenses'].append(store_license_entry(key, path, match.group(1), now, result['warnings']))
        elif relative.casefold() == _client_license.HARDWARE_ID_SUBKEY.casefold():
            entry = store_hwid_entry(key, path, result['warnings'])
            if entry is not None:
                result['hardware_ids'].append(entry)
    result['status'] = store_status(result)
    return result


def find_value(key: t.Any, name: str) -> t.Any:
    return next((val for val in key.values if (val.name or '').lower() == name.lower()), None)


def store_license_entry(key: t.Any, path: str, name: str, now: datetime.datetime | None,
                        warnings: list[str]) -> dict[str, t.Any]:
    entry: dict[str, t.Any] = {'key': path, 'name': name.upper(), 'index_values': index_values(key)}
    license_value = find_value(key, _client_license.LICENSE_VALUE)
    if license_value is None or license_value.data is None:
        warnings.append('%s: no ClientLicense value' % path)
        entry['decoded'] = None
    elif not isinstance(license_value.data, bytes):
        warnings.append('%s: ClientLicense is not binary (type %s)' % (path, license_value.type))
        entry['decoded'] = None
    else:
        entry['decoded'] = decode_client_license(license_value.data, now)
    return entry


def store_hwid_entry(key: t.Any, path: str, warnings: list[str]) -> dict[str, t.Any] | None:
    hwid_value = find_value(key, _client_license.HARDWARE_ID_VALUE)
    if hwid_value is None:
        return None
    if not isinstance(hwid_value.data, bytes):
        warnings.append('%s: ClientHWID is not binary (type %s)' % (path, hwid_value.type))
        return {'key': path, 'decoded': None}
    return {'key': path, 'decoded': decode_hwid(hwid_value.data)}


def index_values(key: t.Any) -> dict[str, t.Any]:
    """The other values of a LICENSEnnn key (believed index fields; names and types are undocumented)."""
    found: dict[str, t.Any] = {}
    for val in key.values:
        if (val.name or '').casefold() == _client_license.LICENSE_VALUE.casefold():
            continue
        found[val.name or '(default)'] = describe_value(val)
    return found


def describe_value(val: t.Any) -> dict[str, t.Any]:
    data = val.data
    if isinstance(data, bytes):
        return {'type': val.type, 'hex': data[:4096].hex(), 'text_guess': guess_text(data)}
    return {'type': val.type, 'value': data}


def guess_text(data: bytes) -> str | None:
    """UTF-16LE or ANSI text of a NUL-terminated REG_BINARY, when it plainly is one."""
    if len(data) >= 2 and len(data) % 2 == 0 and all(byte == 0 for byte in data[1::2]):
        text = data.decode('utf-16-le').split('\x00', 1)[0]
    else:
        text = data.split(b'\x00', 1)[0].decode('latin-1')
    return text if text and text.isprintable() else None


def store_status(result: dict[str, t.Any]) -> str:
    statuses = [entry['decoded']['status'] if entry['decoded'] else 'undecodable'
                for entry in result['licenses']]
    statuses += [entry['decoded']['status'] if entry['decoded'] else 'undecodable'
                 for entry in result['hardware_ids']]
    if not result['licenses']:
        result['warnings'].append('no MSLicensing Store\\LICENSEnnn key found')
    if statuses and all(status == 'decoded' for status in statuses) and not result['warnings']:
        return 'decoded'
    if any(status in ('decoded', 'partial') for status in statuses):
        return 'partial'
    return 'undecodable'
