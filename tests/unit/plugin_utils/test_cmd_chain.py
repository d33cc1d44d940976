"""The one builder of cmd.exe chains and the reading of their output (no host needed), and the store's rules for
deciding from a chain's results (positive evidence of absence, 32-bit views, reg query variants)."""

from __future__ import annotations

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license as store
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _cmd_chain as chain
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _regfile

NONCE = '0123456789abcdef'


def _output(outputs: dict) -> str:
    lines = []
    for name, (rc, text) in outputs.items():
        lines += ['::tscal-%s:%s:begin ' % (NONCE, name), text, '::tscal-%s:%s:rc:%d ' % (NONCE, name, rc)]
    return '\r\n'.join(lines + ['::tscal-%s:end' % NONCE]) + '\r\n'


def test_build_gives_argv_with_operators_as_separate_unquoted_elements() -> None:
    steps = [chain.Step('a', ('reg.exe', 'query', 'HKLM\\SOFTWARE\\Microsoft', '/reg:64')),
             chain.Step('b', ('rd', 'C:\\Windows\\Temp\\tscal-x'), needs=('a',))]
    argv = chain.build(steps, NONCE)
    assert argv[:4] == ['cmd.exe', '/d', '/v:on', '/c']
    assert argv[4:8] == ['echo', '::tscal-%s:a:begin' % NONCE, '&', '%SystemRoot%\\System32\\reg.exe']
    assert '2>&1' in argv and '(set' in argv and 'tscal_a=!errorlevel!)' in argv
    assert argv[argv.index('(if'):argv.index('(if') + 3] == ['(if', 'x!tscal_a!==x0', '(']
    assert argv[-2:] == ['echo', '::tscal-%s:end' % NONCE]
    assert not any('"' in element for element in argv)


@pytest.mark.parametrize('bad', ['a&b', 'a|b', 'x>y', 'a^b', '%PATH%', '!x!', 'say "hi"', 'a(b)', 'line\nbreak',
                                 ' lead', 'trail\\', ''])
def test_every_variable_part_is_validated(bad: str) -> None:
    with pytest.raises(chain.ChainError):
        chain.build([chain.Step('a', ('reg.exe', 'query', bad))], NONCE)


@pytest.mark.parametrize('path', ['C:\\Program Files\\x', 'relative\\x', 'C:\\a\\..\\b', 'C:\\a&b', '\\\\server\\share\\x',
                                  'C:\\a\\', 'C:\\a\\.\\b'])
def test_paths_are_plain_absolute_windows_paths(path: str) -> None:
    with pytest.raises(chain.ChainError):
        chain.validate_path(path)


def test_only_known_programs_and_fixed_grants() -> None:
    with pytest.raises(chain.ChainError, match='not a program'):
        chain.build([chain.Step('a', ('powershell.exe', '-c', 'x'))], NONCE)
    steps = chain.staging_steps('C:\\Windows\\Temp\\tscal-0123456789abcdef')
    argv = chain.build(steps, NONCE)
    assert '*S-1-5-18:^(OI^)^(CI^)F' in argv and '*S-1-5-32-544:^(OI^)^(CI^)F' in argv
    assert steps[1].needs == ('mkdir',)


def test_structure_errors() -> None:
    with pytest.raises(chain.ChainError, match='needs'):
        chain.build([chain.Step('a', ('rd', 'C:\\x'), needs=('b',))], NONCE)
    with pytest.raises(chain.ChainError, match='unique'):
        chain.build([chain.Step('a', ('rd', 'C:\\x')), chain.Step('a', ('rd', 'C:\\y'))], NONCE)
    with pytest.raises(chain.ChainError, match='nonce'):
        chain.build([], 'not-a-nonce')


def test_parse_reads_each_exit_code_output_and_skipped_steps() -> None:
    steps = [chain.Step('a', ('rd', 'C:\\x')), chain.Step('b', ('rd', 'C:\\y')), chain.Step('c', ('rd', 'C:\\z'), needs=('b',))]
    results = chain.parse(_output({'a': (0, 'hello\r\nworld'), 'b': (1, 'ERROR: Access is denied.')}), steps, NONCE)
    assert (results['a'].rc, results['a'].output) == (0, 'hello\nworld')
    assert (results['b'].rc, results['b'].ok) == (1, False)
    assert (results['c'].rc, results['c'].ran) == (None, False)


