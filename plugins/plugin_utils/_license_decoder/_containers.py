# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The containers a licence comes in (a certs-only PKCS#7, a bare certificate, a NEW_LICENSE_INFO) and
``decode_client_license``, which never raises on any input."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import struct
import typing as t

from .. import _time
from ._der import TAG_CONTEXT_0, TAG_OID, TAG_SEQUENCE, DerError, Tlv, decode_oid, expect, read_tlv, value
from ._ms_extensions import OID_PRODUCT_INFO, utf16z
from ._reports import chain_report, find_issuer, license_report
from ._x509 import Certificate, parse_certificate

MAX_INPUT_SIZE = 1024 * 1024
PREVIEW_BYTES = 64
OID_SIGNED_DATA = '1.2.840.113549.1.7.2'


def pkcs7_certificate_tlvs(buf: bytes, warnings: list[str]) -> list[Tlv] | None:
    """The certificate TLVs of a certs-only SignedData, or None when ``buf`` is not one.

    Containers are read leniently so that a truncated blob still yields its complete certificates.
    """
    content_info = read_tlv(buf, 0, len(buf), lenient=True)
    if content_info.tag != TAG_SEQUENCE:
        return None
    oid_tlv = read_tlv(buf, content_info.value_start, content_info.end)
    if oid_tlv.tag != TAG_OID or decode_oid(value(buf, oid_tlv)) != OID_SIGNED_DATA:
        return None
    if content_info.truncated:
        warnings.append('PKCS#7 is truncated: declares more bytes than the %d present' % len(buf))
    if content_info.end < len(buf):
        warnings.append('%d trailing bytes after the PKCS#7 ignored' % (len(buf) - content_info.end))
    explicit = expect(buf, oid_tlv.end, content_info.end, TAG_CONTEXT_0, 'SignedData wrapper', lenient=True)
    signed_data = expect(buf, explicit.value_start, explicit.end, TAG_SEQUENCE, 'SignedData', lenient=True)
    pos = signed_data.value_start
    while pos < signed_data.end:
        item = read_tlv(buf, pos, signed_data.end, lenient=True)
        if item.tag == TAG_CONTEXT_0:
            return certificate_tlvs_in(buf, item, warnings)
        pos = item.end
    warnings.append('SignedData holds no certificates')
    return []


def certificate_tlvs_in(buf: bytes, cert_set: Tlv, warnings: list[str]) -> list[Tlv]:
    found: list[Tlv] = []
    pos = cert_set.value_start
    while pos < cert_set.end:
        try:
            item = read_tlv(buf, pos, cert_set.end, lenient=True)
        except DerError as exc:
            warnings.append('certificate list: %s' % exc)
            break
        if item.tag == TAG_SEQUENCE:
            found.append(item)
        else:
            warnings.append('certificate list: entry with tag 0x%02x at offset %d skipped' % (item.tag, pos))
        pos = item.end
    return found


@dataclasses.dataclass
class NewLicenseInfo:
    version: int
    scope: str
    company: str
    product_id: str
    license_info: bytes


def parse_new_license_info(buf: bytes) -> NewLicenseInfo | None:
    """NEW_LICENSE_INFO when ``buf`` is plausibly one: four length-prefixed fields summing to its size."""
    if len(buf) < 20:
        return None
    version = struct.unpack_from('<I', buf, 0)[0]
    pos = 4
    fields = []
    for _field in range(4):
        if pos + 4 > len(buf):
            return None
        size = struct.unpack_from('<I', buf, pos)[0]
        pos += 4
        if size > len(buf) - pos:
            return None
        fields.append(buf[pos:pos + size])
        pos += size
    scope, company, product, license_info = fields
    if pos != len(buf) or not scope or scope[-1] != 0 or len(company) % 2 or len(product) % 2:
        return None
    warnings: list[str] = []
    return NewLicenseInfo(version, scope[:-1].decode('latin-1'), utf16z(company, 'company', warnings),
                          utf16z(product, 'product id', warnings), license_info)


def failure_context(blob: bytes) -> str:
    return 'size %d, sha256 %s, first bytes %s' % (len(blob), hashlib.sha256(blob).hexdigest(),
                                                   blob[:PREVIEW_BYTES].hex())


def new_result(blob: bytes) -> dict[str, t.Any]:
    return {'format': 'unknown', 'size': len(blob), 'sha256': hashlib.sha256(blob).hexdigest(),
            'licenses': [], 'chain': [], 'warnings': [], 'status': 'undecodable'}


def utc_now(now: datetime.datetime | None) -> datetime.datetime:
    # A naive reference time is taken as UTC, like every time in a licence.
    return _time.utc_now() if now is None else _time.as_utc(now)


