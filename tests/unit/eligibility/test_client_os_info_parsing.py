"""The action's controller side: one ``reg query`` stdout in, OS descriptor out (no host needed)."""

from __future__ import annotations

from ansible_collections.tslicensing.cal.plugins.action.client_os_info import REG_QUERY_ARGV, os_from_reg_query

# As Windows 10 22H2 prints it (values, then the subkeys as bare lines).
WINDOWS_10_QUERY = '''
HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion
    SystemRoot    REG_SZ    C:\\WINDOWS
    BuildBranch    REG_SZ    vb_release
    CurrentBuild    REG_SZ    19045
    CurrentMajorVersionNumber    REG_DWORD    0xa
    CurrentMinorVersionNumber    REG_DWORD    0x0
    CurrentType    REG_SZ    Multiprocessor Free
    CurrentVersion    REG_SZ    6.3
    EditionID    REG_SZ    Professional
    InstallationType    REG_SZ    Client
    InstallDate    REG_DWORD    0x63a1b2c3
    ProductName    REG_SZ    Windows 10 Pro
    CurrentBuildNumber    REG_SZ    19045
    DisplayVersion    REG_SZ    22H2

HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Accessibility
HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\AppCompatFlags
'''.replace('\n', '\r\n')


def test_argv_is_one_read_only_query_of_the_64_bit_view() -> None:
    assert REG_QUERY_ARGV == ('reg.exe', 'query', 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion', '/reg:64')


def test_windows_10_query_output() -> None:
    os_info = os_from_reg_query(0, WINDOWS_10_QUERY, '')
    assert (os_info['family'], os_info['edition'], os_info['product_type'], os_info['version'], os_info['build']) \
        == ('windows_10', 'professional', 'client', '10.0', 19045)


def test_failed_query_is_unknown_with_the_error() -> None:
    os_info = os_from_reg_query(1, '', 'ERROR: The system was unable to find the specified registry key or value.\r\n')
    assert os_info['family'] == 'unknown'
    assert 'rc 1' in os_info['reason'] and 'unable to find' in os_info['reason']


def test_unreadable_output_is_unknown() -> None:
    os_info = os_from_reg_query(0, 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n'
                                   '    ProductName    REG_NOSUCHTYPE    x\r\n', '')
    assert os_info['family'] == 'unknown'
    assert 'unreadable' in os_info['reason']


def test_key_without_values_is_unknown() -> None:
    os_info = os_from_reg_query(0, '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n', '')
    assert os_info['family'] == 'unknown'


# -- the identity round trip: OS, computer name and architecture in one cmd.exe chain --------------------
def _chain_output(nonce: str, outputs: dict) -> str:
    lines = []
    for name, (rc, text) in outputs.items():
        lines += ['::tscal-%s:%s:begin ' % (nonce, name), text, '::tscal-%s:%s:rc:%d ' % (nonce, name, rc)]
    return '\r\n'.join(lines + ['::tscal-%s:end' % nonce]) + '\r\n'


def test_identity_reads_computer_name_and_architecture_in_the_same_round_trip() -> None:
    from ansible_collections.tslicensing.cal.plugins.action.client_os_info import IDENTITY_STEPS, identity
    from ansible_collections.tslicensing.cal.plugins.plugin_utils import _cmd_chain

    argv = _cmd_chain.build(IDENTITY_STEPS, '0123456789abcdef')
    assert argv[:4] == ['cmd.exe', '/d', '/v:on', '/c']
    assert 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName' in argv
    assert 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment' in argv
    stdout = _chain_output('0123456789abcdef', {
        'version': (0, WINDOWS_10_QUERY),
        'name': (0, '\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName\r\n'
                    '    ComputerName    REG_SZ    PC-042\r\n'),
        'arch': (0, '\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment\r\n'
                    '    PROCESSOR_ARCHITECTURE    REG_SZ    x86\r\n')})
    os_info = identity(_cmd_chain.parse(stdout, IDENTITY_STEPS, '0123456789abcdef'))
    assert (os_info['family'], os_info['computer_name'], os_info['architecture']) == ('windows_10', 'PC-042', 'x86')


def test_identity_without_name_or_architecture_says_null_not_a_guess() -> None:
    from ansible_collections.tslicensing.cal.plugins.action.client_os_info import IDENTITY_STEPS, identity
    from ansible_collections.tslicensing.cal.plugins.plugin_utils import _cmd_chain

    stdout = _chain_output('0123456789abcdef', {'version': (0, WINDOWS_10_QUERY), 'name': (1, 'ERROR: Access is denied.'),
                                                'arch': (1, 'ERROR: Access is denied.')})
    os_info = identity(_cmd_chain.parse(stdout, IDENTITY_STEPS, '0123456789abcdef'))
    assert os_info['family'] == 'windows_10' and os_info['computer_name'] is None and os_info['architecture'] is None


def test_nano_server_is_a_server() -> None:
    from ansible_collections.tslicensing.cal.plugins.plugin_utils._eligibility import parse_current_version

    nano = parse_current_version({'ProductName': 'Windows Server 2016 Datacenter', 'EditionID': 'ServerDatacenterNano',
                                  'CurrentVersion': '6.3', 'CurrentMajorVersionNumber': 10, 'CurrentBuildNumber': '14393',
                                  'InstallationType': 'Nano Server'})
    assert nano['product_type'] == 'server'
    # InstallationType decides even when nothing else says server
    bare = parse_current_version({'ProductName': 'Windows', 'EditionID': 'Nano', 'CurrentVersion': '6.3',
                                  'CurrentMajorVersionNumber': 10, 'CurrentBuildNumber': '14393',
                                  'InstallationType': 'Nano Server'})
    assert bare['product_type'] == 'server'


def test_the_store_read_in_the_identity_round_trip_is_what_a_query_reports() -> None:
    import pytest
    from ansible.errors import AnsibleActionFail

    from ansible_collections.tslicensing.cal.plugins.action.client_os_info import ActionModule
    from ansible_collections.tslicensing.cal.plugins.plugin_utils import _cmd_chain

    arch = (0, '\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment\r\n'
               '    PROCESSOR_ARCHITECTURE    REG_SZ    AMD64\r\n')
    parent = (0, '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\r\n')
    absent = (1, 'ERROR: The system was unable to find the specified registry key or value.')
    steps = [_cmd_chain.Step(name, ('reg.exe', 'query', 'x')) for name in ('arch', 'parent64', 'store64', 'parent32', 'store32')]
    results = _cmd_chain.parse(_chain_output('0123456789abcdef', {'arch': arch, 'parent64': parent, 'store64': absent,
                                                                  'parent32': parent, 'store32': absent}),
                               steps, '0123456789abcdef')
    store = ActionModule._store(['64', '32'], results)
    assert store['architecture'] == 'AMD64' and store['changed'] is False
    assert {view: report['present'] for view, report in store['views'].items()} == {'64': False, '32': False}
    # absence only on positive evidence: an unreadable parent fails instead of reporting no store
    denied = _cmd_chain.parse(_chain_output('0123456789abcdef', {'arch': arch, 'parent64': (1, 'ERROR: Access is denied.'),
                                                                 'store64': absent}), steps[:3], '0123456789abcdef')
    with pytest.raises(AnsibleActionFail, match='cannot tell whether the store is there'):
        ActionModule._store(['64'], denied)
