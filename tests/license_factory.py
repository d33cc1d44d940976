"""Test-only generator of synthetic client licences (ClientLicense blobs) with chosen values.

Follows the layout of the real [MS-RDPELE] sample (see ../shared/docs/client-license-format.md §9):
certs-only PKCS#7, licence-server certificate(s) then the client licence(s), BMPString multi-valued RDNs,
OIW sha1WithRSA signatures, critical Microsoft extensions 18.4/18.2/18.5/18.6 and the licence server's
malformed AuthorityKeyIdentifier. The DER is written by hand here on purpose: the decoder under test must
not share an encoder with its own reader.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import functools
import struct
import typing as t

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

OID_CN = '2.5.4.3'
OID_L = '2.5.4.7'
OID_SERIALNUMBER = '2.5.4.5'
OID_OIW_SHA1_RSA = '1.3.14.3.2.29'
OID_RSA = '1.2.840.113549.1.1.1'
OID_SIGNED_DATA = '1.2.840.113549.1.7.2'
OID_DATA = '1.2.840.113549.1.7.1'

UTC = datetime.timezone.utc


# --- DER writer -------------------------------------------------------------------------------------

def tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        header = bytes([size])
    else:
        encoded = size.to_bytes((size.bit_length() + 7) // 8, 'big')
        header = bytes([0x80 | len(encoded)]) + encoded
    return bytes([tag]) + header + content


def seq(*parts: bytes) -> bytes:
    return tlv(0x30, b''.join(parts))


def der_set(*parts: bytes) -> bytes:
    # DER sorts SET OF elements by their encoding: the sample's names are ordered this way.
    return tlv(0x31, b''.join(sorted(parts)))


def oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split('.')]
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


def integer(number: int) -> bytes:
    return tlv(0x02, number.to_bytes(number.bit_length() // 8 + 1, 'big'))


def bmp(text: str) -> bytes:
    return tlv(0x1E, text.encode('utf-16-be'))


def utc_time(moment: datetime.datetime) -> bytes:
    if 1950 <= moment.year < 2050:
        return tlv(0x17, moment.strftime('%y%m%d%H%M%SZ').encode('ascii'))
    return tlv(0x18, moment.strftime('%Y%m%d%H%M%SZ').encode('ascii'))


def utf16z(text: str) -> bytes:
    return (text + '\x00').encode('utf-16-le')


def name(*attributes: tuple[str, str]) -> bytes:
    """One multi-valued RDN of BMPStrings, like the licence server writes."""
    return seq(der_set(*(seq(oid(attr_oid), bmp(text)) for attr_oid, text in attributes)))


def extension(extn_oid: str, payload: bytes, critical: bool = True) -> bytes:
    flag = tlv(0x01, b'\xff') if critical else b''
    return seq(oid(extn_oid), flag, tlv(0x04, payload))


# --- Microsoft extension payloads -------------------------------------------------------------------

def product_info(requested: str, adjusted: str, versions: list[tuple[int, int, int]], *, platform: int = 0xFF,
                 language: int = 0x0400, count: int = 1, version: int = 0x3000) -> bytes:
    requested_bytes, adjusted_bytes = utf16z(requested), utf16z(adjusted)
    rq_off = 28
    adj_off = rq_off + len(requested_bytes)
    lvi_off = adj_off + len(adjusted_bytes)
    header = struct.pack('<IIIIHHHHHH', version, count, platform, language, rq_off, len(requested_bytes),
                         adj_off, len(adjusted_bytes), lvi_off, len(versions))
    lvis = b''.join(struct.pack('<HHI', major, minor, flags) for major, minor, flags in versions)
    # Both real samples end with four zero bytes after the LVI.
    return header + requested_bytes + adjusted_bytes + lvis + b'\x00' * 4


def server_info(server: str, server_id: str | None, scope: str) -> bytes:
    """Version 1 (0x1000) when server_id is None, else version 2 (0x3000)."""
    name_bytes, scope_bytes = utf16z(server), utf16z(scope)
    if server_id is None:
        return struct.pack('<IHH', 0x1000, 0, len(name_bytes)) + name_bytes + scope_bytes
    id_bytes = utf16z(server_id)
    return (struct.pack('<IHHH', 0x3000, 0, len(name_bytes), len(name_bytes) + len(id_bytes))
            + name_bytes + id_bytes + scope_bytes)


def malformed_aki(issuer_name: str, serial: int) -> bytes:
    # [1]{[4] raw UTF-16LE string} [2] serial: a raw string where a Name belongs, as the real server writes.
    return seq(tlv(0xA1, tlv(0xA4, utf16z(issuer_name))), tlv(0x82, serial.to_bytes(5, 'big')))


# --- certificates -----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def rsa_key(label: str) -> rsa.RSAPrivateKey:
    """One cached 1024-bit key per label: small keys keep the suite fast; the decoder does not care."""
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def spki(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def certificate(*, serial: int, issuer: bytes, subject: bytes, not_before: datetime.datetime,
                not_after: datetime.datetime, subject_key: rsa.RSAPrivateKey, signing_key: rsa.RSAPrivateKey,
                extensions: list[bytes]) -> bytes:
    algorithm = seq(oid(OID_OIW_SHA1_RSA), tlv(0x05, b''))
    tbs = seq(tlv(0xA0, integer(2)), integer(serial), algorithm, issuer, seq(utc_time(not_before),
              utc_time(not_after)), subject, spki(subject_key), tlv(0xA3, seq(*extensions)))
    signature = signing_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    return seq(tbs, algorithm, tlv(0x03, b'\x00' + signature))


@dataclasses.dataclass
class LicenseSpec:
    """Values of one client licence certificate; defaults describe a permanent Windows 10+ CAL."""
    machine: str = 'WS-0042'
    user: str = 'alice'
    server: str = 'LICSRV01'
    server_id: str | None = '00429-123-4567890-12345'
    scope: str = 'CONTOSO'
    company: str = 'Microsoft Corporation'
    requested: str = 'A02'
    adjusted: str = 'A02-10.00-S'
    versions: list[tuple[int, int, int]] = dataclasses.field(default_factory=lambda: [(10, 0, 0x00808000)])
    platform: int = 0xFF
    language: int = 0x0409
    cert_version: int = 0x00050001
    serial: int = 0x0200000001
    hwid: bytes = bytes(range(1, 21))
    not_before: datetime.datetime = datetime.datetime(2024, 3, 1, 8, 0, 0, tzinfo=UTC)
    not_after: datetime.datetime = datetime.datetime(2024, 5, 9, 8, 0, 0, tzinfo=UTC)


@dataclasses.dataclass
class ServerSpec:
    server: str = 'LICSRV01'
    scope: str = 'CONTOSO'
    serial: int = 0x01ABCDEF01
    not_before: datetime.datetime = datetime.datetime(1990, 1, 1, tzinfo=UTC)
    not_after: datetime.datetime = datetime.datetime(2060, 1, 1, tzinfo=UTC)


def license_certificate(spec: LicenseSpec, issuer_name: bytes, signing_key: rsa.RSAPrivateKey,
                        *, tamper: bool = False) -> bytes:
    subject = name((OID_CN, spec.machine), (OID_L, spec.user),
                   (OID_SERIALNUMBER, base64.b64encode(spec.hwid).decode('ascii') + '\r\n'))
    extensions = [
        extension('1.3.6.1.4.1.311.18.4', struct.pack('<I', spec.cert_version)),
        extension('1.3.6.1.4.1.311.18.2', utf16z(spec.company)),
        extension('1.3.6.1.4.1.311.18.5', product_info(spec.requested, spec.adjusted, spec.versions,
                                                       platform=spec.platform, language=spec.language)),
        extension('1.3.6.1.4.1.311.18.6', server_info(spec.server, spec.server_id, spec.scope)),
        extension('2.5.29.35', malformed_aki(spec.server, spec.serial)),
    ]
    der = certificate(serial=spec.serial, issuer=issuer_name, subject=subject, not_before=spec.not_before,
                      not_after=spec.not_after, subject_key=rsa_key('client'), signing_key=signing_key,
                      extensions=extensions)
    if tamper:
        # Flip one byte of the machine name inside the signed part: structure intact, signature wrong.
        marker = spec.machine.encode('utf-16-be')
        index = der.index(marker)
        der = der[:index] + bytes([der[index] ^ 0x01]) + der[index + 1:]
    return der


def chain_certificates(server: ServerSpec, depth: int) -> tuple[list[bytes], bytes, rsa.RSAPrivateKey]:
    """Root-first CA chain ending with the licence server: (certificates, server name DER, server key).

    depth 1 = a self-signed licence server (as in the real sample); more adds clearing-house-like CAs.
    """
    basic_constraints = extension('2.5.29.19', seq(tlv(0x01, b'\xff'), integer(0)), critical=False)
    certs: list[bytes] = []
    issuer_name: bytes | None = None
    issuer_key: rsa.RSAPrivateKey | None = None
    for level in range(depth):
        is_server = level == depth - 1
        subject = name((OID_CN, server.server if is_server else 'Clearing House CA %d' % level),
                       (OID_L, server.scope if is_server else 'Microsoft'))
        key = rsa_key('server' if is_server else 'ca-%d' % level)
        certs.append(certificate(serial=server.serial + level, issuer=issuer_name or subject, subject=subject,
                                 not_before=server.not_before, not_after=server.not_after, subject_key=key,
                                 signing_key=issuer_key or key, extensions=[basic_constraints]))
        issuer_name, issuer_key = subject, key
    assert issuer_name is not None and issuer_key is not None
    return certs, issuer_name, issuer_key


def pkcs7(certificates: list[bytes]) -> bytes:
    """A certs-only SignedData: version 1, empty digestAlgorithms and signerInfos, id-data content."""
    signed_data = seq(integer(1), der_set(), seq(oid(OID_DATA)), tlv(0xA0, b''.join(certificates)), der_set())
    return seq(oid(OID_SIGNED_DATA), tlv(0xA0, signed_data))


def build_client_license(licenses: list[LicenseSpec] | None = None, *, server: ServerSpec | None = None,
                         chain_depth: int = 1, tamper: bool = False) -> bytes:
    server = server or ServerSpec()
    chain, issuer_name, issuer_key = chain_certificates(server, chain_depth)
    leaves = [license_certificate(spec, issuer_name, issuer_key, tamper=tamper)
              for spec in (licenses or [LicenseSpec()])]
    return pkcs7(chain + leaves)


def new_license_info(license_info: bytes, *, version: int = 0x000A0000, scope: str = 'microsoft.com',
                     company: str = 'Microsoft Corporation', product_id: str = 'A02') -> bytes:
    fields = [scope.encode('ascii') + b'\x00', utf16z(company), utf16z(product_id), license_info]
    return struct.pack('<I', version) + b''.join(struct.pack('<I', len(field)) + field for field in fields)


def expected_fields(spec: LicenseSpec) -> dict[str, t.Any]:
    """What the decoder must report for ``spec`` (the read-back half of the round trip)."""
    major, minor, flags = spec.versions[0]
    return {
        'issued_to_machine': spec.machine,
        'issued_to_user': spec.user,
        'license_server': spec.server,
        'server_id': spec.server_id,
        'scope': spec.scope,
        'company': spec.company,
        'requested_product_id': spec.requested,
        'adjusted_product_id': spec.adjusted,
        'licensed_version': '%d.%d' % (major, minor),
        'temporary': bool(flags & 0x80000000),
        'cert_version': '0x%08X' % spec.cert_version,
        'platform_id': '0x%08X' % spec.platform,
        'language_id': '0x%04X' % spec.language,
        'serial': '0x' + spec.serial.to_bytes(spec.serial.bit_length() // 8 + 1, 'big').hex().upper(),
        'valid_from': spec.not_before.strftime('%Y-%m-%dT%H:%M:%SZ'),
        'valid_to': spec.not_after.strftime('%Y-%m-%dT%H:%M:%SZ'),
        'hardware_id': {'base64': base64.b64encode(spec.hwid).decode('ascii'), 'hex': spec.hwid.hex(),
                        'size': len(spec.hwid)},
    }
