"""decode_store over .reg documents: the real Wine export and synthetic stores written with the codec."""

from __future__ import annotations

import datetime

import license_factory as lf
from ansible_collections.tslicensing.cal.plugins.plugin_utils._license_decoder import decode_store
from ansible_collections.tslicensing.cal.plugins.plugin_utils._regfile import (
    REG_BINARY,
    REG_SZ,
    RegDocument,
    RegKey,
    RegValue,
    parse_reg,
    write_reg,
)

ROOT = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing'
WOW_ROOT = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Wow6432Node\\Microsoft\\MSLicensing'
NOW = datetime.datetime(2024, 4, 1, tzinfo=datetime.timezone.utc)


def license_key(root: str, number: int, blob: bytes, *extra: RegValue) -> RegKey:
    return RegKey('%s\\Store\\LICENSE%03d' % (root, number),
                  (RegValue('ClientLicense', REG_BINARY, blob),) + extra)


def round_trip(keys: list[RegKey]) -> RegDocument:
    """Through the codec's writer and reader, like a real reg export would be read."""
    return parse_reg(write_reg(RegDocument(tuple(keys))), 'synthetic.reg')


def test_real_wine_export(license_fixtures):
    doc = parse_reg((license_fixtures / 'mslicensing-wine-export.reg').read_bytes(), 'wine.reg')
    result = decode_store(doc, now=datetime.datetime(2007, 7, 1, tzinfo=datetime.timezone.utc))
    assert result['status'] == 'decoded'
    assert result['warnings'] == []
    [entry] = result['licenses']
    assert entry['name'] == 'LICENSE000'
    assert entry['key'] == ROOT + '\\Store\\LICENSE000'
    assert entry['decoded']['licenses'][0]['adjusted_product_id'] == 'A02-6.00-S'
    assert entry['decoded']['licenses'][0]['expired'] is False
    assert {name: value['text_guess'] for name, value in entry['index_values'].items()} == {
        'LicenseScope': 'microsoft.com', 'CompanyName': 'Microsoft Corporation', 'ProductID': 'A02'}
    [hwid] = result['hardware_ids']
    assert hwid['decoded']['dwords'][0] == 2
    assert hwid['decoded']['text'].startswith('0x00000002, 0xc0b24e7d')


def test_several_licenses_in_both_roots():
    specs = [lf.LicenseSpec(machine='PC1', adjusted='A02-10.00-S'),
             lf.LicenseSpec(machine='PC1', requested='C50', adjusted='C50-10.00-S',
                            versions=[(10, 0, 0x80808000)]),
             lf.LicenseSpec(machine='PC1-32', server_id=None, versions=[(6, 1, 0x00008000)])]
    doc = round_trip([
        RegKey(ROOT + '\\HardwareID', (RegValue('ClientHWID', REG_BINARY, b'\x02' + bytes(19)),)),
        license_key(ROOT, 0, lf.build_client_license([specs[0]])),
        license_key(ROOT, 1, lf.build_client_license([specs[1]], chain_depth=2)),
        license_key(WOW_ROOT, 0, lf.build_client_license([specs[2]])),
        RegKey('HKEY_LOCAL_MACHINE\\SOFTWARE\\Other\\Store\\LICENSE000',
               (RegValue('ClientLicense', REG_BINARY, b'ignored'),)),
    ])
    result = decode_store(doc, now=NOW)
    assert result['status'] == 'decoded', result['warnings']
    assert [entry['key'] for entry in result['licenses']] == [
        ROOT + '\\Store\\LICENSE000', ROOT + '\\Store\\LICENSE001', WOW_ROOT + '\\Store\\LICENSE000']
    for entry, spec in zip(result['licenses'], specs):
        expected = lf.expected_fields(spec)
        report = entry['decoded']['licenses'][0]
        assert {key: report[key] for key in expected} == expected
    assert len(result['licenses'][1]['decoded']['chain']) == 2
    assert result['hardware_ids'][0]['decoded']['dwords'] == [2, 0, 0, 0, 0]


def test_one_bad_license_does_not_stop_the_others():
    good = lf.build_client_license()
    doc = round_trip([
        license_key(ROOT, 0, good[:500]),                          # truncated
        license_key(ROOT, 1, good),
        RegKey(ROOT + '\\Store\\LICENSE002', (RegValue('ClientLicense', REG_SZ, 'not binary'),)),
        RegKey(ROOT + '\\Store\\LICENSE003', (RegValue('CompanyName', REG_BINARY, b'C\x00\x00\x00'),)),
        license_key(ROOT, 4, b'\x00' * 8),                         # garbage
    ])
    result = decode_store(doc, now=NOW)
    assert result['status'] == 'partial'
    statuses = [entry['decoded'] and entry['decoded']['status'] for entry in result['licenses']]
    assert statuses == ['undecodable', 'decoded', None, None, 'undecodable']
    assert any('LICENSE002: ClientLicense is not binary' in w for w in result['warnings'])
    assert any('LICENSE003: no ClientLicense value' in w for w in result['warnings'])


def test_deleted_keys_and_other_trees_are_ignored():
    doc = round_trip([RegKey(ROOT + '\\Store\\LICENSE000', (), delete=True)])
    result = decode_store(doc)
    assert result['licenses'] == []
    assert result['status'] == 'undecodable'
    assert 'no MSLicensing' in result['warnings'][0]


def test_short_hwid_makes_the_store_partial():
    doc = round_trip([RegKey(ROOT + '\\HardwareID', (RegValue('ClientHWID', REG_BINARY, b'\x02\x00\x00\x00'),)),
                      license_key(ROOT, 0, lf.build_client_license())])
    result = decode_store(doc, now=NOW)
    assert result['hardware_ids'][0]['decoded']['status'] == 'partial'
    assert result['status'] == 'partial'
