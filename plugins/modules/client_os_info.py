#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/client_os_info.py.

DOCUMENTATION = r'''
---
module: client_os_info
short_description: Detect a Windows client's OS and decide whether a KB 315262 CAL transfer applies to it
version_added: 0.1.0
description:
- Reads C(HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion), the NetBIOS computer name
  (C(HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName)) and C(PROCESSOR_ARCHITECTURE)
  (C(HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment)) with three C(reg.exe query) in one
  C(cmd.exe) program start (one round trip) through M(ansible.windows.win_command) (no PowerShell), and parses
  them on the controller into an OS descriptor (family, edition, client or server, version, build, computer
  name, architecture). C(InstallationType) V(Server), V(Server Core) and V(Nano Server) are servers.
- Decides from the collection's eligibility matrix (KB 315262, KB 248430, KB 823313, the RDS CAL documentation)
  whether the client needs a CAL, has a built-in one, and whether transferring its CAL makes sense.
- Missing or malformed registry values, or a licensing context the sources do not cover, give C(unknown) with
  a reason instead of a guess or a failure.
- Windows 2000 and XP hosts cannot be reached by Ansible; decide for them from a declared OS with the
  P(tslicensing.cal.cal_eligibility#filter) filter or the C(tslicensing.cal.eligibility) role.
- Read-only; runs in check mode too.
options:
  license_server:
    description:
    - Generation of the license server / terminal server the client connects to.
    - One of V(2000), V(2003), V(2008), V(2008R2), V(2012), V(2012R2), V(2016), V(2019), V(2022), V(2025), in any
      case and spacing (V(2008r2), V(2012 R2)).
    - Without it, or with another value, the decision is C(unknown) and RV(eligibility.reason) says why.
    type: str
  licensing_mode:
    description:
    - Licensing mode of the terminal server. Windows 2000 servers only know C(per_device).
    - Without it the decision is C(unknown).
    type: str
    choices: [per_device, per_user]
  matrix_override:
    description:
    - Rows matched before the built-in eligibility matrix, for an admin who reads the sources differently.
    - Each row has the decision keys C(cal_required), C(built_in_license), C(transfer_applicable)
      (V(true), V(false) or V(unknown)) and C(reason); optional C(id), C(references) and the match lists
      C(families), C(editions), C(product_types), C(servers), C(modes) (a missing list matches anything).
    - A malformed row fails the task.
    type: list
    elements: dict
    default: []
  registry_views:
    description:
    - Also read the client license store (C(HKLM\\SOFTWARE\\Microsoft\\MSLicensing)) in these registry views
      (V(64), V(32)) in the same round trip, and return it as RV(client_license).
    - Without it the store is not read.
    type: list
    elements: str
attributes:
  check_mode:
    support: full
    details: Only reads the registry.
  diff_mode:
    support: none
  platform:
    platforms: windows
extends_documentation_fragment:
- ansible.builtin.action_common_attributes
seealso:
- module: ansible.windows.win_command
author:
- tslicensing.cal contributors (@tslicensing)
'''

EXAMPLES = r'''
- name: Detect the OS and decide against a Windows Server 2003 terminal server in per-device mode
  tslicensing.cal.client_os_info:
    license_server: '2003'
    licensing_mode: per_device
  register: client_os

- name: Stop when the transfer does not apply
  ansible.builtin.fail:
    msg: "{{ client_os.eligibility.reason }}"
  when: client_os.eligibility.transfer_applicable is not sameas true

- name: Treat Windows 10 Home against a Windows 2000 server as not applicable (admin decision)
  tslicensing.cal.client_os_info:
    license_server: '2000'
    licensing_mode: per_device
    matrix_override:
      - id: site-policy/w2k-ts-windows-10
        families: [windows_10]
        servers: ['2000']
        cal_required: unknown
        built_in_license: unknown
        transfer_applicable: false
        reason: site policy - no transfers for Windows 10 against the legacy terminal server
'''

RETURN = r'''
os:
  description:
  - The client OS as parsed from the CurrentVersion values.
  - C(family) is V(unknown) (with C(reason)) when the values are missing or malformed.
  returned: always
  type: dict
  sample:
    family: windows_11
    name: Windows 11
    edition: home
    product_type: client
    version: '10.0'
    build: 22631
    service_pack: null
    product_name: Windows 10 Home
    edition_id: Core
    installation_type: Client
    source: registry
    computer_name: PC-042
    architecture: AMD64
    reason: ''
  contains:
    computer_name:
      description:
        - The NetBIOS computer name from the registry (what a license server records as the client's name), or
          null when it could not be read. Null in a declared OS.
      type: str
    architecture:
      description:
        - C(PROCESSOR_ARCHITECTURE) of the machine (C(x86) is 32-bit Windows), or null when it could not be read.
          Null in a declared OS.
      type: str
eligibility:
  description: The decision.
  returned: always
  type: dict
  contains:
    cal_required:
      description: Whether the client needs a purchased CAL (V(true), V(false) or V(unknown)).
      type: raw
    built_in_license:
      description: Whether the client gets a built-in license (V(true), V(false) or V(unknown)).
      type: raw
    transfer_applicable:
      description: Whether a KB 315262 transfer applies (V(true), V(false) or V(unknown)).
      type: raw
    reason:
      description: One line saying why.
      type: str
    references:
      description: The sources of the decision (KB ids, document names).
      type: list
      elements: str
    rule:
      description: Id of the matrix row that decided, or null when no row did (the decision is then V(unknown)).
      type: str
    os:
      description:
        - The OS descriptor the decision was made for (same as RV(os)), including C(computer_name) and
          C(architecture); the P(tslicensing.cal.eligibility#role) role's C(eligibility_result.os) is this.
      type: dict
  sample:
    cal_required: true
    built_in_license: false
    transfer_applicable: true
    reason: from Windows Server 2003 on every device needs a purchased TS CAL whatever its OS ...
    references: ['KB 823313 (Windows Server 2003 Terminal Server licensing issues and requirements)']
    rule: ws2003-ts/per-device
client_license:
  description:
  - With O(registry_views), the client license store as M(tslicensing.cal.client_license) with C(state=query)
    returns it (C(changed), C(architecture), C(views)), read in the identity round trip.
  returned: when O(registry_views) is given
  type: dict
  sample:
    changed: false
    architecture: AMD64
    views:
      '64': {present: false, hardware_id: null, licenses: []}
module_executions:
  description: Number of module executions on the host (always 1, the identity round trip, the store included).
  returned: always
  type: int
  sample: 1
'''
