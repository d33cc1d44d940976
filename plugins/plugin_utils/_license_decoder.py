# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Decode stored RDS/TS client access licences (a pure-Python TSCTST.EXE equivalent).

A Windows RDP client keeps each CAL as ``HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\Store\\LICENSEnnn``
value ``ClientLicense`` (REG_BINARY): the server's ``pbLicenseInfo``, a DER certs-only PKCS#7 whose
certificates carry little-endian Microsoft extensions (1.3.6.1.4.1.311.18.x). The licence certificate's
AuthorityKeyIdentifier is malformed, so strict X.509 parsers reject it; this module therefore carries its
own small, bounds-checked DER reader and never relies on a third-party certificate parser.
``cryptography`` is only used, when installed, for the informational signature check.

No Ansible imports: the same code serves the filter, the ``tscal-decode`` command and the modules' results.

Public functions
----------------
``decode_client_license(blob, now=None) -> dict``
    ``blob`` is a ClientLicense (PKCS#7), a bare certificate, or a NEW_LICENSE_INFO message wrapping one.
    Never raises except ``TypeError`` for non-bytes input. Result keys:

    - ``status``: ``decoded`` (at least one licence, no warnings), ``partial`` (something decoded, with
      warnings, or only chain certificates), ``undecodable`` (no certificate could be read).
    - ``format``: ``pkcs7`` | ``certificate`` | ``new_license_info`` | ``unknown``.
    - ``size``, ``sha256``; ``preview_hex`` (first 64 bytes) when status is not ``decoded``.
    - ``new_license_info`` (only for that format): ``version`` (hex), ``version_text`` (``major.minor``),
      ``scope``, ``company``, ``product_id``, ``license_info_size``.
    - ``licenses``: one entry per certificate carrying extension 1.3.6.1.4.1.311.18.5:
      ``license_server``, ``server_id``, ``scope``, ``issued_to_machine``, ``issued_to_user``,
      ``valid_from``/``valid_to`` (ISO 8601 UTC, ``Z``), ``lifetime_days``, ``expired`` (bool, against
      ``now``), ``temporary`` (bool, flag 0x80000000; None when no licensed version info),
      ``requested_product_id``, ``adjusted_product_id``, ``licensed_version`` (``major.minor``),
      ``licensed_versions`` (list of ``{major, minor, flags}``), ``flags`` (``value`` hex, ``names``,
      ``unknown`` hex), ``product_info_version``, ``license_count``, ``platform_id``, ``language_id``
      (hex strings), ``company``, ``cert_version`` (hex), ``hardware_id`` (``base64``, ``hex``, ``size``:
      the opaque encoded HWID of the subject SERIALNUMBER), ``serial`` (``0x030000000F`` style),
      ``subject``/``issuer`` (text) and ``subject_attributes``/``issuer_attributes``
      (``[{type, oid, value}]``), ``signature`` (``algorithm``, ``algorithm_oid``, ``result``:
      ``valid`` | ``invalid`` | ``unavailable`` | ``unknown_issuer``, optional ``detail``),
      ``extensions`` (``[{oid, name, critical, raw_hex?, error?, aki_name?, aki_serial?}]``).
    - ``chain``: the other certificates: ``subject``, ``issuer`` (+ ``_attributes``), ``serial``,
      ``valid_from``, ``valid_to``, ``self_signed``, ``signature``, ``extensions``.
    - ``warnings``: list of strings.

``decode_hwid(blob) -> dict``
    A ``ClientHWID`` value: ``status``, ``size``, ``hex``, ``dwords`` (ints), ``text`` (five little-endian
    DWORDs as TSCTST prints them: ``0x00000002, 0x7d4eb2c0, ...``), ``platform_id``, ``warnings``.

``decode_store(doc, now=None) -> dict``
    A parsed ``.reg`` document (``_regfile.RegDocument``): decodes every ``Store\\LICENSEnnn\\ClientLicense``
    and ``HardwareID\\ClientHWID`` below each MSLicensing root. Keys: ``status``, ``licenses``
    (``[{key, name, index_values, decoded}]``), ``hardware_ids`` (``[{key, decoded}]``), ``warnings``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import hashlib
import re
import struct
import typing as t

MAX_INPUT_SIZE = 1024 * 1024
PREVIEW_BYTES = 64
HWID_SIZE = 20

OID_SIGNED_DATA = '1.2.840.113549.1.7.2'
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

ATTRIBUTE_TYPES = {
    '2.5.4.3': 'CN',
    '2.5.4.5': 'SERIALNUMBER',
    '2.5.4.6': 'C',
    '2.5.4.7': 'L',
    '2.5.4.8': 'ST',
    '2.5.4.10': 'O',
    '2.5.4.11': 'OU',
}

SIGNATURE_ALGORITHMS = {
    # oid: (display name, hashlib-style hash name for cryptography)
    '1.3.14.3.2.29': ('sha1WithRSA (OIW)', 'SHA1'),
    '1.2.840.113549.1.1.5': ('sha1WithRSAEncryption', 'SHA1'),
    '1.2.840.113549.1.1.11': ('sha256WithRSAEncryption', 'SHA256'),
    '1.2.840.113549.1.1.12': ('sha384WithRSAEncryption', 'SHA384'),
    '1.2.840.113549.1.1.13': ('sha512WithRSAEncryption', 'SHA512'),
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

# DER tags used below (universal class unless noted).
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

STRING_DECODERS = {
    0x0C: 'utf-8',       # UTF8String
    0x13: 'ascii',       # PrintableString
    0x14: 'latin-1',     # TeletexString (close enough for display)
    0x16: 'ascii',       # IA5String
    0x1C: 'utf-32-be',   # UniversalString
    0x1E: 'utf-16-be',   # BMPString: what licence servers write
}


class DerError(ValueError):
    """A DER structure that cannot be read: the message says what and at which offset."""


# --------------------------------------------------------------------------------------------------
# Minimal DER reader. Offsets are absolute in the buffer, so messages point at the bad byte.
# --------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Tlv:
    tag: int
    start: int
    value_start: int
    end: int
    truncated: bool = False

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)


def read_tlv(buf: bytes, pos: int, limit: int, lenient: bool = False) -> Tlv:
    """Read one TLV at ``pos`` that must end by ``limit``.

    ``lenient`` clamps an overlong length to ``limit`` (marking it truncated) instead of failing, so that
    the complete certificates of a truncated PKCS#7 can still be read.
    """
    if pos + 2 > limit:
        raise DerError('truncated header at offset %d' % pos)
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise DerError('high-tag-number form at offset %d is not used by licences' % pos)
    first = buf[pos + 1]
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


def decode_oid(data: bytes) -> str:
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
        match = re.fullmatch(r'(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z', text)
        if not match:
            raise DerError('bad UTCTime %r' % text)
        year = int(match.group(1))
        # RFC 5280: two-digit years 50-99 are 19xx (the sample's licence server starts in 1970).
        year += 1900 if year >= 50 else 2000
        rest = match.groups()[1:]
    elif tag == TAG_GENERALIZED_TIME:
        match = re.fullmatch(r'(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z', text)
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


def iso_utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


# --------------------------------------------------------------------------------------------------
# X.509 certificate, read raw.
# --------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class RawExtension:
    oid: str
    critical: bool
    data: bytes


@dataclasses.dataclass
class Certificate:
    der: bytes
    tbs: bytes
    version: int
    serial: bytes
    issuer_der: bytes
    issuer: list[dict[str, str]]
    subject_der: bytes
    subject: list[dict[str, str]]
    not_before: datetime.datetime
    not_after: datetime.datetime
    spki_der: bytes
    signature_oid: str
    signature: bytes
    extensions: list[RawExtension]

    @property
    def self_signed(self) -> bool:
        return self.issuer_der == self.subject_der

    def extension(self, oid: str) -> RawExtension | None:
        return next((ext for ext in self.extensions if ext.oid == oid), None)


def parse_certificate(buf: bytes, outer: Tlv, warnings: list[str]) -> Certificate:
    """Parse the certificate whose outer SEQUENCE is ``outer``; raises DerError if its core is unreadable.

    Extensions are only split into (oid, critical, bytes) here; one bad extension is dropped with a
    warning and never costs the certificate.
    """
    if outer.tag != TAG_SEQUENCE:
        raise DerError('certificate: expected SEQUENCE at offset %d, found 0x%02x' % (outer.start, outer.tag))
    if outer.truncated:
        raise DerError('certificate at offset %d is truncated' % outer.start)
    parts = list(children(buf, outer))
    if len(parts) != 3:
        raise DerError('certificate at offset %d has %d parts, expected 3' % (outer.start, len(parts)))
    tbs_tlv, alg_tlv, sig_tlv = parts
    if tbs_tlv.tag != TAG_SEQUENCE or alg_tlv.tag != TAG_SEQUENCE or sig_tlv.tag != TAG_BIT_STRING:
        raise DerError('certificate at offset %d: unexpected part tags' % outer.start)
    signature_oid = decode_oid(value(buf, expect(buf, alg_tlv.value_start, alg_tlv.end, TAG_OID,
                                                 'signatureAlgorithm')))
    sig_bytes = value(buf, sig_tlv)
    if not sig_bytes:
        raise DerError('empty signature BIT STRING at offset %d' % sig_tlv.start)

    fields = list(children(buf, tbs_tlv))
    index = 0
    version = 1
    if fields and fields[0].tag == TAG_CONTEXT_0:
        version_tlv = expect(buf, fields[0].value_start, fields[0].end, TAG_INTEGER, 'version')
        version = int.from_bytes(value(buf, version_tlv), 'big') + 1
        index = 1
    if len(fields) < index + 6:
        raise DerError('tbsCertificate at offset %d has too few fields' % tbs_tlv.start)
    serial_tlv, _sig_alg, issuer_tlv, validity_tlv, subject_tlv, spki_tlv = fields[index:index + 6]
    for tlv, tag, what in ((serial_tlv, TAG_INTEGER, 'serialNumber'), (issuer_tlv, TAG_SEQUENCE, 'issuer'),
                           (validity_tlv, TAG_SEQUENCE, 'validity'), (subject_tlv, TAG_SEQUENCE, 'subject'),
                           (spki_tlv, TAG_SEQUENCE, 'subjectPublicKeyInfo')):
        if tlv.tag != tag:
            raise DerError('%s: expected tag 0x%02x, found 0x%02x at offset %d' % (what, tag, tlv.tag, tlv.start))
    times = list(children(buf, validity_tlv))
    if len(times) != 2:
        raise DerError('validity at offset %d does not hold two times' % validity_tlv.start)

    extensions: list[RawExtension] = []
    for extra in fields[index + 6:]:
        if extra.tag == TAG_CONTEXT_3:
            extensions = parse_extensions(buf, extra, warnings)
    return Certificate(
        der=buf[outer.start:outer.end],
        tbs=buf[tbs_tlv.start:tbs_tlv.end],
        version=version,
        serial=value(buf, serial_tlv),
        issuer_der=buf[issuer_tlv.start:issuer_tlv.end],
        issuer=parse_name(buf, issuer_tlv, warnings),
        subject_der=buf[subject_tlv.start:subject_tlv.end],
        subject=parse_name(buf, subject_tlv, warnings),
        not_before=decode_time(times[0].tag, value(buf, times[0])),
        not_after=decode_time(times[1].tag, value(buf, times[1])),
        spki_der=buf[spki_tlv.start:spki_tlv.end],
        signature_oid=signature_oid,
        # BIT STRING: the first content byte counts unused bits, always 0 for RSA signatures.
        signature=sig_bytes[1:],
        extensions=extensions,
    )


def parse_extensions(buf: bytes, wrapper: Tlv, warnings: list[str]) -> list[RawExtension]:
    sequence = expect(buf, wrapper.value_start, wrapper.end, TAG_SEQUENCE, 'extensions')
    found: list[RawExtension] = []
    for entry in children(buf, sequence):
        try:
            found.append(parse_extension(buf, entry))
        except DerError as exc:
            warnings.append('extension at offset %d skipped: %s' % (entry.start, exc))
    return found


def parse_extension(buf: bytes, entry: Tlv) -> RawExtension:
    parts = list(children(buf, entry))
    if entry.tag != TAG_SEQUENCE or not 2 <= len(parts) <= 3:
        raise DerError('not an Extension SEQUENCE')
    if parts[0].tag != TAG_OID:
        raise DerError('extension without OID')
    oid = decode_oid(value(buf, parts[0]))
    critical = False
    if len(parts) == 3:
        if parts[1].tag != TAG_BOOLEAN:
            raise DerError('extension %s: bad critical flag' % oid)
        critical = value(buf, parts[1]) != b'\x00'
    if parts[-1].tag != TAG_OCTET_STRING:
        raise DerError('extension %s: extnValue is not an OCTET STRING' % oid)
    return RawExtension(oid, critical, value(buf, parts[-1]))


def parse_name(buf: bytes, name: Tlv, warnings: list[str]) -> list[dict[str, str]]:
    """Flatten a Name into [{type, oid, value}] in stored order (licence servers use one multi-valued RDN)."""
    attributes: list[dict[str, str]] = []
    for rdn in children(buf, name):
        if rdn.tag != TAG_SET:
            raise DerError('Name at offset %d: RDN is not a SET' % rdn.start)
        for pair in children(buf, rdn):
            items = list(children(buf, pair))
            if pair.tag != TAG_SEQUENCE or len(items) != 2 or items[0].tag != TAG_OID:
                raise DerError('Name at offset %d: bad attribute' % pair.start)
            oid = decode_oid(value(buf, items[0]))
            attributes.append({'type': ATTRIBUTE_TYPES.get(oid, oid), 'oid': oid,
                               'value': decode_directory_string(items[1].tag, value(buf, items[1]), warnings)})
    return attributes


def decode_directory_string(tag: int, data: bytes, warnings: list[str]) -> str:
    codec = STRING_DECODERS.get(tag)
    if codec is None:
        return '#' + data.hex()
    if codec == 'utf-16-be' and len(data) % 2:
        warnings.append('odd BMPString length %d; last byte dropped' % len(data))
        data = data[:-1]
    text = data.decode(codec, errors='replace')
    if '\ufffd' in text:
        warnings.append('undecodable characters in a name attribute: %s' % data.hex())
    return text


def name_text(attributes: list[dict[str, str]]) -> str:
    # Control characters (the SERIALNUMBER ends in CRLF) are escaped so the text stays on one line.
    return '+'.join('%s=%s' % (attr['type'], attr['value'].encode('unicode_escape').decode('ascii'))
                    for attr in attributes)


def name_value(attributes: list[dict[str, str]], attr_type: str) -> str | None:
    return next((attr['value'] for attr in attributes if attr['type'] == attr_type), None)


def serial_text(serial: bytes) -> str:
    return '0x' + serial.hex().upper()


# --------------------------------------------------------------------------------------------------
# Microsoft extension payloads: raw little-endian structures, not ASN.1.
# --------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------
# Reports per certificate.
# --------------------------------------------------------------------------------------------------

def certificate_base(cert: Certificate) -> dict[str, t.Any]:
    return {
        'serial': serial_text(cert.serial),
        'subject': name_text(cert.subject),
        'subject_attributes': cert.subject,
        'issuer': name_text(cert.issuer),
        'issuer_attributes': cert.issuer,
        'valid_from': iso_utc(cert.not_before),
        'valid_to': iso_utc(cert.not_after),
        'x509_version': cert.version,
    }


def extension_reports(cert: Certificate, decoded: dict[str, t.Any], warnings: list[str]) -> list[dict[str, t.Any]]:
    """Decode each extension on its own; results go into ``decoded``, failures into the entry + warnings."""
    reports = []
    for ext in cert.extensions:
        entry: dict[str, t.Any] = {'oid': ext.oid, 'name': EXTENSION_NAMES.get(ext.oid, 'unknown'),
                                   'critical': ext.critical}
        try:
            if ext.oid == OID_CERT_VERSION:
                decoded['cert_version'] = decode_cert_version(ext.data, warnings)
            elif ext.oid == OID_MANUFACTURER:
                decoded['company'] = utf16z(ext.data, 'manufacturer', warnings)
            elif ext.oid == OID_PRODUCT_INFO:
                decoded.update(decode_product_info(ext.data, warnings))
            elif ext.oid == OID_SERVER_INFO:
                decoded.update(decode_server_info(ext.data, warnings))
            elif ext.oid == OID_AUTHORITY_KEY_ID:
                # Malformed by design of the licence server: always keep the raw bytes.
                entry['raw_hex'] = ext.data.hex()
                entry.update(decode_authority_key_id(ext.data))
            elif ext.oid == OID_BASIC_CONSTRAINTS:
                entry.update(decode_basic_constraints(ext.data))
            else:
                entry['raw_hex'] = ext.data.hex()
        except (DerError, struct.error) as exc:
            entry['raw_hex'] = ext.data.hex()
            entry['error'] = str(exc)
            if ext.oid != OID_AUTHORITY_KEY_ID:
                warnings.append('extension %s (%s) not decoded: %s' % (ext.oid, entry['name'], exc))
        reports.append(entry)
    return reports


def hardware_id_report(cert: Certificate, warnings: list[str]) -> dict[str, t.Any] | None:
    encoded = name_value(cert.subject, 'SERIALNUMBER')
    if encoded is None:
        return None
    text = encoded.strip()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        warnings.append('subject SERIALNUMBER is not base64: %r' % encoded)
        return {'base64': text, 'hex': None, 'size': None}
    return {'base64': text, 'hex': raw.hex(), 'size': len(raw)}


def license_report(cert: Certificate, issuer: Certificate | None, now: datetime.datetime,
                   warnings: list[str]) -> dict[str, t.Any]:
    decoded: dict[str, t.Any] = {
        'license_server': None, 'server_id': None, 'scope': None, 'company': None, 'cert_version': None,
        'requested_product_id': None, 'adjusted_product_id': None, 'licensed_version': None,
        'licensed_versions': [], 'flags': None, 'temporary': None,
    }
    report = certificate_base(cert)
    report['extensions'] = extension_reports(cert, decoded, warnings)
    report.update(decoded)
    # Fallbacks from the names when 18.6 is missing or unreadable (issuer CN/L name the server/scope).
    if report['license_server'] is None:
        report['license_server'] = name_value(cert.issuer, 'CN')
    if report['scope'] is None:
        report['scope'] = name_value(cert.issuer, 'L')
    report['issued_to_machine'] = name_value(cert.subject, 'CN')
    report['issued_to_user'] = name_value(cert.subject, 'L')
    report['hardware_id'] = hardware_id_report(cert, warnings)
    report['lifetime_days'] = round((cert.not_after - cert.not_before).total_seconds() / 86400, 2)
    report['expired'] = cert.not_after < now
    report['not_yet_valid'] = cert.not_before > now
    report['signature'] = signature_report(cert, issuer)
    if report['temporary'] is None:
        warnings.append('licence %s: no licensed version info, temporary/permanent unknown' % report['serial'])
    return report


def chain_report(cert: Certificate, issuer: Certificate | None, warnings: list[str]) -> dict[str, t.Any]:
    report = certificate_base(cert)
    report['self_signed'] = cert.self_signed
    report['signature'] = signature_report(cert, issuer)
    report['extensions'] = extension_reports(cert, {}, warnings)
    return report


def find_issuer(cert: Certificate, pool: list[Certificate]) -> Certificate | None:
    if cert.self_signed:
        return cert
    return next((other for other in pool if other is not cert and other.subject_der == cert.issuer_der), None)


def signature_report(cert: Certificate, issuer: Certificate | None) -> dict[str, t.Any]:
    """Informational only: never affects the status of the decode."""
    name, hash_name = SIGNATURE_ALGORITHMS.get(cert.signature_oid, (cert.signature_oid, None))
    report: dict[str, t.Any] = {'algorithm': name, 'algorithm_oid': cert.signature_oid}
    if issuer is None:
        report['result'] = 'unknown_issuer'
        return report
    if hash_name is None:
        report.update(result='unavailable', detail='unsupported signature algorithm')
        return report
    try:
        # Lazy: cryptography is optional for this informational check.
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
    except ImportError:
        report.update(result='unavailable', detail='cryptography is not installed')
        return report
    try:
        key = serialization.load_der_public_key(issuer.spki_der)
        if not isinstance(key, rsa.RSAPublicKey):
            report.update(result='unavailable', detail='issuer key is not RSA')
            return report
        key.verify(cert.signature, cert.tbs, padding.PKCS1v15(), getattr(hashes, hash_name)())
        report['result'] = 'valid'
    except InvalidSignature:
        report['result'] = 'invalid'
    except Exception as exc:  # noqa: BLE001 - any key/backend problem only makes the check unavailable
        report.update(result='unavailable', detail='%s: %s' % (type(exc).__name__, exc))
    return report


# --------------------------------------------------------------------------------------------------
# Containers: PKCS#7, bare certificate, NEW_LICENSE_INFO.
# --------------------------------------------------------------------------------------------------

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
    if now is None:
        return datetime.datetime.now(datetime.timezone.utc)
    if now.tzinfo is None:
        # A naive reference time is taken as UTC, like every time in a licence.
        return now.replace(tzinfo=datetime.timezone.utc)
    return now


def parse_reference_time(text: str) -> datetime.datetime:
    """An ISO 8601 reference time (``2007-07-01``, ``2007-07-01T12:00:00Z``, ...); naive means UTC."""
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ValueError('reference time %r is not ISO 8601 (e.g. 2007-07-01T12:00:00Z)' % (text,)) from None
    return utc_now(moment)


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


# --------------------------------------------------------------------------------------------------
# ClientHWID and whole .reg documents.
# --------------------------------------------------------------------------------------------------

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


REG_FILE_HEADERS = (b'Windows Registry Editor Version 5.00', b'REGEDIT4')


def looks_like_reg_file(data: bytes) -> bool:
    """True when ``data`` starts like a .reg export (UTF-16LE with BOM, UTF-8 or ANSI), not a licence blob."""
    # UTF-16LE text has NULs between ASCII letters; dropping them makes all encodings comparable.
    head = data[:200].replace(b'\x00', b'').lstrip(b'\xff\xfe\xef\xbb\xbf \t\r\n')
    return head.startswith(REG_FILE_HEADERS)


LICENSE_KEY = re.compile(r'^store\\(license\d+)$', re.IGNORECASE)
HARDWARE_KEY = 'hardwareid'
REG_BINARY = 3


def decode_store(doc: t.Any, now: datetime.datetime | None = None) -> dict[str, t.Any]:
    """Decode every licence and hardware id of the MSLicensing roots in a parsed .reg document."""
    from ._regfile import MSLICENSING_ROOTS, normalize_key, relative_path

    result: dict[str, t.Any] = {'licenses': [], 'hardware_ids': [], 'warnings': [], 'status': 'undecodable'}
    for key in doc.keys:
        if key.delete:
            continue
        try:
            path = normalize_key(key.path)
        except ValueError as exc:
            result['warnings'].append('key %r skipped: %s' % (key.path, exc))
            continue
        relative = next((rel for rel in (relative_path(path, root) for root in MSLICENSING_ROOTS) if rel), None)
        if relative is None:
            continue
        match = LICENSE_KEY.match(relative)
        if match:
            result['licenses'].append(store_license_entry(key, path, match.group(1), now, result['warnings']))
        elif relative.lower() == HARDWARE_KEY:
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
    license_value = find_value(key, 'ClientLicense')
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
    hwid_value = find_value(key, 'ClientHWID')
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
        if (val.name or '').lower() == 'clientlicense':
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
