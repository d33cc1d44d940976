# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""``tscal-decode FILE.reg|FILE.bin [--json] [--now ISO]``: print stored client licences like TSCTST.EXE.

A ``.reg`` export (UTF-16LE or UTF-8, v5 or REGEDIT4) is recognised by its header; anything else is read as
one licence blob (PKCS#7, bare certificate or NEW_LICENSE_INFO). ``--json`` prints the decoder's result
with sorted keys. Exit status: 0 all decoded, 1 partial (decoded with warnings), 2 nothing decodable or the
file could not be read.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import typing as t

from . import _license_decoder, _regfile

EXIT_CODES = {'decoded': 0, 'partial': 1, 'undecodable': 2}
EXIT_UNREADABLE = 2
MAX_FILE_SIZE = _regfile.MAX_INPUT


def read_input(path: str) -> bytes:
    with open(path, 'rb') as handle:
        data = handle.read(MAX_FILE_SIZE + 1)
    if len(data) > MAX_FILE_SIZE:
        raise ValueError('%s is larger than %d bytes' % (path, MAX_FILE_SIZE))
    return data


def decode_file(path: str, now: datetime.datetime | None) -> dict[str, t.Any]:
    """The decoder's result for the file; OSError/ValueError (incl. RegFileError) when it cannot be read."""
    data = read_input(path)
    if _license_decoder.looks_like_reg_file(data):
        return _license_decoder.decode_store(_regfile.parse_reg(data, path), now)
    return _license_decoder.decode_client_license(data, now)


# --------------------------------------------------------------------------------------------------
# Human-readable summary, labels as TSCTST.EXE printed them where it had the field.
# --------------------------------------------------------------------------------------------------

def describe_flags(lic: dict[str, t.Any]) -> str:
    flags = lic.get('flags')
    if not flags:
        return 'unknown'
    text = flags['value']
    details = list(flags['names'])
    if flags['unknown'] != '0x00000000':
        details.append('unknown bits %s' % flags['unknown'])
    return '%s (%s)' % (text, ', '.join(details)) if details else text


def licence_type(lic: dict[str, t.Any]) -> str:
    if lic.get('temporary') is None:
        return 'unknown (no licensed version info; lifetime %s days)' % lic.get('lifetime_days')
    return 'temporary' if lic['temporary'] else 'permanent'


def licensed_version(lic: dict[str, t.Any]) -> str:
    versions = lic.get('licensed_versions') or []
    if not versions:
        return 'unknown'
    first = versions[0]
    return '%04d.%04d, Flag %s' % (first['major'], first['minor'], describe_flags(lic))


def licence_lines(lic: dict[str, t.Any]) -> list[str]:
    hwid = lic.get('hardware_id') or {}
    signature = lic['signature']
    expiry = lic['valid_to'] + (' (expired)' if lic['expired'] else '')
    fields = [
        ('TS Certificate Version', lic.get('cert_version')),
        ('Company Name', lic.get('company')),
        ('Issuer', lic.get('license_server')),
        ('Server ID', lic.get('server_id')),
        ('Scope', lic.get('scope')),
        ('Issued to machine', lic.get('issued_to_machine')),
        ('Issued to user', lic.get('issued_to_user')),
        ('Client Platform ID', lic.get('platform_id')),
        ('TS Locale ID', lic.get('language_id')),
        ('License ID', '%s (requested %s)' % (lic.get('adjusted_product_id'), lic.get('requested_product_id'))),
        ('Licensed Product Version', licensed_version(lic)),
        ('License type', licence_type(lic)),
        ('Valid from', lic['valid_from']),
        ('Expires on', expiry),
        ('Encoded HWID (opaque)', '%s (%s)' % (hwid.get('base64'), hwid.get('hex')) if hwid else None),
        ('Serial', lic['serial']),
        ('Signature', '%s (%s)' % (signature['result'], signature['algorithm'])),
    ]
    return ['    %-25s %s' % (label + ':', '-' if value is None else value) for label, value in fields]


def chain_line(cert: dict[str, t.Any]) -> str:
    return '    Chain: %s, serial %s, %s .. %s%s, signature %s' % (
        cert['subject'], cert['serial'], cert['valid_from'], cert['valid_to'],
        ', self-signed' if cert['self_signed'] else '', cert['signature']['result'])


def blob_lines(result: dict[str, t.Any], indent: str = '') -> list[str]:
    lines = ['%sFormat: %s, %d bytes, sha256 %s' % (indent, result['format'], result['size'], result['sha256'])]
    info = result.get('new_license_info')
    if info:
        lines.append('%sNEW_LICENSE_INFO: version %s, scope %s, company %s, product %s'
                     % (indent, info['version_text'], info['scope'], info['company'], info['product_id']))
    for number, lic in enumerate(result['licenses']):
        lines.append('%sLicense certificate %d:' % (indent, number))
        lines.extend(indent + line for line in licence_lines(lic))
    lines.extend(indent + chain_line(cert) for cert in result['chain'])
    lines.extend('%s    Warning: %s' % (indent, warning) for warning in result['warnings'])
    lines.append('%sStatus: %s' % (indent, result['status']))
    return lines


def store_lines(result: dict[str, t.Any]) -> list[str]:
    lines = []
    for entry in result['hardware_ids']:
        decoded = entry['decoded']
        lines.append('HWID: %s  [%s]' % (decoded['text'] if decoded else '-', entry['key']))
        lines.extend('    Warning: %s' % warning for warning in (decoded or {}).get('warnings', []))
    for entry in result['licenses']:
        lines.append('')
        lines.append('%s  [%s]' % (entry['name'], entry['key']))
        for name, described in sorted(entry['index_values'].items()):
            lines.append('    Index value %s: %s' % (name, described.get('text_guess') or described.get('hex')
                                                     or described.get('value')))
        if entry['decoded'] is not None:
            lines.extend(blob_lines(entry['decoded'], indent='  '))
    lines.extend('Warning: %s' % warning for warning in result['warnings'])
    lines.append('')
    lines.append('Overall status: %s' % result['status'])
    return lines


def summary(result: dict[str, t.Any]) -> str:
    lines = store_lines(result) if 'hardware_ids' in result else blob_lines(result)
    return '\n'.join(lines) + '\n'


def reference_time(text: str) -> datetime.datetime:
    try:
        return _license_decoder.parse_reference_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='tscal-decode',
        description='Decode stored RDS/TS client licences (MSLicensing) like TSCTST.EXE.',
        epilog='Exit status: 0 decoded, 1 partial, 2 nothing decodable or unreadable file.')
    parser.add_argument('file', help='a .reg export of MSLicensing, or one ClientLicense blob (.bin/.p7b/.der)')
    parser.add_argument('--json', action='store_true', help='print the full result as JSON (sorted keys)')
    parser.add_argument('--now', type=reference_time, default=None,
                        help='reference time for expiry, ISO 8601 (default: now)')
    return parser


def main(argv: t.Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = decode_file(args.file, args.now)
    except (OSError, ValueError) as exc:
        print('tscal-decode: cannot read %s: %s' % (args.file, exc), file=sys.stderr)
        return EXIT_UNREADABLE
    if args.json:
        sys.stdout.write(json.dumps(result, sort_keys=True, indent=2) + '\n')
    else:
        sys.stdout.write(summary(result))
    return EXIT_CODES[result['status']]


if __name__ == '__main__':  # pragma: no cover - the scripts/bin wrapper is the entry point
    sys.exit(main())