def test_parse_ignores_markers_of_another_nonce_and_needs_the_end() -> None:
    steps = [chain.Step('a', ('rd', 'C:\\x'))]
    forged = '::tscal-ffffffffffffffff:a:rc:0'
    results = chain.parse(_output({'a': (1, forged)}), steps, NONCE)
    assert results['a'].rc == 1 and forged in results['a'].output
    with pytest.raises(chain.ChainError, match='stopped before its end'):
        chain.parse('::tscal-%s:a:begin\r\nno end' % NONCE, steps, NONCE)


def test_certutil_hash_forms() -> None:
    digest = 'cdedc5899535a06602bb1787ae9627dc4521d1ee0acfc3905e1db9e49a9927a8'
    assert chain.certutil_sha256('SHA256 hash of C:\\x:\r\n%s\r\nCertUtil: -hashfile command completed '
                                 'successfully.\r\n' % digest) == digest
    spaced = ' '.join(digest[i:i + 2] for i in range(0, 64, 2)).upper()  # Windows 7/8
    assert chain.certutil_sha256('SHA256 hash of file x:\r\n%s\r\n' % spaced) == digest
    assert chain.certutil_sha256('') is None


# -- deciding from the results -------------------------------------------------------------------------------
PARENT_WITHOUT = ('\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\r\n'
                  'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\r\n'
                  'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensingX\r\n')
PARENT_WITH = PARENT_WITHOUT + 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\mslicensing\r\n'
ARCH = '\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\...\\Environment\r\n    PROCESSOR_ARCHITECTURE    REG_SZ    %s\r\n'


def _results(arch='AMD64', parent=(0, PARENT_WITHOUT), query=(1, 'ERROR: The system was unable to find the key')):
    steps = store.read_steps(['64'])
    return chain.parse(_output({'arch': (0, ARCH % arch), 'parent64': parent, 'store64': query}), steps, NONCE)


def test_absent_only_when_the_readable_parent_does_not_list_it() -> None:
    assert store.store_in_view(_results(), '64') is None


@pytest.mark.parametrize('parent,message', [
    ((1, 'ERROR: Access is denied.'), 'cannot tell whether the store is there'),
    ((0, PARENT_WITH), 'although'),
])
def test_anything_else_is_an_error_with_what_reg_exe_said(parent, message) -> None:
    with pytest.raises(store.HostError, match=message) as info:
        store.store_in_view(_results(parent=parent, query=(1, 'ERROR: Access is denied.')), '64')
    assert 'ERROR: Access is denied.' in str(info.value)


def test_parent_listing_is_ascii_case_insensitive_and_accepts_wow6432node() -> None:
    assert store.parent_lists_store('HKEY_LOCAL_MACHINE\\SOFTWARE\\Wow6432Node\\Microsoft\\MSLICENSING\r\n')
    assert not store.parent_lists_store('HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicen\u017fing\r\n')
    assert not store.parent_lists_store('    MSLicensing    REG_SZ    a value, not a key\r\n')


def test_32_bit_windows_has_one_view() -> None:
    assert store.architecture(_results(arch='x86')) == 'x86'
    assert store.distinct_views(['64', '32'], 'x86') == ['64']
    assert store.distinct_views(['32', '64'], 'x86') == ['32']
    assert store.distinct_views(['64', '32'], 'AMD64') == ['64', '32']
    assert store.distinct_views(['64', '32'], 'ARM64') == ['64', '32']
    with pytest.raises(store.HostError, match='32-bit'):
        store.architecture(chain.parse(_output({'arch': (1, 'ERROR: Access is denied.')}), store.read_steps(['64']), NONCE))


# -- reg query variants (issue 14 section 6): the export is the truth ---------------------------------------
def _doc(*keys) -> _regfile.RegDocument:
    return _regfile.RegDocument(tuple(_regfile.RegKey(path, tuple(values)) for path, values in keys))


KEY = store.STORE_KEY
HWID = _regfile.RegValue('ClientHWID', _regfile.REG_BINARY, bytes(range(20)))
LICENSE = _regfile.RegValue('ClientLicense', _regfile.REG_BINARY, bytes(range(256)) * 8)


def test_query_may_list_or_omit_keys_without_values() -> None:
    export = _doc((KEY, []), (KEY + '\\HardwareID', [HWID]), (KEY + '\\Store', []), (KEY + '\\Store\\LICENSE000', [LICENSE]))
    terse = _doc((KEY, []), (KEY + '\\HardwareID', [HWID]), (KEY + '\\Store\\LICENSE000', [LICENSE]))
    assert store.export_matches_query(export, terse) and store.export_matches_query(export, export)