def parse_reference_time(text: str) -> datetime.datetime:
    """An ISO 8601 reference time (``2007-07-01``, ``2007-07-01T12:00:00Z``, ...); naive means UTC."""
    try:
        return _time.parse_iso(text)
    except (ValueError, AttributeError):
        raise ValueError('reference time %r is not ISO 8601 (e.g. 2007-07-01T12:00:00Z)' % (text,)) from None


def decode_client_license(blob: bytes, now: datetime.datetime | None = None) -> dict[str, t.Any]:
    """Decode a ClientLicense, a bare certificate or a NEW_LICENSE_INFO; see the module docstring."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise TypeError('decode_client_license expects bytes, not %s' % type(blob).__name__)
    blob = bytes(blob)
    result = new_result(blob)
    warnings: list[str] = result['warnings']
    if len(blob) > MAX_INPUT_SIZE:
        warnings.append('input of %d bytes exceeds the %d-byte limit (%s)'
                        % (len(blob), MAX_INPUT_SIZE, failure_context(blob[:PREVIEW_BYTES])))
        result['preview_hex'] = blob[:PREVIEW_BYTES].hex()
        return result
    try:
        decode_into(result, blob, utc_now(now))
    except (DerError, struct.error, ValueError, IndexError) as exc:
        # Belt and braces: every reader bounds-checks, but no input may ever produce a traceback.
        warnings.append('decoding stopped: %s' % exc)
    finish(result, blob)
    return result


def decode_into(result: dict[str, t.Any], blob: bytes, now: datetime.datetime) -> None:
    warnings: list[str] = result['warnings']
    # NEW_LICENSE_INFO first: its four lengths must sum exactly to the size, so DER never passes for one.
    info = parse_new_license_info(blob)
    if info is not None:
        result['format'] = 'new_license_info'
        result['new_license_info'] = {
            'version': '0x%08X' % info.version,
            'version_text': '%d.%d' % (info.version >> 16, info.version & 0xFFFF),
            'scope': info.scope, 'company': info.company, 'product_id': info.product_id,
            'license_info_size': len(info.license_info),
        }
        blob = info.license_info
    cert_tlvs = sniff_der(blob, result, keep_format=info is not None)
    if cert_tlvs is None:
        what = 'NEW_LICENSE_INFO wraps an unrecognised licence' if info else \
            'unrecognised input: not PKCS#7, certificate or NEW_LICENSE_INFO'
        warnings.append('%s (%s)' % (what, failure_context(blob)))
        return
    certificates = parse_certificates(blob, cert_tlvs, warnings)
    for cert in certificates:
        issuer = find_issuer(cert, certificates)
        if cert.extension(OID_PRODUCT_INFO) is not None:
            result['licenses'].append(license_report(cert, issuer, now, warnings))
        else:
            result['chain'].append(chain_report(cert, issuer, warnings))
    if certificates and not result['licenses']:
        warnings.append('no licence certificate found (none carries extension %s)' % OID_PRODUCT_INFO)


def sniff_der(blob: bytes, result: dict[str, t.Any], keep_format: bool = False) -> list[Tlv] | None:
    """Certificate TLVs if ``blob`` is DER (PKCS#7 or a bare certificate), else None."""
    if not blob or blob[0] != TAG_SEQUENCE:
        return None
    try:
        tlvs = pkcs7_certificate_tlvs(blob, result['warnings'])
    except DerError as exc:
        result['warnings'].append('PKCS#7 structure: %s' % exc)
        return []
    if tlvs is not None:
        if not keep_format:
            result['format'] = 'pkcs7'
        return tlvs
    outer = read_tlv(blob, 0, len(blob), lenient=True)
    if not keep_format:
        result['format'] = 'certificate'
    if outer.end < len(blob):
        result['warnings'].append('%d trailing bytes after the certificate ignored' % (len(blob) - outer.end))
    return [outer]


def parse_certificates(blob: bytes, tlvs: list[Tlv], warnings: list[str]) -> list[Certificate]:
    certificates = []
    for index, tlv in enumerate(tlvs):
        try:
            certificates.append(parse_certificate(blob, tlv, warnings))
        except (DerError, struct.error) as exc:
            warnings.append('certificate %d at offset %d not decoded: %s (%s)'
                            % (index, tlv.start, exc, failure_context(blob[tlv.start:tlv.end])))
    return certificates


def finish(result: dict[str, t.Any], blob: bytes) -> None:
    if result['licenses']:
        result['status'] = 'partial' if result['warnings'] else 'decoded'
    elif result['chain']:
        result['status'] = 'partial'
    else:
        result['status'] = 'undecodable'
        if not result['warnings']:
            # e.g. a well-formed container whose certificate set is empty: still say why nothing was decoded
            result['warnings'].append('no certificate found (%s)' % failure_context(blob))
    if result['status'] != 'decoded':
        result['preview_hex'] = blob[:PREVIEW_BYTES].hex()
