"""The PowerShell scripts sent to the license server (plugins/plugin_utils/_license_server_scripts.py).

The syntax check uses tree-sitter's PowerShell grammar (PyPI: tree-sitter, tree-sitter-powershell). It proves
the scripts parse; it cannot prove that the CIM cmdlets behave as expected on a real license server.
"""

from __future__ import annotations

import re

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _license_server_scripts as scripts

# Property names as documented for the classes (domain.md section 4, Microsoft's TlsWmiProv pages).
DOCUMENTED_PROPERTIES = {
    'Win32_TSIssuedLicense': {'LicenseId', 'KeyPackId', 'sIssuedToUser', 'sIssuedToComputer', 'LicenseStatus',
                              'IssueDate', 'ExpirationDate', 'sHardwareId'},
    'Win32_TSLicenseKeyPack': {'KeyPackId', 'Description', 'KeyPackType', 'ProductType', 'ProductVersion',
                               'ProductVersionID', 'TotalLicenses', 'IssuedLicenses', 'AvailableLicenses',
                               'ExpirationDate', 'AccessRights', 'TypeAndModel'},
    'Win32_TSLicenseServer': {'FirstName', 'LastName', 'Company', 'CountryRegion', 'eMail', 'OrgUnit', 'Address',
                              'City', 'State', 'PostalCode', 'ServerRole', 'DatabasePath', 'ProductId', 'Version',
                              'VersionNumber'},
}
READ_SCRIPTS = ['list_cals', 'list_keypacks', 'activation']


def powershell_parser():  # type: ignore[no-untyped-def]
    tree_sitter = pytest.importorskip('tree_sitter')
    grammar = pytest.importorskip('tree_sitter_powershell')
    return tree_sitter.Parser(tree_sitter.Language(grammar.language()))


def syntax_problems(source: str) -> list[str]:
    tree = powershell_parser().parse(source.encode('utf-8'))
    problems: list[str] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == 'ERROR' or node.is_missing:
            problems.append('%s at line %d: %r' % ('missing ' + node.type if node.is_missing else 'error',
                                                   node.start_point[0] + 1, node.text.decode()[:60]))
        stack.extend(node.children)
    return problems


@pytest.mark.parametrize('name', sorted(scripts.SCRIPTS))
def test_script_parses_as_powershell(name: str) -> None:
    assert syntax_problems(scripts.SCRIPTS[name]) == []


@pytest.mark.parametrize('broken', [
    'if ($x {\n    $y = 1\n',
    '$Ansible.Result = @{ Instances = @(Get-CimInstance -ClassName X | Select-Object -Property A, }\n',
    'param ([uint32] $A\n$b = 1\n',
])
def test_parser_check_catches_broken_powershell(broken: str) -> None:
    # Proves the check above can fail.
    assert syntax_problems(broken) != []


@pytest.mark.parametrize('name', sorted(scripts.SCRIPTS))
def test_script_carries_its_marker_first(name: str) -> None:
    source = scripts.SCRIPTS[name]
    assert source.splitlines()[0] == scripts.MARKER_PREFIX + name
    assert scripts.script_name(source) == name


def test_script_without_marker_has_no_name() -> None:
    assert scripts.script_name('Get-Date\n') is None


@pytest.mark.parametrize('name', sorted(scripts.SCRIPTS))
def test_every_cim_call_targets_root_cimv2(name: str) -> None:
    source = scripts.SCRIPTS[name]
    for call in re.findall(r'(?:Get-CimInstance|Invoke-CimMethod)[^\n]*', source):
        if '-InputObject' in call:
            continue  # a method on an instance already read from root\CIMV2
        assert '-Namespace root\\CIMV2 ' in call, call


@pytest.mark.parametrize('name', READ_SCRIPTS)
def test_selected_properties_are_documented(name: str) -> None:
    source = scripts.SCRIPTS[name]
    # Each class read is kept to a property list of its own: $properties, or $<x>Properties when one script
    # reads two classes (list_cals).
    reads = re.findall(r'(?:\$(\w+) = )?Get-CimInstance -Namespace root\\CIMV2 -ClassName (\w+)', source)
    assert reads
    for variable, class_name in reads:
        prefix = {'packs': 'pack', 'issued': 'issued'}.get(variable, '')
        list_name = prefix + 'Properties' if prefix else 'properties'
        [listed] = re.findall(r'\$%s = @\(([^)]*)\)' % list_name, source)
        properties = set(re.findall(r"'(\w+)'", listed))
        assert properties and properties <= DOCUMENTED_PROPERTIES[class_name], properties - DOCUMENTED_PROPERTIES[class_name]
        assert '| Select-Object -Property $%s' % list_name in source


def test_issued_and_keypack_reads_select_everything_the_decisions_use() -> None:
    assert 'sHardwareId' in scripts.LIST_CALS and 'LicenseStatus' in scripts.LIST_CALS
    for needed in ('ProductType', 'ProductVersionID', 'TotalLicenses', 'IssuedLicenses', 'AvailableLicenses'):
        assert needed in scripts.LIST_KEYPACKS and needed in scripts.LIST_CALS


@pytest.mark.parametrize('name', READ_SCRIPTS)
def test_reads_report_unchanged(name: str) -> None:
    assert '$Ansible.Changed = $false' in scripts.SCRIPTS[name]


@pytest.mark.parametrize('name', sorted(scripts.SCRIPTS))
def test_no_script_declares_should_process(name: str) -> None:
    # The action lends check mode off for reads and never sends the revoke script in check mode.
    assert 'SupportsShouldProcess' not in scripts.SCRIPTS[name]


def test_revoke_takes_the_two_keys_as_typed_parameters() -> None:
    source = scripts.REVOKE_ISSUED
    assert re.findall(r'\[uint32\]\s*\$(\w+)', source) == ['LicenseId', 'KeyPackId']
    assert '-MethodName Revoke' in source
    for out in ('ReturnValue', 'RevokableCals', 'NextRevokeAllowedOn'):
        assert '$revoke.%s' % out in source


@pytest.mark.parametrize('name', sorted(scripts.SCRIPTS))
def test_no_decision_logic_in_powershell(name: str) -> None:
    # The only comparison allowed is "did the instance exist" before calling a method on it.
    comparisons = re.findall(r'\S+\s+-(?:eq|ne|gt|ge|lt|le|like|notlike|match|notmatch|contains|in)\s+\S+',
                             scripts.SCRIPTS[name], flags=re.IGNORECASE)
    assert comparisons == (['$null -ne $license'] if name == 'revoke_issued' else [])
    assert not re.search(r'\b(switch|elseif|else|while|foreach|throw)\b', scripts.SCRIPTS[name])