def test_query_may_truncate_long_binaries_but_not_change_them() -> None:
    export = _doc((KEY + '\\Store\\LICENSE000', [LICENSE]))
    truncated = _doc((KEY + '\\Store\\LICENSE000', [_regfile.RegValue('ClientLicense', _regfile.REG_BINARY, LICENSE.data[:1024])]))
    changed = _doc((KEY + '\\Store\\LICENSE000', [_regfile.RegValue('ClientLicense', _regfile.REG_BINARY, b'\x01' + LICENSE.data[1:])]))
    assert store.export_matches_query(export, truncated)
    assert not store.export_matches_query(export, changed)
    assert not store.export_matches_query(export, _doc((KEY + '\\Store\\LICENSE001', [LICENSE])))


def test_wow6432node_spelling_reads_as_the_logical_path() -> None:
    query = ('\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Wow6432Node\\Microsoft\\MSLicensing\\HardwareID\r\n'
             '    ClientHWID    REG_BINARY    %s\r\n' % HWID.data.hex().upper())
    results = _results(query=(0, query))
    doc = store.store_in_view(results, '64')
    assert store.export_matches_query(_doc((KEY + '\\HardwareID', [HWID])), doc)
    export = ('Windows Registry Editor Version 5.00\r\n\r\n'
              '[HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\MSLicensing]\r\n\r\n').encode('utf-16')
    assert store.verify_export(store.logical_export(export), 'x').keys[0].path == KEY


def _pem(data: bytes) -> str:
    # certutil -encode's file: BEGIN line, base64 in lines of 64 characters, END line, CRLF throughout
    import base64
    text = base64.b64encode(data).decode()
    return '\r\n'.join(['-----BEGIN CERTIFICATE-----'] + [text[i:i + 64] for i in range(0, len(text), 64)]
                       + ['-----END CERTIFICATE-----', ''])


def test_encoded_bytes_read_back_exactly() -> None:
    data = bytes(range(256)) * 7 + b'\xff\xfe'
    assert chain.certutil_decoded(_pem(data)) == data
    assert chain.certutil_decoded('noise before\r\n' + _pem(b'x')) == b'x'


@pytest.mark.parametrize('text', [
    '', 'no block at all', '-----BEGIN CERTIFICATE-----\r\nQUJD\r\n',  # cut short: no END line
    '-----BEGIN CERTIFICATE-----\r\nQU!D\r\n-----END CERTIFICATE-----\r\n',  # not base64
    '-----BEGIN CERTIFICATE-----\r\nQUJ\r\n-----END CERTIFICATE-----\r\n',  # a partial quantum
    '-----BEGIN CERTIFICATE-----\r\n' + 'A' * 68 + '\r\n-----END CERTIFICATE-----\r\n',  # longer than certutil writes
])
def test_anything_but_a_whole_encoded_file_reads_as_nothing(text: str) -> None:
    assert chain.certutil_decoded(text) is None


def test_encode_steps_print_the_file_they_encode_and_validate_both_paths() -> None:
    steps = chain.encode_steps('x', 'C:\\Windows\\Temp\\tscal-1\\a.reg', 'C:\\Windows\\Temp\\tscal-1\\a.reg.b64', needs=('e',))
    assert [(s.name, s.argv, s.needs) for s in steps] == [
        ('x_encode', ('certutil.exe', '-encode', 'C:\\Windows\\Temp\\tscal-1\\a.reg', 'C:\\Windows\\Temp\\tscal-1\\a.reg.b64'), ('e',)),
        ('x_show', ('type', 'C:\\Windows\\Temp\\tscal-1\\a.reg.b64'), ('x_encode',))]
    with pytest.raises(chain.ChainError):
        chain.encode_steps('x', 'C:\\a b.reg', 'C:\\a.b64')


def test_a_returned_export_must_match_the_hash_the_host_printed() -> None:
    data = 'Windows Registry Editor Version 5.00\r\n'.encode('utf-16')
    digest = store.sha256(data)
    good = {'e_hash': chain.StepResult(0, 'SHA256 hash of f:\r\n%s\r\nCertUtil: -hashfile command completed successfully.' % digest),
            'e_encode': chain.StepResult(0, 'Input Length = 1'), 'e_show': chain.StepResult(0, _pem(data))}
    assert store.returned_export('e', good, 'C:\\f.reg') == data
    damaged = dict(good, e_show=chain.StepResult(0, _pem(data[:-2])))
    with pytest.raises(store.BackupError, match='did not come back intact'):
        store.returned_export('e', damaged, 'C:\\f.reg')
    failed = dict(good, e_encode=chain.StepResult(-2147024816, 'CertUtil: -encode command FAILED: 0x80070050'))
    with pytest.raises(store.BackupError, match='certutil -encode of the export'):
        store.returned_export('e', failed, 'C:\\f.reg')
