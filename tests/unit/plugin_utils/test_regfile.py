"""The .reg codec and the reg query parser (plugin_utils/_regfile.py), and the MSLicensing layout and guard the
client store builds on them (plugin_utils/_client_license.py)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.tslicensing.cal.plugins.plugin_utils._client_license import (
    STORE_ROOTS, is_store_key, require_store_key, store_summary,
)
from ansible_collections.tslicensing.cal.plugins.plugin_utils._regfile import (
    REG_BINARY, REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_EXPAND_SZ, REG_MULTI_SZ, REG_NONE, REG_QWORD, REG_SZ,
    TYPE_NAMES, RegDocument, RegFileError, RegKey, RegValue, normalize_key, only_under, parse_reg, parse_reg_query,
    relative_tree, tree, write_reg,
)

ROOT = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing'
WOW_ROOT = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Wow6432Node\\Microsoft\\MSLicensing'
HWID = bytes.fromhex('020000007d4eb2c01b6c4f2ea3914d05c87e21f9')

# Probed with Wine 8 (reg add of every type, then `reg export` / `reg query /s`; CRLF and UTF-16 removed;
# the query was printed in the console code page 437).
WINE_PROBE_EXPORT = r'''Windows Registry Editor Version 5.00

[HKEY_CURRENT_USER\Software\RegfileProbe]
@="default val"
"A_very_long_value_name_that_goes_on_and_on_and_on_for_more_than_eighty_characters_total"=hex:00,\
  01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,17,18,19,\
  1a,1b,1c,1d,1e,1f
"ab"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,\
  17,18,19,1a,1b,1c,1d,1e,1f,20,21,22,23,24,25,26,27,28,29,2a,2b,2c,2d,2e,2f
"bin_empty"=hex:
"dw"=dword:0000001f
"dwbe"=hex(5):05,00,00,00
"exp"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,00,\
  25,00,5c,00,78,00,00,00
"multi"=hex(7):6f,00,6e,00,65,00,00,00,74,00,77,00,6f,00,00,00,00,00
"multi_long"=hex(7):61,00,61,00,61,00,61,00,61,00,61,00,61,00,61,00,61,00,61,\
  00,61,00,61,00,61,00,61,00,61,00,61,00,61,00,61,00,61,00,61,00,00,00,62,00,\
  62,00,62,00,62,00,62,00,62,00,62,00,62,00,62,00,62,00,62,00,62,00,62,00,62,\
  00,62,00,62,00,62,00,62,00,62,00,62,00,62,00,62,00,62,00,62,00,62,00,00,00,\
  00,00
"none"=hex(0):30,00,31,00,30,00,32,00,00,00
"q\"uo\\te"="a\"b\\c"
"qw"=hex(b):88,77,66,55,44,33,22,11
"sz_empty"=""

[HKEY_CURRENT_USER\Software\RegfileProbe\Sub]

[HKEY_CURRENT_USER\Software\RegfileProbe\Sub\Empty]
@=""

[HKEY_CURRENT_USER\Software\RegfileProbe\Sub2]
"ü"="ünï"

'''

# reg query output: the markers keep the long hex and the trailing blanks of empty values out of the source.
WINE_PROBE_QUERY = r'''
HKEY_CURRENT_USER\Software\RegfileProbe
    (Default)    REG_SZ    default val
    A_very_long_value_name_that_goes_on_and_on_and_on_for_more_than_eighty_characters_total    REG_BINARY    <HEX32>
    ab    REG_BINARY    000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F
    bin_empty    REG_BINARY    <END>
    dw    REG_DWORD    0x1f
    dwbe    REG_DWORD_BIG_ENDIAN    0x5
    exp    REG_EXPAND_SZ    %SystemRoot%\x
    multi    REG_MULTI_SZ    one\0two
    multi_long    REG_MULTI_SZ    aaaaaaaaaaaaaaaaaaaa\0bbbbbbbbbbbbbbbbbbbbbbbbb
    none    REG_NONE    30003100300032000000
    q"uo\te    REG_SZ    a"b\c
    qw    REG_QWORD    (null)
    sz_empty    REG_SZ    <END>

HKEY_CURRENT_USER\Software\RegfileProbe\Sub

HKEY_CURRENT_USER\Software\RegfileProbe\Sub\Empty
    (Default)    REG_SZ    <END>

HKEY_CURRENT_USER\Software\RegfileProbe\Sub2
    ü    REG_SZ    ünï

'''.replace('<HEX32>', bytes(range(32)).hex().upper()).replace('<END>', '')


def crlf_utf16(text: str) -> bytes:
    return b'\xff\xfe' + text.replace('\n', '\r\n').encode('utf-16-le')


def v5(body: str) -> str:
    return 'Windows Registry Editor Version 5.00\n\n' + body


@pytest.fixture(scope='module')
def export_bytes(license_fixtures) -> bytes:
    return (license_fixtures / 'mslicensing-wine-export.reg').read_bytes()


@pytest.fixture(scope='module')
def export_doc(export_bytes) -> RegDocument:
    return parse_reg(export_bytes, 'mslicensing-wine-export.reg')


# --- the real Wine export --------------------------------------------------------------------------------

def test_type_numbers():
    assert (REG_NONE, REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD, REG_MULTI_SZ, REG_QWORD) == (0, 1, 2, 3, 4, 7, 11)
    assert TYPE_NAMES[1] == 'REG_SZ' and TYPE_NAMES[11] == 'REG_QWORD' and len(TYPE_NAMES) == 12


def test_fixture_round_trip_is_byte_exact(export_bytes, export_doc):
    assert write_reg(export_doc) == export_bytes
    assert export_bytes.endswith('00\r\n\r\n'.encode('utf-16-le'))


def test_fixture_keys_and_values(export_doc, license_fixtures):
    assert export_doc.version == 'Windows Registry Editor Version 5.00'
    assert [key.path for key in export_doc.keys] == [
        ROOT, ROOT + '\\HardwareID', ROOT + '\\Store', ROOT + '\\Store\\LICENSE000']
    assert not any(key.delete for key in export_doc.keys)
    assert export_doc.keys[1].values == (RegValue('ClientHWID', REG_BINARY, HWID),)
    values = {value.name: value for value in export_doc.keys[3].values}
    assert list(values) == ['ClientLicense', 'CompanyName', 'LicenseScope', 'ProductID']
    blob = (license_fixtures / 'pbLicenseInfo_msrdpele.p7b').read_bytes()
    assert values['ClientLicense'] == RegValue('ClientLicense', REG_BINARY, blob)
    assert values['CompanyName'].data == 'Microsoft Corporation\0'.encode('utf-16-le')
    assert values['LicenseScope'].data == b'microsoft.com\0'
    assert values['ProductID'].data == 'A02\0'.encode('utf-16-le')


def test_fixture_as_utf8_lf_parses_the_same(export_bytes, export_doc):
    text = export_bytes[2:].decode('utf-16-le')
    assert parse_reg(text.replace('\r\n', '\n').encode('utf-8')) == export_doc
    assert parse_reg(b'\xef\xbb\xbf' + text.encode('utf-8')) == export_doc
    assert parse_reg(text) == export_doc
    assert write_reg(export_doc, 'utf-8') == text.encode('utf-8')


def test_fixture_summary(export_doc, license_fixtures):
    blob = (license_fixtures / 'pbLicenseInfo_msrdpele.p7b').read_bytes()
    assert store_summary(export_doc, 'HKLM\\SOFTWARE\\Microsoft\\MSLicensing') == {
        'hardware_id': '020000007d4eb2c01b6c4f2ea3914d05c87e21f9',
        'licenses': [{
            'name': 'LICENSE000',
            'values': ['ClientLicense', 'CompanyName', 'LicenseScope', 'ProductID'],
            'sizes': {'ClientLicense': 1945, 'CompanyName': 44, 'LicenseScope': 14, 'ProductID': 8},
            'client_license_sha256': hashlib.sha256(blob).hexdigest(),
        }],
    }
    assert store_summary(export_doc, WOW_ROOT) == {'hardware_id': None, 'licenses': []}


def test_summary_sizes_of_str_and_dword():
    doc = RegDocument((RegKey(ROOT + '\\Store\\LICENSE001', (
        RegValue('s', REG_SZ, 'ab'), RegValue('d', REG_DWORD, 7), RegValue('gone', None, None))),
        RegKey(ROOT + '\\Store\\LICENSE000'), RegKey(ROOT + '\\Store\\LICENSE000\\Deeper', (RegValue('x', 3, b'1'),))))
    summary = store_summary(doc, ROOT)
    assert summary['hardware_id'] is None
    assert [lic['name'] for lic in summary['licenses']] == ['LICENSE000', 'LICENSE001']
    assert summary['licenses'][1] == {'name': 'LICENSE001', 'values': ['d', 's'], 'sizes': {'s': 6, 'd': 4},
                                      'client_license_sha256': None}


def test_only_under(export_doc):
    assert only_under(export_doc, 'hklm\\software\\microsoft\\mslicensing') == []
    assert only_under(export_doc, ROOT + '\\Store') == [ROOT, ROOT + '\\HardwareID']
    mixed = RegDocument(export_doc.keys + (RegKey('HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensingX'),))
    assert only_under(mixed, ROOT) == ['HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensingX']


# --- what Wine 8's reg.exe wrote for every type (probe run while writing this codec) ---------------------

def test_wine_probe_export_round_trip():
    raw = crlf_utf16(WINE_PROBE_EXPORT)
    doc = parse_reg(raw)
    assert write_reg(doc) == raw
    values = {value.name: value for value in doc.keys[0].values}
    assert values[''] == RegValue('', REG_SZ, 'default val')
    assert values['q"uo\\te'] == RegValue('q"uo\\te', REG_SZ, 'a"b\\c')
    assert values['sz_empty'] == RegValue('sz_empty', REG_SZ, '')
    assert values['exp'] == RegValue('exp', REG_EXPAND_SZ, '%SystemRoot%\\x\0'.encode('utf-16-le'))
    assert values['multi'] == RegValue('multi', REG_MULTI_SZ, 'one\0two\0\0'.encode('utf-16-le'))
    assert values['bin_empty'] == RegValue('bin_empty', REG_BINARY, b'')
    assert values['none'] == RegValue('none', REG_NONE, '0102\0'.encode('utf-16-le'))
    assert values['dw'] == RegValue('dw', REG_DWORD, 0x1f)
    assert values['dwbe'] == RegValue('dwbe', REG_DWORD_BIG_ENDIAN, b'\x05\0\0\0')
    assert values['qw'] == RegValue('qw', REG_QWORD, bytes.fromhex('8877665544332211'))
    assert values['ab'].data == bytes(range(48))
    assert doc.keys[2] == RegKey('HKEY_CURRENT_USER\\Software\\RegfileProbe\\Sub\\Empty', (RegValue('', REG_SZ, ''),))
    assert doc.keys[3].values == (RegValue('ü', REG_SZ, 'ünï'),)


def test_wine_probe_query_matches_export():
    export = tree(parse_reg(crlf_utf16(WINE_PROBE_EXPORT)))
    query = tree(parse_reg_query(WINE_PROBE_QUERY.replace('\n', '\r\n'), 'HKCU\\Software\\RegfileProbe',
                                 default_name='(Default)'))
    assert set(export) == set(query)
    differing = {(path, name) for path in export for name in export[path]
                 if export[path][name] != query[path].get(name)}
    # Wine 8 prints REG_QWORD as "(null)" and REG_DWORD_BIG_ENDIAN as a number: the only differences.
    assert differing == {('HKEY_CURRENT_USER\\Software\\RegfileProbe', 'qw'),
                         ('HKEY_CURRENT_USER\\Software\\RegfileProbe', 'dwbe')}
    key = query['HKEY_CURRENT_USER\\Software\\RegfileProbe']
    assert key['qw'] == (REG_QWORD, '(null)')
    assert export['HKEY_CURRENT_USER\\Software\\RegfileProbe']['qw'] == (REG_QWORD, 0x1122334455667788)
    assert key['multi'] == (REG_MULTI_SZ, 'one\\0two')
    assert key['exp'] == (REG_EXPAND_SZ, '%SystemRoot%\\x')
    assert key[''] == (REG_SZ, 'default val')


# --- the writer's wrapping rule --------------------------------------------------------------------------

def test_hex_wrapping_rule():
    data = bytes(range(60))
    out = write_reg(RegDocument((RegKey('HKLM\\K', (RegValue('ab', REG_BINARY, data),)),)), 'utf-8').decode()
    lines = out.split('\r\n')
    assert lines[3] == '"ab"=hex:' + ','.join('%02x' % b for b in data[:23]) + ',\\'
    assert len(lines[3]) == 79
    assert lines[4] == '  ' + ','.join('%02x' % b for b in data[23:48]) + ',\\'
    assert lines[5] == '  ' + ','.join('%02x' % b for b in data[48:])
    assert out.endswith('3b\r\n\r\n')


def test_hex_wrapping_counts_the_type_prefix_and_long_names():
    long_name = 'N' * 90
    out = write_reg(RegDocument((RegKey('HKLM\\K', (
        RegValue(long_name, REG_BINARY, b'\x01\x02'), RegValue('m', 0x1234, b'\x00' * 30))),)), 'utf-8').decode()
    lines = out.split('\r\n')
    assert lines[3] == '"%s"=hex:01,\\' % long_name
    assert lines[4] == '  02'
    assert lines[5] == '"m"=hex(1234):' + '00,' * 21 + '\\'
    assert lines[6] == '  ' + ','.join(['00'] * 9)


def test_writer_layout_and_deletions():
    doc = RegDocument((RegKey('HKLM\\A', (RegValue('', REG_DWORD, 1), RegValue('x', None, None))),
                       RegKey('HKLM\\B', delete=True), RegKey('HKLM\\C')), version='REGEDIT4')
    assert write_reg(doc, 'utf-8') == (b'REGEDIT4\r\n\r\n[HKLM\\A]\r\n@=dword:00000001\r\n"x"=-\r\n'
                                       b'\r\n[-HKLM\\B]\r\n\r\n[HKLM\\C]\r\n\r\n')
    assert parse_reg(write_reg(doc)) == doc
    empty = 'Windows Registry Editor Version 5.00\r\n\r\n'
    assert write_reg(RegDocument(()), 'utf-16') == b'\xff\xfe' + empty.encode('utf-16-le')


@pytest.mark.parametrize('value', [
    RegValue('x', REG_SZ, 'line\nbreak'),
    RegValue('x\r', REG_SZ, ''),
    RegValue('x', REG_SZ, 'nul\0'),
    RegValue('x', REG_DWORD, 1 << 32),
    RegValue('x', REG_DWORD, -1),
    RegValue('x', REG_EXPAND_SZ, 'str with a hex type'),
    RegValue('x', REG_BINARY, 5),
    RegValue('x', REG_DWORD, True),
    RegValue('x', None, b''),
    RegValue('x', -1, b''),
])
def test_writer_refuses_what_a_reg_file_cannot_hold(value):
    with pytest.raises(ValueError):
        write_reg(RegDocument((RegKey('HKLM\\K', (value,)),)))


@pytest.mark.parametrize('doc, encoding', [
    (RegDocument((RegKey('HKLM\\K', (RegValue('a', REG_SZ, ''),), delete=True),)), 'utf-16'),
    (RegDocument((RegKey('HKLM/K'),)), 'utf-16'),
    (RegDocument((RegKey('NOPE\\K'),)), 'utf-16'),
    (RegDocument(()), 'latin-1'),
    (RegDocument((), version='REGEDIT5'), 'utf-16'),
])
def test_writer_refuses_bad_documents(doc, encoding):
    with pytest.raises(ValueError):
        write_reg(doc, encoding)


# --- reader details --------------------------------------------------------------------------------------

def test_reader_accepts_comments_blank_lines_spacing_and_case():
    doc = parse_reg(v5('; comment\n\n  [HKLM\\K]  \n"a" = DWORD:1F\n@=HEX(7):61,00,\\\n\t  00,00\n"b"=-\n'
                       '"c"=hex(10):\n"d"="x\\y\\\\z\\"" \n[-HKCU\\Gone]\n'))
    assert doc.keys == (
        RegKey('HKLM\\K', (RegValue('a', REG_DWORD, 0x1f), RegValue('', REG_MULTI_SZ, b'a\0\0\0'),
                           RegValue('b', None, None), RegValue('c', 16, b''), RegValue('d', REG_SZ, 'x\\y\\z"'))),
        RegKey('HKCU\\Gone', delete=True))


def test_reader_keeps_value_order_and_repeated_keys():
    doc = parse_reg(v5('[HKLM\\K]\n"b"=dword:2\n"a"=dword:1\n[HKLM\\K]\n"b"=-\n'))
    assert [key.path for key in doc.keys] == ['HKLM\\K', 'HKLM\\K']
    assert tree(doc) == {'HKEY_LOCAL_MACHINE\\K': {'a': (REG_DWORD, 1)}}


def test_regedit4_header():
    assert parse_reg(b'REGEDIT4\r\n\r\n[HKLM\\K]\r\n"a"="b"\r\n').version == 'REGEDIT4'


@pytest.mark.parametrize('text, line, problem', [
    ('', 1, 'no'),
    ('REGEDIT5\n', 1, 'first line'),
    ('\n\nhello\n', 3, 'first line'),
    (v5('"a"="b"\n'), 3, 'value outside any key'),
    (v5('[HKLM\\K]\n"a"=hex:00,zz\n'), 4, "bad hex byte 'zz'"),
    (v5('[HKLM\\K]\n"a"=hex:00,\\\n  01,\\\n  0g1\n'), 4, "bad hex byte '0g1'"),
    (v5('[HKLM\\K]\n"a"=hex:00,,01\n'), 4, "bad hex byte ''"),
    (v5('[HKLM\\K]\n"a"=hex:00,\\\n'), 4, 'hex data continues past the end of the value'),
    (v5('[HKLM\\K]\n"a"=hex:00,\\\n\n"b"=-\n'), 4, 'hex data continues past the end of the value'),
    (v5('[HKLM\\K]\n"a"=hex:00,\\'), 4, 'hex data continues past the end of the value'),
    (v5('[HKLM\\K]\n"a"=hex(123456789):00\n'), 4, 'unrecognised data'),
    (v5('[HKLM\\K]\n"a"="b\n'), 4, 'unterminated string'),
    (v5('[HKLM\\K]\n"a"="b\\"\n'), 4, 'unterminated string'),
    (v5('[HKLM\\K]\n"a="b"\n'), 4, "expected '='"),
    (v5('[HKLM\\K]\n"a\n'), 4, 'unterminated value name'),
    (v5('[HKLM\\K]\n"a"="b" junk\n'), 4, 'unexpected text after the string'),
    (v5('[HKLM\\K]\n"a"=dword:123456789\n'), 4, 'unrecognised data'),
    (v5('[HKLM\\K]\n"a"=dword:\n'), 4, 'unrecognised data'),
    (v5('[HKLM\\K]\n"a"=hex(2:00\n'), 4, 'unrecognised data'),
    (v5('[HKLM\\K]\n"a"=\n'), 4, 'unrecognised data'),
    (v5('[HKLM\\K]\nbare words\n'), 4, 'expected a [key]'),
    (v5('[HKLM\\K\n'), 3, "does not end with ']'"),
    (v5('[]\n'), 3, 'empty registry key path'),
    (v5('[HKLM\\a\\\\b]\n'), 3, 'empty component'),
    (v5('[HKXX\\a]\n'), 3, 'unknown hive'),
    (v5('[HKLM/a]\n'), 3, 'forward slash'),
    (v5('[-HKLM\\K]\n"a"=-\n'), 4, 'deleted key'),
])
def test_reader_errors_name_the_line(text, line, problem):
    with pytest.raises(RegFileError) as info:
        parse_reg(text.encode('utf-8'), 'x.reg')
    assert info.value.line == line
    assert problem in info.value.problem
    assert info.value.source == 'x.reg'
    assert str(info.value) == 'x.reg:%d: %s' % (line, info.value.problem)


@pytest.mark.parametrize('data', [
    b'\xff\xfe' + b'W\x00\x00\xd8',                        # lone surrogate
    b'\xff\xfeW',                                           # odd length
    b'\xfe\xff\x00W',                                       # UTF-16BE
    b'Windows Registry Editor Version 5.00\r\n\xff\r\n',   # not UTF-8
    b'x' * (16 * 1024 * 1024 + 1),
    12,
])
def test_reader_rejects_what_is_not_a_reg_file(data):
    with pytest.raises(RegFileError) as info:
        parse_reg(data, 'x.reg')
    assert info.value.line is None
    assert info.value.problem.startswith('not a .reg file')
    assert str(info.value) == 'x.reg: ' + info.value.problem


def test_utf16_without_bom_is_rejected_on_line_1():
    with pytest.raises(RegFileError) as info:
        parse_reg('Windows Registry Editor Version 5.00\r\n'.encode('utf-16-le'))
    assert info.value.line == 1


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300),
                 st.text(alphabet='[]"@=-\\:,;hexdword()0123456789abfzHKLM \n\r\t', max_size=200).map(v5)))
def test_reader_raises_nothing_but_regfileerror(data):
    try:
        parse_reg(data)
    except RegFileError:
        pass


# --- round trips -----------------------------------------------------------------------------------------

_component = st.text(st.characters(blacklist_categories=('Cs', 'Cc'), blacklist_characters='\\/'),
                     min_size=1, max_size=12).filter(lambda c: c not in ('.', '..'))
_paths = st.builds(lambda hive, parts, slash: '\\'.join([hive] + parts) + slash,
                   st.sampled_from(['HKLM', 'HKEY_LOCAL_MACHINE', 'hkcu', 'HKEY_USERS', 'HKCR', 'HKCC']),
                   st.lists(_component, max_size=4), st.sampled_from(['', '\\']))
_text = st.text(st.characters(blacklist_categories=('Cs',), blacklist_characters='\r\n\0'), max_size=20)
_data = st.one_of(
    st.builds(lambda d: (REG_SZ, d), _text),
    st.builds(lambda d: (REG_DWORD, d), st.integers(0, 0xFFFFFFFF)),
    st.tuples(st.one_of(st.integers(0, 12), st.integers(0, 0xFFFFFFFF)), st.binary(max_size=120)),
    st.just((None, None)),
)
_values = st.lists(st.builds(lambda name, typed: RegValue(name, typed[0], typed[1]),
                             st.one_of(st.just(''), st.just('"'), st.just('\\'), st.just('@'), _text), _data),
                   max_size=5)
_keys = st.one_of(st.builds(lambda p, v: RegKey(p, tuple(v)), _paths, _values),
                  st.builds(lambda p: RegKey(p, delete=True), _paths))
_docs = st.builds(lambda keys, version: RegDocument(tuple(keys), version),
                  st.lists(_keys, max_size=5),
                  st.sampled_from(['Windows Registry Editor Version 5.00', 'REGEDIT4']))


@settings(max_examples=300, deadline=None)
@given(_docs, st.sampled_from(['utf-16', 'utf-8']))
def test_round_trip(doc, encoding):
    raw = write_reg(doc, encoding)
    assert parse_reg(raw) == doc
    assert write_reg(parse_reg(raw), encoding) == raw


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400), _text.map(lambda name: name[:40]))
def test_hex_lines_never_exceed_reg_width_for_short_names(data, name):
    out = write_reg(RegDocument((RegKey('HKLM\\K', (RegValue(name, 0xb, data),)),)))
    lines = out[2:].decode('utf-16-le').split('\r\n')
    assert all(len(line) <= 80 for line in lines if line.startswith('  '))


# --- reg query -------------------------------------------------------------------------------------------

WINE_MSLICENSING_QUERY = (
    '\r\n'
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing\\HardwareID\r\n'
    '    ClientHWID    REG_BINARY    020000007D4EB2C01B6C4F2EA3914D05C87E21F9\r\n'
    '\r\n'
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing\\Store\r\n'
    '\r\n'
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing\\Store\\LICENSE000\r\n'
    '    ClientLicense    REG_BINARY    {license}\r\n'
    '    CompanyName    REG_BINARY    4D006900630072006F0073006F0066007400200043006F0072'
    '0070006F0072006100740069006F006E000000\r\n'
    '    LicenseScope    REG_BINARY    6D6963726F736F66742E636F6D00\r\n'
    '    ProductID    REG_BINARY    410030003200000000\r\n'
    '\r\n')


def test_query_of_mslicensing_equals_the_export(export_doc, license_fixtures):
    blob = (license_fixtures / 'pbLicenseInfo_msrdpele.p7b').read_bytes()
    text = WINE_MSLICENSING_QUERY.format(license=blob.hex().upper()).replace('410030003200000000', '4100300032000000')
    doc = parse_reg_query(text, 'hklm\\SOFTWARE\\Microsoft\\MSLicensing')
    assert doc.version == 'Windows Registry Editor Version 5.00'
    assert doc.keys[0] == RegKey(ROOT)
    assert doc.keys[1] == RegKey(ROOT + '\\HardwareID', (RegValue('ClientHWID', REG_BINARY, HWID),))
    assert doc.keys[2] == RegKey(ROOT + '\\Store')
    assert tree(doc) == tree(export_doc)
    assert store_summary(doc, ROOT) == store_summary(export_doc, ROOT)


def test_query_differences_show_in_the_tree(export_doc, license_fixtures):
    blob = (license_fixtures / 'pbLicenseInfo_msrdpele.p7b').read_bytes()
    doc = parse_reg_query(WINE_MSLICENSING_QUERY.format(license=blob.hex()), ROOT)
    assert tree(doc) != tree(export_doc)


def test_query_windows_style_values():
    text = ('\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n'
            '    CurrentVersion    REG_SZ    6.3\r\n'
            '    InstallDate    REG_DWORD    0x4be5019a\r\n'
            '    RegisteredOwner    REG_SZ    \r\n'
            '    Trimmed    REG_SZ\r\n'
            '    Spaced name    REG_EXPAND_SZ    %a%  b  \r\n'
            '    Q    REG_QWORD    0x1122334455667788\r\n'
            '    M    REG_MULTI_SZ    a\\0b\r\n'
            '    N    REG_NONE    \r\n'
            '    (Default)    REG_SZ    x\r\n'
            '\r\nEnd of search: 9 match(es) found.\r\n')
    doc = parse_reg_query(text, 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion')
    assert len(doc.keys) == 1
    assert doc.keys[0].values == (
        RegValue('CurrentVersion', REG_SZ, '6.3'), RegValue('InstallDate', REG_DWORD, 0x4be5019a),
        RegValue('RegisteredOwner', REG_SZ, ''), RegValue('Trimmed', REG_SZ, ''),
        RegValue('Spaced name', REG_EXPAND_SZ, '%a%  b  '), RegValue('Q', REG_QWORD, 0x1122334455667788),
        RegValue('M', REG_MULTI_SZ, 'a\\0b'), RegValue('N', REG_NONE, b''), RegValue('(Default)', REG_SZ, 'x'))
    renamed = parse_reg_query(text, 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion', default_name='(Default)')
    assert renamed.keys[0].values[-1] == RegValue('', REG_SZ, 'x')


def test_query_root_is_always_first():
    assert parse_reg_query('', 'HKLM\\SOFTWARE\\Microsoft\\MSLicensing').keys == (RegKey(ROOT),)
    doc = parse_reg_query('\nhkey_local_machine\\software\\microsoft\\mslicensing\n    a    REG_DWORD    0x1\n', ROOT)
    assert doc.keys == (RegKey('hkey_local_machine\\software\\microsoft\\mslicensing', (RegValue('a', REG_DWORD, 1),)),)


@pytest.mark.parametrize('text, line, problem', [
    ('    a    REG_SZ    x\n', 1, 'value outside any key'),
    ('HKLM\\K\n\tbad line\n', 2, 'expected'),
    ('HKLM\\K\n    a    REG_WHAT    x\n', 2, 'expected'),
    ('HKLM\\K\n    a    REG_BINARY    0G\n', 2, "bad hex data '0G'"),
    ('HKLM\\K\n    a    REG_BINARY    ABC\n', 2, 'bad hex data'),
    ('\n\nreg: Unable to find the specified registry key\n', 3, 'bad key'),
])
def test_query_errors(text, line, problem):
    with pytest.raises(RegFileError) as info:
        parse_reg_query(text, 'HKLM\\K', 'out')
    assert (info.value.line, info.value.source) == (line, 'out')
    assert problem in info.value.problem


def test_query_bad_root():
    with pytest.raises(RegFileError):
        parse_reg_query('', 'HKLM/K')


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=' \r\n\tHKLMREG_SZDWORDBINARY0x1AzZ\\()', max_size=200))
def test_query_raises_nothing_but_regfileerror(text):
    try:
        parse_reg_query(text, 'HKLM\\K')
    except RegFileError:
        pass


# --- trees -----------------------------------------------------------------------------------------------

def test_tree_canonicalizes_export_and_query_forms():
    export = RegDocument((RegKey('HKLM\\K', (
        RegValue('e', REG_EXPAND_SZ, '%x%\0'.encode('utf-16-le')),
        RegValue('m', REG_MULTI_SZ, 'a\0b\0\0'.encode('utf-16-le')),
        RegValue('q', REG_QWORD, (5).to_bytes(8, 'little')), RegValue('d', REG_DWORD, b'\x07\0\0\0'),
        RegValue('s', REG_SZ, 'plain'), RegValue('odd', REG_SZ, b'\x01'))),))
    query = RegDocument((RegKey('HKEY_LOCAL_MACHINE\\K', (
        RegValue('e', REG_EXPAND_SZ, '%x%'), RegValue('m', REG_MULTI_SZ, 'a\\0b'), RegValue('q', REG_QWORD, 5),
        RegValue('d', REG_DWORD, 7), RegValue('s', REG_SZ, 'plain'), RegValue('odd', REG_SZ, b'\x01'))),))
    assert tree(export) == tree(query)
    assert tree(export)['HKEY_LOCAL_MACHINE\\K']['odd'] == (REG_SZ, b'\x01')


def test_tree_skips_deleted_keys():
    doc = RegDocument((RegKey('HKLM\\A', delete=True), RegKey('HKLM\\B')))
    assert tree(doc) == {'HKEY_LOCAL_MACHINE\\B': {}}


def test_relative_tree_compares_a_reg32_export_with_the_wow_query(export_doc):
    # An export made with /reg:32 names the native path; a query of the Wow6432Node path names that one.
    wow = RegDocument(tuple(
        RegKey(key.path.replace('\\SOFTWARE\\', '\\SOFTWARE\\Wow6432Node\\'), key.values) for key in export_doc.keys))
    assert relative_tree(export_doc, ROOT) == relative_tree(wow, 'HKLM\\Software\\WOW6432NODE\\Microsoft\\MSLicensing')
    relative = relative_tree(export_doc, ROOT)
    assert sorted(relative) == ['', 'HardwareID', 'Store', 'Store\\LICENSE000']
    assert relative['HardwareID'] == {'ClientHWID': (REG_BINARY, HWID)}
    assert relative_tree(export_doc, WOW_ROOT) == {}
    assert relative_tree(export_doc, ROOT + '\\Store') == {'': {}, 'LICENSE000': relative['Store\\LICENSE000']}


# --- key paths and the guard -----------------------------------------------------------------------------

@pytest.mark.parametrize('path, expected', [
    ('HKLM\\SOFTWARE\\Microsoft', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft'),
    ('hklm\\Software\\', 'HKEY_LOCAL_MACHINE\\Software'),
    ('HKEY_LOCAL_MACHINE', 'HKEY_LOCAL_MACHINE'),
    ('HKLM\\', 'HKEY_LOCAL_MACHINE'),
    ('hkey_current_user\\x', 'HKEY_CURRENT_USER\\x'),
    ('HKCU\\x', 'HKEY_CURRENT_USER\\x'),
    ('HKCR\\.txt', 'HKEY_CLASSES_ROOT\\.txt'),
    ('HKU\\S-1-5-18', 'HKEY_USERS\\S-1-5-18'),
    ('HKCC\\System', 'HKEY_CURRENT_CONFIG\\System'),
    ('HKLM\\a b\\ü', 'HKEY_LOCAL_MACHINE\\a b\\ü'),
])
def test_normalize_key(path, expected):
    assert normalize_key(path) == expected


@pytest.mark.parametrize('path, problem', [
    ('', 'empty registry key path'),
    ('HKLM\\a\\\\b', 'empty component'),
    ('HKLM\\a\\\\', 'empty component'),
    ('\\HKLM\\a', 'empty component'),
    ('\\\\PC\\HKLM\\a', 'empty component'),
    ('HKLM/SOFTWARE', 'forward slash'),
    ('HKLM\\a\tb', 'control character'),
    ('HKLM\\a\nb', 'control character'),
    ('HKLM\\a\0', 'control character'),
    ('HKXX\\a', 'unknown hive'),
    (' HKLM\\a', 'unknown hive'),
    ('HKLM\\a\\..\\b', 'relative component'),
    ('HKLM\\.', 'relative component'),
    (None, 'must be a string'),
    (b'HKLM', 'must be a string'),
])
def test_normalize_key_errors(path, problem):
    with pytest.raises(ValueError, match=problem):
        normalize_key(path)


def test_roots_constant():
    assert STORE_ROOTS == (ROOT, WOW_ROOT)


@pytest.mark.parametrize('path', [
    ROOT, WOW_ROOT,
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing',
    'hklm\\software\\microsoft\\mslicensing',
    'HKEY_LOCAL_MACHINE\\Software\\MICROSOFT\\MSLICENSING\\',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\Store\\LICENSE000',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\HardwareID',
    'HKLM\\SOFTWARE\\WOW6432NODE\\Microsoft\\MSLicensing\\Store',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\anything at all ü',
])
def test_guard_allows_the_mslicensing_trees(path):
    assert is_store_key(path)
    assert require_store_key(path) == normalize_key(path)
    assert normalize_key(path).startswith('HKEY_LOCAL_MACHINE\\')


@pytest.mark.parametrize('path', [
    'HKLM\\SOFTWARE\\Microsoft',
    'HKLM\\SOFTWARE\\Microsoft\\',
    'HKLM\\SOFTWARE',
    'HKLM',
    'HKLM\\SOFTWARE\\Wow6432Node\\Microsoft',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensingX',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensin',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing ',
    'HKLM\\SOFTWARE\\Microsoft\\ MSLicensing',
    'HKLM\\SOFTWARE\\Microsoft\\XMSLicensing',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing.bak',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\\\',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\..',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\..\\..\\Windows',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing\\.',
    'HKLM\\SOFTWARE\\Microsoft\\.\\MSLicensing',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing/..',
    'HKLM/SOFTWARE/Microsoft/MSLicensing',
    'HKLM\\\\SOFTWARE\\Microsoft\\MSLicensing',
    '\\HKLM\\SOFTWARE\\Microsoft\\MSLicensing',
    '\\\\remote\\HKLM\\SOFTWARE\\Microsoft\\MSLicensing',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing\0',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing\n',
    ' HKLM\\SOFTWARE\\Microsoft\\MSLicensing',
    'HKCU\\SOFTWARE\\Microsoft\\MSLicensing',
    'HKEY_CURRENT_USER\\SOFTWARE\\Microsoft\\MSLicensing',
    'HKU\\.DEFAULT\\SOFTWARE\\Microsoft\\MSLicensing',
    'HKCR\\SOFTWARE\\Microsoft\\MSLicensing',
    'HKLM\\SYSTEM\\Microsoft\\MSLicensing',
    'HKLM\\SOFTWARE\\Classes\\Wow6432Node\\Microsoft\\MSLicensing',
    'HKLM\\SOFTWARE\\Wow6432Node\\Wow6432Node\\Microsoft\\MSLicensing',
    'HKLM\\SOFTWARE\\Microsoft\\Microsoft\\MSLicensing',
    'HKLM\\MSLicensing',
    'SOFTWARE\\Microsoft\\MSLicensing',
    'MSLicensing',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicen\u017fing',       # long s: casefolds to 's'
    'HKLM\\SOFTWARE\\Micro\u017foft\\MSLicensing',
    'HKLM\\SOFTWARE\\Microsoft\\MSLİcensing',
    'HKLM\\SOFTWARE\\Microsoft\\MSLicensing\u200b',
    '\uff28\uff2b\uff2c\uff2d\\SOFTWARE\\Microsoft\\MSLicensing',  # full-width HKLM
    '', None, 0, b'HKLM\\SOFTWARE\\Microsoft\\MSLicensing', ['HKLM\\SOFTWARE\\Microsoft\\MSLicensing'], object(),
])
def test_guard_refuses_everything_else(path):
    assert is_store_key(path) is False
    with pytest.raises(ValueError, match='refusing to touch .*only the MSLicensing trees'):
        require_store_key(path)


def test_guard_message_names_path_and_roots():
    with pytest.raises(ValueError) as info:
        require_store_key('HKLM\\SOFTWARE\\Microsoft')
    assert str(info.value) == ('refusing to touch HKLM\\SOFTWARE\\Microsoft: only the MSLicensing trees (%s, %s) '
                               'may be changed by this collection' % (ROOT, WOW_ROOT))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_guard_agrees_with_a_plain_prefix_rule(path):
    allowed = is_store_key(path)
    assert isinstance(allowed, bool)
    if allowed:
        canonical = normalize_key(path)
        assert any(canonical.lower() == root.lower() or canonical.lower().startswith(root.lower() + '\\')
                   for root in STORE_ROOTS)


@given(st.sampled_from(STORE_ROOTS), st.lists(_component, max_size=3), st.booleans())
def test_guard_accepts_any_descendant(root, parts, upper):
    expected = '\\'.join([root] + parts)
    path = '\\'.join([root.upper() if upper else root] + parts)
    assert require_store_key(path).casefold() == expected.casefold()
    assert require_store_key(path.replace('HKEY_LOCAL_MACHINE', 'HKLM')) == normalize_key(path)
    assert not is_store_key('\\'.join([root + 'X'] + parts))
