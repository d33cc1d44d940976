# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The Microsoft extension payloads of licence certificates (1.3.6.1.4.1.311.18.x): raw little-endian
structures, not ASN.1, read by their offsets and bounds-checked."""

from __future__ import annotations

import struct
import typing as t

from ._der import TAG_BOOLEAN, TAG_INTEGER, TAG_SEQUENCE, DerError, children, expect, value
from ._x509 import serial_text

OID_CERT_VERSION = '1.3.6.1.4.1.311.18.4'
OID_MANUFACTURER = '1.3.6.1.4.1.311.18.2'
OID_PRODUCT_INFO = '1.3.6.1.4.1.311.18.5'
OID_SERVER_INFO = '1.3.6.1.4.1.311.18.6'
OID_AUTHORITY_KEY_ID = '2.5.29.35'
OID_BASIC_CONSTRAINTS = '2.5.29.19'

EXTENSION_NAMES = {
    '1.3.6.1.4.1.311.18.1': 'license_info',
    OID_MANUFACTURER: 'manufacturer',
    '1.3.6.1.4.1.311.18.3': 'manufacturer_ms_specific',
    OID_CERT_VERSION: 'cert_version',
    OID_PRODUCT_INFO: 'licensed_product_info',
    OID_SERVER_INFO: 'license_server_info',
    '1.3.6.1.4.1.311.18.7': 'product_specific',
    OID_AUTHORITY_KEY_ID: 'authority_key_identifier',
    OID_BASIC_CONSTRAINTS: 'basic_constraints',
    '2.5.29.14': 'subject_key_identifier',
    '2.5.29.15': 'key_usage',
}

# ProductLicenseFlags of LICENSED_VERSION_INFO ([MS-RDPELE] 2.2.2.9.1.1). Other bits are undocumented
# and reported as unknown; a missing RTM bit is never called "beta" (real licences lack it).
LICENSE_FLAGS = (
    (0x80000000, 'TEMPORARY_LICENSE'),
    (0x00800000, 'RTM_LICENSE'),
    (0x00008000, 'LICENSE_ENFORCED'),
)
FLAG_TEMPORARY = 0x80000000

PRODUCT_INFO_VERSION = 0x3000
SERVER_INFO_V1 = 0x1000
SERVER_INFO_V2 = 0x3000


def utf16z(data: bytes, what: str, warnings: list[str]) -> str:
    """UTF-16LE text cut at the first NUL; an odd length loses its last byte with a warning."""
    if len(data) % 2:
        warnings.append('%s: odd UTF-16 length %d, last byte dropped' % (what, len(data)))
        data = data[:-1]
    text = data.decode('utf-16-le', errors='replace')
    text = text.split('\x00', 1)[0]
    if '\ufffd' in text:
        warnings.append('%s: undecodable UTF-16 characters' % what)
    return text


def utf16_at(data: bytes, offset: int, size: int | None, what: str, warnings: list[str]) -> str | None:
    """String at ``offset`` of ``size`` bytes (or up to the end when None), bounds-checked."""
    end = len(data) if size is None else offset + size
    if offset > len(data) or end > len(data):
        warnings.append('%s: offset %d + size %d outside the %d-byte structure'
                        % (what, offset, end - offset, len(data)))
        return None
    return utf16z(data[offset:end], what, warnings)


def decode_cert_version(data: bytes, warnings: list[str]) -> str | None:
    if len(data) < 4:
        warnings.append('cert_version (18.4): %d bytes, expected 4' % len(data))
        return None
    return '0x%08X' % struct.unpack_from('<I', data)[0]


def flags_report(flags: int) -> dict[str, t.Any]:
    known = 0
    names = []
    for bit, name in LICENSE_FLAGS:
        if flags & bit:
            names.append(name)
            known |= bit
    return {'value': '0x%08X' % flags, 'names': names, 'unknown': '0x%08X' % (flags & ~known)}


def decode_product_info(data: bytes, warnings: list[str]) -> dict[str, t.Any]:
    """LICENSED_PRODUCT_INFO (18.5) read by its offsets, never by fixed positions."""
    if len(data) < 28:
        raise DerError('licensed product info is %d bytes, shorter than its 28-byte header' % len(data))
    version, count, platform, language = struct.unpack_from('<IIII', data, 0)
    rq_off, rq_len, adj_off, adj_len, lvi_off, lvi_count = struct.unpack_from('<HHHHHH', data, 16)
    info: dict[str, t.Any] = {
        'product_info_version': '0x%04X' % version,
        'license_count': count,
        'platform_id': '0x%08X' % platform,
        'language_id': '0x%04X' % language,
        'requested_product_id': utf16_at(data, rq_off, rq_len, 'requested product id', warnings),
        'adjusted_product_id': utf16_at(data, adj_off, adj_len, 'adjusted product id', warnings),
    }
    if version != PRODUCT_INFO_VERSION:
        warnings.append('licensed product info version 0x%X is unknown; layout unverified, raw: %s'
                        % (version, data.hex()))
    fits = max(0, (len(data) - lvi_off) // 8) if lvi_off <= len(data) else 0
    if lvi_count > fits:
        warnings.append('licensed version info count %d at offset %d, only %d fit' % (lvi_count, lvi_off, fits))
    versions = []
    for index in range(min(lvi_count, fits)):
        major, minor, flags = struct.unpack_from('<HHI', data, lvi_off + 8 * index)
        versions.append({'major': major, 'minor': minor, 'flags': '0x%08X' % flags})
    info['licensed_versions'] = versions
    if versions:
        first_flags = int(versions[0]['flags'], 16)
        info['licensed_version'] = '%d.%d' % (versions[0]['major'], versions[0]['minor'])
        info['flags'] = flags_report(first_flags)
        info['temporary'] = bool(first_flags & FLAG_TEMPORARY)
    return info


def decode_server_info(data: bytes, warnings: list[str]) -> dict[str, t.Any]:
    """MS_LICENSE_SERVER_INFO (18.6): version 0x1000 (name, scope) or 0x3000 (name, id, scope)."""
    if len(data) < 4:
        raise DerError('license server info is %d bytes' % len(data))
    version = struct.unpack_from('<I', data)[0]
    if version == SERVER_INFO_V1 and len(data) >= 8:
        name_off, scope_off = struct.unpack_from('<HH', data, 4)
        body = data[8:]
        return {'server_info_version': '0x%04X' % version,
                'license_server': utf16_at(body, name_off, None, 'license server name', warnings),
                'server_id': None,
                'scope': utf16_at(body, scope_off, None, 'license server scope', warnings)}
    if version == SERVER_INFO_V2 and len(data) >= 10:
        name_off, id_off, scope_off = struct.unpack_from('<HHH', data, 4)
        body = data[10:]
        return {'server_info_version': '0x%04X' % version,
                'license_server': utf16_at(body, name_off, None, 'license server name', warnings),
                'server_id': utf16_at(body, id_off, None, 'license server id', warnings),
                'scope': utf16_at(body, scope_off, None, 'license server scope', warnings)}
    raise DerError('license server info version 0x%X (%d bytes) is unknown' % (version, len(data)))


def decode_authority_key_id(data: bytes) -> dict[str, str]:
    """Best effort on the licence server's non-standard AKI: [1]{[4] UTF-16LE name} [2] serial."""
    found: dict[str, str] = {}
    outer = expect(data, 0, len(data), TAG_SEQUENCE, 'AuthorityKeyIdentifier')
    for item in children(data, outer):
        if item.tag == 0xA1:
            for inner in children(data, item):
                if inner.tag == 0xA4 and (inner.end - inner.value_start) % 2 == 0:
                    found['aki_name'] = value(data, inner).decode('utf-16-le', errors='replace').split('\x00')[0]
        elif item.tag == 0x82:
            found['aki_serial'] = serial_text(value(data, item))
    return found


def decode_basic_constraints(data: bytes) -> dict[str, t.Any]:
    outer = expect(data, 0, len(data), TAG_SEQUENCE, 'BasicConstraints')
    result: dict[str, t.Any] = {'ca': False}
    for item in children(data, outer):
        if item.tag == TAG_BOOLEAN:
            result['ca'] = value(data, item) != b'\x00'
        elif item.tag == TAG_INTEGER:
            result['path_len'] = int.from_bytes(value(data, item), 'big')
    return result
