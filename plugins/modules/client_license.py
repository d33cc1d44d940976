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
  - Every step on the host is a C(reg.exe) command (C(query), C(export), C(delete), C(import)) run through
    M(ansible.windows.win_command) with O(ansible.windows.win_command#module:argv), several of them in one
    C(cmd.exe /d /v:on /c) chain that prints each step's exit code, plus C(mkdir), C(icacls), C(rd), C(type),
    C(certutil -hashfile) and C(certutil -encode), M(ansible.windows.win_file) and the connection's file
    transfer (a restore's upload). No PowerShell runs on the client, and
    reg.exe exists on every Windows since XP; decisions use its exit codes only, which are the same in every
    locale. Its exit code 1 means any failure, so a store is taken as absent only when the parent key
    C(HKLM\SOFTWARE\Microsoft) is readable in that view, in the same program start, and lists no
    C(MSLicensing); anything else fails the host with what reg.exe said.
  - The first round trip also reads C(PROCESSOR_ARCHITECTURE). On 32-bit Windows C(/reg:64) and C(/reg:32)
    open one key, so only the first view asked is acted on and reported.
  - Just before C(reg delete), in the same program start, the store is exported again, hashed with
    C(certutil -hashfile) and printed; when that export differs from the first backup (the store changed
    meanwhile) it is verified and kept as a backup too, so whatever the store held at the moment of the delete
    is in a verified backup (one that cannot be verified is kept beside the backups as C(<name>.unverified)).
    The same program start removes the staging folder.
  - O(state=absent) never deletes without a verified backup. The store is exported on the host, and in the
    same program start hashed with C(certutil -hashfile) and printed as base64 (C(certutil -encode), then
    C(type)), so that its bytes come back in the command's output instead of a fetch; on the controller they
    must have the SHA-256 the host printed, and are then parsed, checked to hold exactly the MSLicensing tree and to equal what
    C(reg query) showed, written with mode 0600 next to a manifest that records the registry view, and only
    then deleted with C(reg delete /f) and confirmed absent. Any failure before the delete leaves the store
    untouched. A removal costs two round trips (none of them a fetch); a host without a store, one.
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
      - Folder on the host in which each run creates its own staging folder C(tscal-<random>) for the exports
        and the file to import. The staging folder is created with C(mkdir), which fails when it exists (a
        folder this run did not create is never used), and restricted with
        C(icacls <folder> /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F) (SYSTEM and
        Administrators only) before any license data or import file is written into it. It is removed in
        the delete's program start unless O(keep_remote_copy) is set.
      - The default C(C:\Windows\Temp) lets standard users create folders but not rename or delete other users'
        folders; a folder under C(C:\ProgramData) may have been created, and so be owned, by any user.
      - A plain absolute path (letters, digits and C(_.~$#@+-), no spaces), as the commands pass through
        C(cmd.exe).
    type: str
    default: 'C:\Windows\Temp'
  keep_remote_copy:
    description:
      - With O(state=absent), keep the exports on the host in the protected staging folder (returned as
        RV(remote_backup_dir)) as a second copy.
    type: bool
    default: false
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
  ledger:
    description:
      - The transfer ledger (see M(tslicensing.cal.license_inventory)); default E(TSCAL_LEDGER_URL), else the
        per-user SQLite file.
      - With O(state=absent) and O(transfer), it receives the transfer's intent.
      - With O(state=present), it is checked for transfers of the backup's CALs and receives the overrides
        (O(restore_from_host), O(restore_transferred_cal)); a ledger that cannot be read refuses the restore.
    type: str
  transfer:
    description:
      - With O(state=absent), makes the removal part of a KB 315262 transfer. After every backup is verified on
        the controller and B(before the first delete), the ledger records the intent (state C(intent_recorded))
        of each permanent CAL the store holds, with the path and SHA-256 of the verified backup of its view. If
        the ledger cannot take it (locked past its timeout, unreachable, or a ledger rule refuses), the task
        fails and the store is untouched.
      - Once the task has succeeded, record the transfer with M(tslicensing.cal.license_inventory)
        O(tslicensing.cal.license_inventory#module:action=record_transfer), which moves the intent on to
        C(source_cleared). After a fault in between, the rerun finds the intent (the P(tslicensing.cal.transfer#role)
        role does this).
    type: dict
    suboptions:
      target:
        description: The client receiving the CAL(s).
        type: str
        required: true
      reason:
        description: Why the CAL moves (recorded).
        type: str
      operator:
        description: Who runs the transfer (recorded).
        type: str
      reissue_reference:
        description: The Clearinghouse reissue reference that covers a second move of a CAL.
        type: str
      allow_multiple_to_target:
        description: Accept a CAL for a target that already receives another one.
        type: bool
        default: false
      cals:
        description:
          - The CAL ids (or dicts with a C(cal) key, as the P(tslicensing.cal.transferable_cals#filter) filter
            gives them) that the caller checked; the task fails, untouched, when the store backed up holds
            other CALs (it changed since the check).
        type: list
        elements: raw
      variable_names:
        description:
          - The names a ledger refusal gives the knobs C(reissue_reference) and C(allow_multiple_to_target), e.g.
            the caller's playbook variables.
        type: dict
  remove_permanent:
    description:
      - With O(state=absent), also remove a store that holds a permanent (unexpired) CAL. Without it such a store
        is refused before anything is changed (in check mode too), as a permanent CAL is a purchase, which moves
        with a KB 315262 transfer (the P(tslicensing.cal.transfer#role) role sets it).
      - Temporary, expired and undecodable licenses (the "licensing protocol error" fix) need no opt-in.
    type: bool
    default: false
    version_added: 0.1.0
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
notes:
  - Close the Remote Desktop client before removing the store. After a removal the next connection creates a
    new hardware id, and a non-administrator RDP client cannot recreate the key, so start it once elevated.
  - With C(--diff), the diff lists the decoded licenses (type, license server, expiry, issued to); the raw key tree
    is added at verbosity 3 (C(-vvv)).
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

- name: Remove the store as part of a transfer (the intent is in the ledger before the delete)
  tslicensing.cal.client_license:
    state: absent
    backup_dir: /srv/tscal/backups
    ledger: sqlite:///srv/tscal/ledger.sqlite3
    transfer:
      target: pc102
      reason: hardware replaced

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
    backups:
      description:
        - Every verified backup of this view made by O(state=absent), oldest first - the first export, and the
          export made just before the delete when the store changed in between (its manifest says
          C(later_than) the first).
      returned: when the store was backed up
      type: list
      elements: dict
    backup:
      description: The verified backup that holds what was deleted (the last of RV(views.backups)).
      returned: when the store was backed up
      type: dict
      contains:
        path:
          description: The backup on the controller (mode 0600).
          type: str
        remote_path:
          description: The export on the host, when O(keep_remote_copy) kept it.
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
    intent:
      description: With O(transfer), the ledger rows (state C(intent_recorded)) recorded before the delete for
        the CALs whose backup is this view's (the rows as stored then).
      returned: when O(transfer) was given and the store was removed
      type: list
      elements: dict
architecture:
  description: C(PROCESSOR_ARCHITECTURE) of the host (C(x86) is 32-bit Windows, one registry view).
  returned: when O(state) is V(query) or V(absent)
  type: str
  sample: AMD64
remote_backup_dir:
  description: The protected staging folder left on the host with the exports (O(keep_remote_copy)).
  returned: when O(keep_remote_copy) kept the exports on the host
  type: str
  sample: C:\Windows\Temp\tscal-3f9c2a7d01b4e6c8
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
