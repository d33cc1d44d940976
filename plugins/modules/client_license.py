#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This is a documentation-only file: the logic is the action plugin plugins/action/client_license.py,
# which runs reg.exe on the host through ansible.windows.win_command.

DOCUMENTATION = r"""
module: client_license
short_description: Query, back up and remove, or restore the TS/RDS client license store of a Windows client
version_added: 0.1.0
description:
  - Manages C(HKLM\SOFTWARE\Microsoft\MSLicensing), where a Windows client keeps its Terminal Services /
    Remote Desktop Services client access licenses (C(HardwareID\ClientHWID), C(Store\LICENSEnnn)), as in the
    CAL transfer procedure of Microsoft KB 315262 and the usual fix for "an error in the licensing protocol".
  - Every step on the host is one C(reg.exe) command (C(query), C(export), C(delete), C(import)) run through
    M(ansible.windows.win_command) with O(ansible.windows.win_command#module:argv), plus
    M(ansible.windows.win_file) and the connection's file transfer. No PowerShell runs on the client, and
    reg.exe exists on every Windows since XP; decisions use its exit codes only, which are the same in every
    locale.
  - O(state=absent) never deletes without a verified backup. The store is exported on the host, fetched to
    O(backup_dir) on the controller, parsed, checked to hold exactly the MSLicensing tree and to equal what
    C(reg query) showed, written with mode 0600 next to a manifest that records the registry view, and only
    then deleted with C(reg delete /f) and confirmed absent. Any failure before the delete leaves the store
    untouched.
  - Only the MSLicensing trees (native and C(Wow6432Node)) can ever be deleted; the key is fixed and checked
    by a guard before every delete.
  - Each result reports RV(module_executions), the number of module runs (round trips) the task cost.
options:
  state:
    description:
      - V(query) reports the store in each view and changes nothing.
      - V(absent) backs up and removes the store in each view where it exists.
      - V(present) restores the store from O(backup), or from the newest backup of each view in O(registry_views)
        found for this host in O(backup_dir), into the view it was exported from. If the store
        exists and differs from the backup, the task fails (an import would merge, not restore); remove it
        first with V(absent), which backs it up.
    type: str
    choices: [absent, present, query]
    default: query
  registry_views:
    description:
      - The registry views to act on, C(64) and/or C(32) (as C(reg.exe /reg:64) and C(/reg:32)). On 64-bit
        Windows, 32-bit RDP clients keep their store under C(HKLM\SOFTWARE\Wow6432Node\Microsoft\MSLicensing),
        which C(/reg:32) reaches.
      - With O(state=present) the view comes from the backup's manifest; name exactly one view here to restore
        a backup that has no manifest.
    type: list
    elements: str
    default: ['64', '32']
  backup_dir:
    description:
      - Folder on the controller where backups are written, one subfolder per inventory host, each backup
        named C(<UTC timestamp>-reg<view>.reg) with a C(.json) manifest beside it. Folders are created 0700,
        files 0600.
      - Defaults to the environment variable E(TSCAL_BACKUP_DIR), else C(~/.local/share/tslicensing.cal/backups).
      - It is checked to be writable before anything happens on the host.
    type: path
  remote_backup_dir:
    description:
      - Folder on the host that receives the export (kept there as a second copy) and, for a restore, a
        staging subfolder that is removed afterwards. Created when missing.
    type: str
    default: 'C:\ProgramData\tslicensing.cal\backups'
  backup:
    description:
      - A backup written by O(state=absent) (or any C(reg export) of the MSLicensing key) on the controller,
        to restore with O(state=present). Files that are not an MSLicensing export, or that contain deletions,
        are refused.
      - Without it, O(state=present) restores the newest backup of each view in O(registry_views) that the
        manifests in O(backup_dir) record for this host; a manifest that cannot be read is skipped with a warning.
      - Before anything happens on the host, a backup is read (a regular file, at most 16 MiB) and must match
        the sha256 in its manifest (a backup cut short or edited is refused), and the manifest must name this
        host (see O(restore_from_host)).
    type: path
  restore_from_host:
    description:
      - With O(state=present), the inventory name under which this host's backup was made, when the host was
        renamed since. Without it a backup whose manifest names another host is refused (restoring it would put
        that host's CAL on this one).
      - Recorded in the ledger's event log (kind C(restore_override)) before anything is restored.
    type: str
  restore_transferred_cal:
    description:
      - With O(state=present), restore a CAL although the ledger says its latest transfer moved it to another
        computer (do this only when that transfer was undone). Recorded in the ledger's event log first.
    type: bool
    default: false
  ledger:
    description:
      - With O(state=present), the ledger URL (see M(tslicensing.cal.license_inventory)) that is checked for
        transfers of the backup's CALs and receives the overrides; default E(TSCAL_LEDGER_URL), else the
        per-user SQLite file. A ledger that cannot be read refuses the restore.
    type: str
notes:
  - Close the Remote Desktop client before removing the store. After a removal the next connection creates a
    new hardware id, and a non-administrator RDP client cannot recreate the key, so start it once elevated.
  - Removing the store does not free the CAL on the license server; see the M(tslicensing.cal.license_server)
    module and KB 315262.
  - Backups contain license certificates; keep O(backup_dir) private.
seealso:
  - module: ansible.windows.win_command
  - name: KB 315262 - How to transfer Terminal Services CAL from one client computer to another
    description: The procedure this module automates.
    link: https://support.microsoft.com/kb/315262
attributes:
  check_mode:
    support: full
    details: The store is read with C(reg query) in check mode too; nothing is written anywhere.
  diff_mode:
    support: full
    details: The key tree before and after, as .reg text, per view.
  platform:
    platforms: windows
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
author:
  - tslicensing.cal contributors (@tslicensing)
"""

