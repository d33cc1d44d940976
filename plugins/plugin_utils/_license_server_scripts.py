# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Every PowerShell script the license_server action sends, in one place.

Each script is passed verbatim as ``script:`` to ``ansible.windows.win_powershell`` and runs on the RD
license server. They only read raw WMI properties (CIM cmdlets, namespace ``root\\CIMV2``) or call one
method, and return what they got in ``$Ansible.Result``; every decision is taken on the controller
(``_license_server``). Dates are left as .NET DateTime so win_powershell renders them as ISO 8601.

Pipelines and property lists are kept on one line, or in ``@( ... )`` lines without trailing commas: both
are plain PowerShell, and they are what tree-sitter's PowerShell grammar (the unit tests' syntax check)
parses; a trailing ``|`` or ``,`` continuing onto the next line is valid PowerShell that the grammar rejects.

Every script starts with a marker comment ``# tslicensing.cal:<name>``; it documents the script in logs
and lets the lab's contract double of win_powershell recognise which one it was sent.

None declares ``[CmdletBinding(SupportsShouldProcess)]``: the reads run with check mode lent off (they
change nothing), and the action never sends REVOKE_ISSUED in check mode, so win_powershell's
"skipped, running in check mode" answer is never relied upon.
"""

from __future__ import annotations

MARKER_PREFIX = '# tslicensing.cal:'

LIST_CALS = r'''# tslicensing.cal:list_cals
# Read only: the installed CAL key packs and all issued per-device CALs, with their raw properties, in one call.
$Ansible.Changed = $false
$packProperties = @(
    'KeyPackId', 'Description', 'KeyPackType', 'ProductType', 'ProductVersion', 'ProductVersionID'
    'TotalLicenses', 'IssuedLicenses', 'AvailableLicenses', 'ExpirationDate', 'TypeAndModel'
)
$issuedProperties = @(
    'LicenseId', 'KeyPackId', 'sIssuedToUser', 'sIssuedToComputer'
    'LicenseStatus', 'IssueDate', 'ExpirationDate', 'sHardwareId'
)
$packs = Get-CimInstance -Namespace root\CIMV2 -ClassName Win32_TSLicenseKeyPack
$issued = Get-CimInstance -Namespace root\CIMV2 -ClassName Win32_TSIssuedLicense
$Ansible.Result = @{
    KeyPacks = @($packs | Select-Object -Property $packProperties)
    Issued = @($issued | Select-Object -Property $issuedProperties)
}
'''

LIST_KEYPACKS = r'''# tslicensing.cal:list_keypacks
# Read only: all installed CAL key packs with their raw properties.
$Ansible.Changed = $false
$properties = @(
    'KeyPackId', 'Description', 'KeyPackType', 'ProductType', 'ProductVersion', 'ProductVersionID'
    'TotalLicenses', 'IssuedLicenses', 'AvailableLicenses', 'ExpirationDate', 'TypeAndModel'
)
$instances = Get-CimInstance -Namespace root\CIMV2 -ClassName Win32_TSLicenseKeyPack
$Ansible.Result = @{ Instances = @($instances | Select-Object -Property $properties) }
'''

ACTIVATION = r'''# tslicensing.cal:activation
# Read only: activation status (a static method) and the server's read-only properties.
$Ansible.Changed = $false
$properties = @('ProductId', 'Version', 'VersionNumber', 'DatabasePath', 'ServerRole')
$status = Invoke-CimMethod -Namespace root\CIMV2 -ClassName Win32_TSLicenseServer -MethodName GetActivationStatus
$server = Get-CimInstance -Namespace root\CIMV2 -ClassName Win32_TSLicenseServer
$Ansible.Result = @{
    ReturnValue = $status.ReturnValue
    ActivationStatus = $status.ActivationStatus
    Server = $server | Select-Object -Property $properties
}
'''

REVOKE_ISSUED = r'''# tslicensing.cal:revoke_issued
# Revokes one issued per-device CAL, named by its keys; returns Revoke()'s return value and out values.
param (
    [Parameter(Mandatory = $true)]
    [uint32]
    $LicenseId,

    [Parameter(Mandatory = $true)]
    [uint32]
    $KeyPackId
)

$license = Get-CimInstance -Namespace root\CIMV2 -ClassName Win32_TSIssuedLicense `
    -Filter "LicenseId = $LicenseId AND KeyPackId = $KeyPackId"
$Ansible.Result = @{ Found = $null -ne $license }
if ($license) {
    $revoke = Invoke-CimMethod -InputObject $license -MethodName Revoke
    $Ansible.Result.ReturnValue = $revoke.ReturnValue
    $Ansible.Result.RevokableCals = $revoke.RevokableCals
    $Ansible.Result.NextRevokeAllowedOn = $revoke.NextRevokeAllowedOn
}
'''

SCRIPTS: dict[str, str] = {
    'list_cals': LIST_CALS,
    'list_keypacks': LIST_KEYPACKS,
    'activation': ACTIVATION,
    'revoke_issued': REVOKE_ISSUED,
}


def script_name(script: str) -> str | None:
    """The name in a script's marker comment, or None when it carries none."""
    for line in script.splitlines():
        stripped = line.strip()
        if stripped.startswith(MARKER_PREFIX):
            return stripped[len(MARKER_PREFIX):].strip()
    return None
