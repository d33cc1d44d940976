#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/license_server.py.

DOCUMENTATION = r'''
---
module: license_server
short_description: List, revoke and report per-device CALs, key packs and activation on an RD license server
version_added: 0.1.0
description:
- Run against the Remote Desktop license server (Windows Server 2008 or later with the RD Licensing role).
- Reads the RD Licensing WMI provider in C(root\CIMV2) (C(Win32_TSIssuedLicense), C(Win32_TSLicenseKeyPack),
  C(Win32_TSLicenseServer)) with small CIM scripts through M(ansible.windows.win_powershell); every decision is
  made on the controller.
- Deleting a client's C(MSLicensing) key does not free its CAL on the server; the issuance stays until it expires
  (permanent per-device CALs after a random 52-89 days, temporary ones after 90 days), is revoked, or the
  Clearinghouse reissues it. O(mode=revoke) frees it.
- The connecting account must be a member of the license server's local Administrators group; the provider
  answers others with empty properties, which fails the task with a clear message.
- WMI errors (C(WBEM_E_*) codes) fail the task with the code's name and meaning in C(msg) and the code in
  RV(wmi_error_code).
options:
  mode:
    description:
    - V(list) lists the per-device CALs issued to O(computer) and/or O(hardware_id) (all when neither is given).
    - V(revoke) revokes the active per-device CAL(s) issued to O(computer). Per-user CALs are never revoked
      (refused with RV(blocked_by=per_user)). The server allows revoking at most 20% of the per-device CALs of a
      CAL version per period; when that is used up (C(RevokableCals) 0 or C(NextRevokeAllowedOn) in the future)
      the task stops and fails with RV(blocked_by=revoke_limit). A client with no active per-device CAL is
      C(changed=false).
    - V(keypacks) reports the installed key packs, one entry per installation (a Clearinghouse reissue shows
      as a separate key pack), with totals per product type and version in RV(summary).
    - V(activation) reports the license server's activation status.
    type: str
    required: true
    choices: [list, revoke, keypacks, activation]
  computer:
    description:
    - Client name(s) as the server may have recorded it (C(sIssuedToComputer)), for example the client's computer
      name and the name its license carries; a CAL issued to any of them matches. Compared case-insensitively; an
      FQDN matches the NetBIOS name by its first label unless both sides are FQDNs; an IP address matches only
      itself.
    - Required with O(mode=revoke).
    type: list
    elements: str
  hardware_id:
    description:
    - Client hardware id (C(sHardwareId)). Braces, dashes, colons, blanks and case are ignored, because the
      string format of C(sHardwareId) is not documented.
    - With O(computer), a CAL must match both.
    type: str
  issued:
    description:
    - With O(mode=revoke), the RV(cals) that a O(mode=list) task of the same server returned moments earlier (a
      transfer's check before any change) - the CALs are not read again, so the revocation costs no read round
      trip. The revoke script finds each CAL again by its keys before revoking it.
    - Selected by O(computer) and O(hardware_id) again.
    type: list
    elements: dict
attributes:
  check_mode:
    support: full
    details: Reads run in check mode; O(mode=revoke) reports RV(would_revoke) and revokes nothing.
  diff_mode:
    support: none
  platform:
    platforms: windows
extends_documentation_fragment:
- ansible.builtin.action_common_attributes
notes:
- Product version names for C(ProductVersionID) 5, 6 and 7 (2016, 2019, 2022) are not documented by Microsoft;
  they are the values seen in the wild. C(ProductType) 3 (V(built_in)) is likewise undocumented.
- Microsoft documents no specific return code for "revoke limit reached"; it is recognised from the
  C(RevokableCals) and C(NextRevokeAllowedOn) out values.
seealso:
- module: ansible.windows.win_powershell
author:
- tslicensing.cal contributors (@tslicensing)
'''

EXAMPLES = r'''
- name: List the CALs issued to a client, under its computer name or the name its license carries
  tslicensing.cal.license_server:
    mode: list
    computer: [PC-042, WS-0042]
  register: issued

- name: Revoke the client's active per-device CALs (check mode shows what would be revoked)
  tslicensing.cal.license_server:
    mode: revoke
    computer: pc-042.corp.example
  register: revocation

- name: Record installed key packs (reissued packs are separate entries)
  tslicensing.cal.license_server:
    mode: keypacks
  register: packs

- name: Fail unless the license server is activated
  tslicensing.cal.license_server:
    mode: activation
  register: activation
  failed_when: not activation.activated
'''

