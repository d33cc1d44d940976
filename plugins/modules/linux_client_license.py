#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This is a documentation-only file: the logic is the action plugin plugins/action/linux_client_license.py,
# which decides everything on the controller and runs tslicensing.cal.linux_license_files on the host.

DOCUMENTATION = r"""
module: linux_client_license
short_description: Query, back up and remove, or restore the CAL files of FreeRDP and rdesktop on a Linux client
version_added: 0.1.0
description:
  - Linux thin clients (IGEL OS, HP ThinPro, Stratodesk, Raspberry Pi kiosks, plain Debian) that connect with
    FreeRDP or rdesktop keep the per-device CAL a license server issued them in a file per user and client
    hostname. This module does for them what M(tslicensing.cal.client_license) does for the MSLicensing store
    of a Windows client, with the same guarantees and the same result shape (C(views)), so the outcome, the
    audit report and the ledger take Linux and Windows clients alike.
  - "Where the files are: FreeRDP C(${XDG_CONFIG_HOME:-~/.config}/freerdp/licenses/<sha1 of the client hostname>.cal);
    rdesktop 1.9 C(~/.local/share/rdesktop/licenses/<sha1 of the NUL-padded hostname and a salt>.cal), and the
    legacy C(~/.rdesktop/license.<host>) and C(~/.rdesktop/licence.<host>). The client hostname is recovered
    from a hashed name by hashing the candidates: O(hostnames), the inventory name, C(ansible_host) when it is a
    name, and the host's own names, each also lower-case, upper-case and short."
  - The host runs only M(tslicensing.cal.linux_license_files) (Python standard library); each licence is
    decoded on the controller.
  - O(state=absent) scans the homes and brings every file's bytes to the controller in the same round trip,
    writes each as a backup (0600) with a manifest C(.cal.json) (host, user, home, client, path, client
    hostname, mode, owner, sha256) beside it and reads both back, and only then removes on the host exactly
    the files whose bytes still have the sha256 backed up (each is renamed aside within its folder first, so
    what is hashed is what is removed; a file changed meanwhile is put back and fails the task).
  - "The hard guard, applied on the controller and again on the host: only a file directly inside a licence
    folder of the users asked for, with a licence file name of that folder's client, reached without a symbolic
    link, can ever be removed or written."
  - Removing a licence file does B(not) give the client a new hardware id, unlike deleting
    C(MSLicensing\HardwareID) on Windows; both clients derive it from the client hostname (FreeRDP C(0x04010000)
    and the MD5 of the hostname, rdesktop C(2) and the hostname). After a removal the client asks the license
    server for a new licence with the same hardware id.
options:
  state:
    description:
      - V(query) reports every licence file, decoded.
      - V(absent) backs up and removes every licence file (see the description).
      - V(present) restores backups (O(backup), or the newest backup of each licence file path of this host)
        with their exact bytes, owner and mode; an identical file is left as it is, a different one is refused.
    type: str
    choices: [query, absent, present]
    default: query
  users:
    description:
      - The users whose homes are searched, by name or as C({name, home, xdg_config_home}) (a kiosk user whose
        FreeRDP runs with C(XDG_CONFIG_HOME) set). Empty searches every account with uid 0 or 1000 and up whose
        home exists. Reading another user's home needs C(become).
    type: list
    elements: raw
    default: []
  hostnames:
    description: Client hostnames the RDP clients send (their C(/client-hostname:) or C(-n)) besides the host's names.
    type: list
    elements: str
    default: []
  backup_dir:
    description: The controller's backup root (as M(tslicensing.cal.client_license)); default C($TSCAL_BACKUP_DIR),
      else C(~/.local/share/tslicensing.cal/backups). Each host has a folder of its own there.
    type: path
  backup:
    description: With O(state=present), one C(.cal) backup to restore; its manifest must be beside it.
    type: path
  remove_permanent:
    description: With O(state=absent), also remove a file holding a permanent, unexpired CAL (outside a transfer).
    type: bool
    default: false
  restore_from_host:
    description: With O(state=present), the inventory name the backup was made under, when that is this host's old name.
    type: str
  restore_transferred_cal:
    description: With O(state=present), restore a CAL although the ledger says it was transferred to another computer.
    type: bool
    default: false
  ledger:
    description: The ledger a restore checks for transfers and a transfer's removal records its intent in.
    type: str
  transfer:
    description: Set by the transfer role; the removal is then part of a transfer, whose intent is recorded in
      the ledger after the backups and before the first removal (see M(tslicensing.cal.client_license)).
    type: dict
    suboptions:
      target:
        description: The target computer.
        type: str
        required: true
      reason:
        description: Why.
        type: str
      operator:
        description: Who.
        type: str
      reissue_reference:
        description: The Clearinghouse reference, when the CAL is reissued.
        type: str
      allow_multiple_to_target:
        description: Let the target receive more than one CAL.
        type: bool
        default: false
      cals:
        description: The CALs the transfer checked.
        type: list
        elements: raw
      variable_names:
        description: Names of the variables for the ledger's refusals.
        type: dict
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
author:
  - tslicensing.cal contributors (@tslicensing)
attributes:
  check_mode:
    support: full
    details: The scan runs; nothing is written anywhere.
  diff_mode:
    support: full
    details: The decoded licences removed or restored.
  platform:
    platforms: posix
seealso:
  - module: tslicensing.cal.client_license
"""

EXAMPLES = r"""
- name: The licence files of a thin client's kiosk user
  tslicensing.cal.linux_client_license:
    state: query
    users: [kiosk]
  become: true

- name: Back up and remove them (the fix for "an error in the licensing protocol")
  tslicensing.cal.linux_client_license:
    state: absent
    users: [kiosk]
  become: true

- name: Put the newest backups back
  tslicensing.cal.linux_client_license:
    state: present
    users: [kiosk]
  become: true
"""

RETURN = r"""
views:
  description:
    - Per licence file path, as it was before the task (after it, for files restored), in the shape of a
      M(tslicensing.cal.client_license) view - C(present), C(hardware_id) (the hardware id the licence was
      issued to), C(licenses) (one entry with the C(decoded) licence) - plus C(client), C(layout), C(user),
      C(home), C(path), C(client_hostname) (null when no candidate hashes to the name), C(mode), C(uid),
      C(gid), C(owner), C(group), C(sha256) and, with O(state=absent), the C(backup) written.
  returned: always
  type: dict
  sample: {/home/kiosk/.config/freerdp/licenses/3c0d...cal: {present: true, client: freerdp, user: kiosk,
           client_hostname: thin01, mode: '0644', licenses: [{name: 3c0d...cal, decoded: {}}]}}
users:
  description: The users as the host resolved them.
  returned: always
  type: list
  elements: dict
host_names:
  description: The host's own names.
  returned: always
  type: list
  elements: str
backups:
  description: Per licence file path, the backup used by O(state=present).
  returned: when O(state=present)
  type: dict
platform:
  description: Always V(linux).
  returned: always
  type: str
module_executions:
  description: Round trips to the host (query 1, absent 2 or 1 with nothing to remove, present 2 or 1).
  returned: always
  type: int
  sample: 2
msg:
  description: What was done, or would be done in check mode.
  returned: when O(state) is V(absent) or V(present)
  type: str
override:
  description: Overrides used by O(state=present), as recorded in the ledger.
  returned: when an override was needed
  type: dict
"""
