"""Test-only: client_license query results (the exact shape the action registers) built from synthetic
license stores made with tests/license_factory.py, and from the real Wine export.

Each store goes through the .reg codec and ``_client_license.summary`` - the same code the action runs on
a host's ``reg query`` output - so the report is tested on real result dicts, not hand-written ones.
"""

from __future__ import annotations

import datetime
import pathlib
import typing as t

import license_factory as lf
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license, _regfile

ROOT = _client_license.STORE_KEY
UTC = datetime.timezone.utc
# The report time of most tests: every synthetic validity is placed relative to it.
NOW = datetime.datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
HWID = bytes.fromhex('020000007d4eb2c01b6c4f2ea3914d05c87e21f9')
PERMANENT_FLAGS = 0x00808000
TEMPORARY_FLAGS = 0x80808000


def license(machine: str, days_left: float, *, temporary: bool = False, server: str = 'LICSRV01',
            serial: int = 0x0200000001, user: str = 'alice', lifetime_days: int = 90,
            versions: list[tuple[int, int, int]] | None = None) -> lf.LicenseSpec:
    """A license ending ``days_left`` days after NOW."""
    ends = NOW + datetime.timedelta(days=days_left)
    flags = TEMPORARY_FLAGS if temporary else PERMANENT_FLAGS
    return lf.LicenseSpec(machine=machine, user=user, server=server, serial=serial,
                          versions=versions if versions is not None else [(10, 0, flags)],
                          not_before=ends - datetime.timedelta(days=lifetime_days), not_after=ends)


def blob(*specs: lf.LicenseSpec, server: str | None = None) -> bytes:
    server_spec = lf.ServerSpec(server=server or specs[0].server)
    return lf.build_client_license(list(specs), server=server_spec)


def store(*client_licenses: bytes | None, hwid: bytes | None = HWID) -> _regfile.RegDocument:
    """An MSLicensing tree with LICENSE000, 001, ... holding these ClientLicense values (None: key without one)."""
    keys = [_regfile.RegKey(ROOT, ())]
    if hwid is not None:
        keys.append(_regfile.RegKey(ROOT + '\\HardwareID', (_regfile.RegValue('ClientHWID', _regfile.REG_BINARY,
                                                                              hwid),)))
    keys.append(_regfile.RegKey(ROOT + '\\Store', ()))
    for number, data in enumerate(client_licenses):
        values = [_regfile.RegValue('ProductID', _regfile.REG_BINARY, b'A\x000\x002\x00\x00\x00')]
        if data is not None:
            values.insert(0, _regfile.RegValue('ClientLicense', _regfile.REG_BINARY, data))
        keys.append(_regfile.RegKey(ROOT + '\\Store\\LICENSE%03d' % number, tuple(values)))
    # Through the writer and the reader, as a real export would be read.
    return _regfile.parse_reg(_regfile.write_reg(_regfile.RegDocument(tuple(keys))), 'synthetic.reg')


def real_store(fixtures: pathlib.Path) -> _regfile.RegDocument:
    path = fixtures / 'mslicensing-wine-export.reg'
    return _regfile.parse_reg(path.read_bytes(), str(path))


def query_result(views: t.Mapping[str, _regfile.RegDocument | None]) -> dict[str, t.Any]:
    """What ``client_license: {state: query}`` registers for a host whose views hold these stores."""
    return {'changed': False, 'module_executions': len(views),
            'views': {view: _client_license.summary(doc) for view, doc in views.items()}}


def fleet(fixtures: pathlib.Path) -> dict[str, dict[str, t.Any]]:
    """Every case the report distinguishes, one host each (plus one host holding several)."""
    return {
        'pc-permanent': query_result({'64': store(blob(license('PC-PERMANENT', 70))), '32': None}),
        'pc-temporary': query_result({'64': store(blob(license('PC-TEMPORARY', 60, temporary=True,
                                                               serial=0x0200000002))), '32': None}),
        'pc-expiring': query_result({'64': store(blob(license('PC-EXPIRING', 12, serial=0x0200000003))),
                                     '32': None}),
        'pc-expired': query_result({'64': store(blob(license('PC-EXPIRED', -3, serial=0x0200000004))),
                                    '32': None}),
        'pc-both-views': query_result({'64': store(blob(license('PC-BOTH', 45, serial=0x0200000005))),
                                       '32': store(blob(license('PC-BOTH', 45, serial=0x0200000005)))}),
        'pc-several': query_result({
            '64': store(blob(license('PC-SEVERAL', 80, serial=0x0200000006)),
                        blob(license('PC-SEVERAL', 20, temporary=True, serial=0x0200000007, server='LICSRV02'))),
            '32': store(b'\x30\x03\x02\x01\x00')}),
        'pc-undecodable': query_result({'64': store(b'not a license at all', None), '32': None}),
        'pc-empty': query_result({'64': None, '32': None}),
        'pc-real': query_result({'64': real_store(fixtures), '32': None}),
        'pc-down': {'unreachable': True, 'changed': False, 'msg': 'Failed to connect to the host via winrm: timed out'},
        'pc-failed': {'failed': True, 'msg': 'reg.exe query failed: Access is denied.'},
    }


def large_fleet(hosts: int, servers: int = 4) -> dict[str, dict[str, t.Any]]:
    """``hosts`` clients made of a few distinct results (building each store is the slow part): mostly permanent
    CALs of ``servers`` license servers, every 25th expiring, every 40th temporary, every 100th not reached."""
    names = ['LICSRV%02d' % n for n in range(1, servers + 1)]
    permanent = [query_result({'64': store(blob(license('PC', 200 + 30 * n, server=server,
                                                        serial=0x0200000100 + n))), '32': None})
                 for n, server in enumerate(names)]
    expiring = query_result({'64': store(blob(license('PC', 10, server=names[0]))), '32': None})
    temporary = query_result({'64': store(blob(license('PC', 40, temporary=True, server=names[-1]))), '32': None})
    fleet_results = {}
    for n in range(hosts):
        if n % 100 == 99:
            result = {'unreachable': True, 'msg': 'Failed to connect to the host via winrm: timed out'}
        elif n % 40 == 39:
            result = temporary
        elif n % 25 == 24:
            result = expiring
        else:
            result = permanent[n % servers]
        fleet_results['pc%05d' % n] = result
    return fleet_results
