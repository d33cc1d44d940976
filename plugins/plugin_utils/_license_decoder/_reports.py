# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The report of each certificate: a licence (with its Microsoft extensions decoded) or a chain certificate,
and the informational signature check."""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import struct
import typing as t

from ._der import DerError, iso_utc
from ._ms_extensions import (
    EXTENSION_NAMES, OID_AUTHORITY_KEY_ID, OID_BASIC_CONSTRAINTS, OID_CERT_VERSION, OID_MANUFACTURER,
    OID_PRODUCT_INFO, OID_SERVER_INFO, decode_authority_key_id, decode_basic_constraints, decode_cert_version,
    decode_product_info, decode_server_info, utf16z,
)
from ._x509 import Certificate, name_text, name_value, serial_text

SIGNATURE_ALGORITHMS = {
    # oid: (display name, hashlib-style hash name for cryptography)
    '1.3.14.3.2.29': ('sha1WithRSA (OIW)', 'SHA1'),
    '1.2.840.113549.1.1.5': ('sha1WithRSAEncryption', 'SHA1'),
    '1.2.840.113549.1.1.11': ('sha256WithRSAEncryption', 'SHA256'),
    '1.2.840.113549.1.1.12': ('sha384WithRSAEncryption', 'SHA384'),
    '1.2.840.113549.1.1.13': ('sha512WithRSAEncryption', 'SHA512'),
}


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
        import cryptography  # noqa: F401  pylint: disable=unused-import
    except ImportError:
        report.update(result='unavailable', detail='cryptography is not installed')
        return report
    result, detail = _verified(issuer.spki_der, hash_name, cert.signature, cert.tbs)
    report['result'] = result
    if detail:
        report['detail'] = detail
    return report


@functools.lru_cache(maxsize=1024)
def _verified(spki_der: bytes, hash_name: str, signature: bytes, tbs: bytes) -> tuple[str, str | None]:
    """(result, detail) of one RSA signature check; cached by its inputs, since every licence of a fleet
    carries its license server's same chain certificates."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    try:
        key = serialization.load_der_public_key(spki_der)
        if not isinstance(key, rsa.RSAPublicKey):
            return 'unavailable', 'issuer key is not RSA'
        key.verify(signature, tbs, padding.PKCS1v15(), getattr(hashes, hash_name)())
        return 'valid', None
    except InvalidSignature:
        return 'invalid', None
    except Exception as exc:  # noqa: BLE001 - any key/backend problem only makes the check unavailable
        return 'unavailable', '%s: %s' % (type(exc).__name__, exc)