RETURN = r'''
cals:
  description: O(mode=list) CALs issued to the client.
  returned: mode is list
  type: list
  elements: dict
  contains:
    license_id: {description: C(LicenseId)., type: int}
    key_pack_id: {description: C(KeyPackId)., type: int}
    issued_to_computer: {description: C(sIssuedToComputer)., type: str}
    issued_to_user: {description: C(sIssuedToUser)., type: str}
    hardware_id: {description: C(sHardwareId)., type: str}
    status:
      description: C(LicenseStatus) by name; an unlisted number shows as C(unrecognized_N).
      type: str
      choices: [unknown, temporary, active, upgrade, revoked, pending, concurrent]
    status_code: {description: C(LicenseStatus) as read., type: int}
    issue_date: {description: "C(IssueDate), ISO 8601 UTC.", type: str, sample: '2026-01-10T08:00:00Z'}
    expiration_date: {description: "C(ExpirationDate), ISO 8601 UTC.", type: str}
    product_type: {description: "Of the CAL's key pack (V(per_device), V(per_user), ...).", type: str}
    product_version: {description: "Of the CAL's key pack (V(2019), ...).", type: str}
matched_computers:
  description:
  - The names of O(computer) that at least one listed CAL was issued to, in the order given. A name missing here
    matched nothing on the server (for example a renamed client whose CAL carries its old name).
  returned: mode is list or revoke, with O(computer)
  type: list
  elements: str
  sample: [WS-0042]
count:
  description: Number of entries in RV(cals).
  returned: mode is list
  type: int
revoked:
  description: CALs revoked by this run (same keys as RV(cals)).
  returned: mode is revoke
  type: list
  elements: dict
would_revoke:
  description: In check mode, the CALs a real run would revoke.
  returned: mode is revoke
  type: list
  elements: dict
refused:
  description: Active CALs of the client that are not per-device and so were not revoked.
  returned: mode is revoke
  type: list
  elements: dict
not_revoked:
  description: CALs left issued because the revocation allowance ran out.
  returned: when blocked_by is revoke_limit
  type: list
  elements: dict
blocked_by:
  description: Why a revocation stopped.
  returned: when revocation was refused or stopped
  type: str
  choices: [per_user, revoke_limit]
revokable_cals:
  description: C(RevokableCals) from the last C(Revoke()) call.
  returned: when a revocation was attempted
  type: int
next_revoke_allowed_on:
  description: C(NextRevokeAllowedOn), ISO 8601 UTC, when the limit was reached and the server gave a date.
  returned: when blocked_by is revoke_limit
  type: str
key_packs:
  description: Installed key packs, one per installation, ordered by key pack id.
  returned: mode is keypacks
  type: list
  elements: dict
  contains:
    key_pack_id: {description: C(KeyPackId)., type: int}
    description: {description: C(Description)., type: str}
    key_pack_type: {description: "C(KeyPackType) by name (V(retail), V(volume), V(open), ...).", type: str}
    product_type: {description: "V(per_device), V(per_user), V(invalid) or V(built_in).", type: str}
    product_version: {description: C(ProductVersionID) by name (V(2008) ... V(2022))., type: str}
    product_version_id: {description: C(ProductVersionID)., type: int}
    product_version_text: {description: C(ProductVersion)., type: str}
    total: {description: C(TotalLicenses); null means unlimited (built-in and temporary packs)., type: int}
    issued: {description: C(IssuedLicenses)., type: int}
    available: {description: C(AvailableLicenses)., type: int}
    expiration_date: {description: "C(ExpirationDate), ISO 8601 UTC.", type: str}
    type_and_model: {description: C(TypeAndModel)., type: str}
summary:
  description: Totals per product type and version, with the key pack ids (installations) behind each.
  returned: mode is keypacks
  type: list
  elements: dict
activation_status:
  description: C(GetActivationStatus()) by name.
  returned: mode is activation
  type: str
  choices: [activated, not_activated, unknown]
activated:
  description: Whether the server is activated.
  returned: mode is activation
  type: bool
server_role:
  description: C(ServerRole) by name (V(workgroup), V(domain), V(forest)).
  returned: mode is activation
  type: str
version:
  description: C(Version) of the license server.
  returned: mode is activation
  type: str
wmi_error_code:
  description: The WMI code (hex) behind a failure.
  returned: when a WMI call failed with a code
  type: str
  sample: '0x80041003'
not_administrator:
  description: True when the server answered with empty properties (caller not in Administrators).
  returned: in that case
  type: bool
module_executions:
  description:
  - Number of win_powershell runs this task made (one read of key packs and issued CALs together, unless
    O(issued) is given; one per Revoke()).
  returned: always
  type: int
'''