EXAMPLES = r"""
- name: Report the client license store of every view
  tslicensing.cal.client_license:
    state: query
  register: store

- name: Back up and remove the store (fix "an error in the licensing protocol", or move a CAL away)
  tslicensing.cal.client_license:
    state: absent
    backup_dir: /srv/tscal/backups

- name: Only the store of 32-bit RDP clients
  tslicensing.cal.client_license:
    state: absent
    registry_views: ['32']
    backup_dir: /srv/tscal/backups

- name: Restore a backup into the view it was exported from
  tslicensing.cal.client_license:
    state: present
    backup: /srv/tscal/backups/pc042/20261128T071500.123456Z-reg64.reg

- name: Restore the newest backup of each view of this host
  tslicensing.cal.client_license:
    state: present
    backup_dir: /srv/tscal/backups
"""

RETURN = r"""
views:
  description: Per registry view (C(64), C(32)) asked, the store as found before the task changed it.
  returned: always
  type: dict
  contains:
    present:
      description: Whether the key exists in this view.
      type: bool
      sample: true
    hardware_id:
      description: C(HardwareID\ClientHWID) as lowercase hex, or null.
      type: str
      sample: 020000007d4eb2c01b6c4f2ea3914d05c87e21f9
    licenses:
      description: One entry per C(Store\LICENSEnnn) key.
      type: list
      elements: dict
      sample:
        - name: LICENSE000
          values: [ClientLicense, CompanyName, LicenseScope, ProductID]
          sizes: {ClientLicense: 1945, CompanyName: 44, LicenseScope: 14, ProductID: 8}
          client_license_sha256: cbb96a6458c5f91b43ef414ce1d201808778893dab670c7501a3491377f664f0
    backup:
      description: The verified backup of this view, when O(state=absent) removed it.
      returned: when the store was backed up
      type: dict
      contains:
        path:
          description: The backup on the controller (mode 0600).
          type: str
        remote_path:
          description: The export on the host.
          type: str
        sha256:
          description: SHA-256 of the backup file.
          type: str
        view:
          description: The registry view it was exported from.
          type: str
        manifest:
          description: The JSON manifest beside the backup (view, host, key, sha256, remote path, time).
          type: str
backups:
  description: Per registry view, the backup used by O(state=present).
  returned: when O(state=present)
  type: dict
  sample: {'64': {path: /srv/tscal/backups/pc042/20261128T071500.123456Z-reg64.reg, sha256: 3233..., view: '64'}}
override:
  description: The overrides used by O(state=present) (O(restore_from_host), O(restore_transferred_cal)) as
    recorded in the ledger's event log.
  returned: when an override was needed
  type: dict
  sample: {target_host: pc042, restore_from_host: pc042-old, backups: {}, recorded: true}
module_executions:
  description: The number of module executions (round trips to the host) this task cost.
  returned: always
  type: int
  sample: 6
msg:
  description: What was done, or what would be done in check mode.
  returned: when O(state) is V(absent) or V(present)
  type: str
  sample: backed up and removed the store in view(s) 64
"""
