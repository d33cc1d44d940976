# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""X.509 certificates read raw: the licence certificate's AuthorityKeyIdentifier is malformed, so strict X.509
parsers reject it; extensions are only split into (oid, critical, bytes) here."""

from __future__ import annotations

import dataclasses
import datetime
import functools

from ._der import (
    TAG_BIT_STRING, TAG_BOOLEAN, TAG_CONTEXT_0, TAG_CONTEXT_3, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID,
    TAG_SEQUENCE, TAG_SET, DerError, Tlv, children, decode_oid, decode_time, expect, read_tlv, value,
)

ATTRIBUTE_TYPES = {
    '2.5.4.3': 'CN',
    '2.5.4.5': 'SERIALNUMBER',
    '2.5.4.6': 'C',
    '2.5.4.7': 'L',
    '2.5.4.8': 'ST',
    '2.5.4.10': 'O',
    '2.5.4.11': 'OU',
}

STRING_DECODERS = {
    0x0C: 'utf-8',       # UTF8String
    0x13: 'ascii',       # PrintableString
    0x14: 'latin-1',     # TeletexString (close enough for display)
    0x16: 'ascii',       # IA5String
    0x1C: 'utf-32-be',   # UniversalString
    0x1E: 'utf-16-be',   # BMPString: what licence servers write
}


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
    warning and never costs the certificate. Read-only for callers: a clean certificate is shared.
    """
    if outer.tag == TAG_SEQUENCE and not outer.truncated:
        clean = _clean_certificate(buf[outer.start:outer.end])
        if clean is not None:
            return clean
    # Anything odd is read in place, so that errors and warnings name offsets in the whole blob.
    return _read_certificate(buf, outer, warnings)


@functools.lru_cache(maxsize=1024)
def _clean_certificate(der: bytes) -> Certificate | None:
    # Cached by the certificate's bytes: every licence of a fleet carries its server's same chain.
    warnings: list[str] = []
    try:
        cert = _read_certificate(der, read_tlv(der, 0, len(der)), warnings)
    except DerError:
        return None
    return None if warnings else cert


def _read_certificate(buf: bytes, outer: Tlv, warnings: list[str]) -> Certificate:
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
    try:
        attributes, found = _parsed_name(buf[name.start:name.end])
    except DerError:
        # Read it again in place, so that the error names the offset in the whole blob.
        _read_name(buf, name, [])
        raise
    warnings.extend(found)
    return [{'type': ATTRIBUTE_TYPES.get(oid, oid), 'oid': oid, 'value': text} for oid, text in attributes]


@functools.lru_cache(maxsize=1024)
def _parsed_name(der: bytes) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    # Cached by the Name's bytes: every licence of a fleet repeats its server's names (issuer, chain).
    warnings: list[str] = []
    attributes = _read_name(der, read_tlv(der, 0, len(der)), warnings)
    return tuple(attributes), tuple(warnings)


def _read_name(buf: bytes, name: Tlv, warnings: list[str]) -> list[tuple[str, str]]:
    attributes: list[tuple[str, str]] = []
    for rdn in children(buf, name):
        if rdn.tag != TAG_SET:
            raise DerError('Name at offset %d: RDN is not a SET' % rdn.start)
        for pair in children(buf, rdn):
            items = list(children(buf, pair))
            if pair.tag != TAG_SEQUENCE or len(items) != 2 or items[0].tag != TAG_OID:
                raise DerError('Name at offset %d: bad attribute' % pair.start)
            attributes.append((decode_oid(value(buf, items[0])),
                               decode_directory_string(items[1].tag, value(buf, items[1]), warnings)))
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
