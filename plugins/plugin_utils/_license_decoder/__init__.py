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

Layout: ``_der`` (the DER reader), ``_x509`` (certificates read raw), ``_ms_extensions`` (the Microsoft
payloads), ``_reports`` (one report per certificate), ``_containers`` (PKCS#7, certificate,
NEW_LICENSE_INFO), ``_store`` (ClientHWID and .reg documents). Only the names below are for use outside.
"""

from __future__ import annotations

from ._containers import MAX_INPUT_SIZE, decode_client_license, parse_reference_time
from ._store import decode_hwid, decode_store, looks_like_reg_file

__all__ = ['MAX_INPUT_SIZE', 'decode_client_license', 'decode_hwid', 'decode_store', 'looks_like_reg_file',
           'parse_reference_time']
