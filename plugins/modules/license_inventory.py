#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This is a documentation-only file: the plugin is the action plugins/action/license_inventory.py.

DOCUMENTATION = r'''
---
module: license_inventory
short_description: Record KB 315262 TS/RDS CAL transfers and license observations in a ledger
version_added: 0.1.0
description:
  - Keeps the transfer ledger that replaces the paper records of KB 315262 CAL transfers.
  - Runs on the controller only and never connects to the host, so it works with any connection and can run
    from every host of a play at once (each fork uses its own database transaction).
  - The ledger is a SQLite file (the default) or a shared PostgreSQL database, with the same schema; the schema
    is versioned and an older ledger is upgraded in place the first time it is opened.
  - "The rules are enforced by the database itself: a CAL may be transferred once; a second transfer of the same
    CAL is refused unless it carries a Clearinghouse reissue reference (each reference covers one transfer);
    recording the same transfer again reports C(changed=false)."
  - "A transfer moves through the states of the procedure: V(intent_recorded) (written by
    M(tslicensing.cal.client_license) with O(tslicensing.cal.client_license#module:transfer) before the client's
    store is deleted: the CAL and its verified backup), V(source_cleared) (the removal confirmed; O(action=record_transfer)
    moves an intent on, or records a transfer at once), then V(server_revoked) or V(reissue_requested), then V(completed), which is also set
    automatically when O(action=record_observations) sees the target holding a permanent license."
  - Every change is written to an append-only event log that the database refuses to update or delete.
options:
  ledger:
    description:
      - Where the ledger is, as a URL; V(sqlite:///absolute/path/ledger.sqlite3) or
        V(postgresql://user:password@host:5432/dbname). A C(?timeout=SECONDS) parameter is accepted too.
      - When not set, the environment variable E(TSCAL_LEDGER_URL) on the controller, else the SQLite file
        C(~/.local/share/tslicensing.cal/ledger.sqlite3) of the controller user (created 0600 in a 0700 directory).
      - The password is never shown; results and messages carry the URL with the password masked.
    type: str
  timeout:
    description:
      - Seconds to wait for a ledger locked by another writer, or for a PostgreSQL connection, before failing.
      - Needs O(ledger); the default is 30.
    type: float
  action:
    description:
      - V(check_transfer) answers, read-only, whether the ledger would accept the transfer of O(cal) from
        O(source_host) to O(target_host) (RV(accepted), RV(refusals)); it changes nothing, so it runs before
        anything is changed on a host. The writes check the same rules again.
      - V(record_transfer) records that O(cal) moved from O(source_host) (already cleared) to O(target_host); an
        intent recorded for the same CAL and ends moves on to V(source_cleared).
      - V(record_observations) records licenses seen by an audit, and completes transfers to hosts now holding one.
      - V(mark) moves a transfer (O(transfer_id), or the latest transfer of O(cal)) to O(state).
      - V(query) returns transfers (filtered by O(cal), O(host), O(state)) and observations (filtered by O(host)).
      - V(export) writes O(table) as O(format) to O(dest) with mode 0600.
    type: str
    required: true
    choices: [check_transfer, record_transfer, record_observations, mark, query, export]
  cal:
    description:
      - The identity of the CAL (for example the license ID or the key pack and serial decoded from the certificate).
      - Required with O(action=record_transfer); with O(action=mark), names the latest transfer of this CAL.
    type: str
  source_host:
    description: The client the CAL was removed from. Defaults to the inventory hostname of the task.
    type: str
  target_host:
    description: The client the CAL is transferred to. Required with O(action=record_transfer).
    type: str
  license_server:
    description: The license server that issued the CAL.
    type: str
  license_serial:
    description: The serial of the license, from the decoded client certificate when known.
    type: str
  source_hardware_id:
    description: The hardware ID of the source client.
    type: str
  reason:
    description: Why the CAL moves (stored verbatim).
    type: str
  operator:
    description: Who did it. Defaults to the user running Ansible on the controller.
    type: str
  backup_path:
    description: Where the backup of the client's C(MSLicensing) key taken before clearing it is.
    type: str
  backup_sha256:
    description: The SHA-256 of that backup (64 hexadecimal digits).
    type: str
  reissue_reference:
    description:
      - The Clearinghouse reissue reference (obtained by telephone).
      - Required to record a second transfer of a CAL, and with O(state=reissue_requested).
    type: str
  allow_multiple_to_target:
    description:
      - Accept a CAL for a target that already receives another one (a CAL whose latest transfer ends at
        O(target_host)); by default O(action=check_transfer) and O(action=record_transfer) refuse it.
    type: bool
    default: false
  variable_names:
    description:
      - The names refusals give O(reissue_reference) and O(allow_multiple_to_target) (keys of this dict), so that
        a role's refusal names the variables its operator sets (the P(tslicensing.cal.transfer#role) role maps
        them to C(transfer_reissue_reference) and C(transfer_allow_multiple_to_target)).
    type: dict
  verify_backup:
    description:
      - With O(action=record_transfer), first check that O(backup_path) exists on the controller and has the
        SHA-256 O(backup_sha256) (a rerun finishing a transfer whose store is already gone does this).
    type: bool
    default: false
  observations:
    description: Licenses seen on hosts, for O(action=record_observations).
    type: list
    elements: dict
    suboptions:
      host:
        description: The host holding the license. Defaults to the inventory hostname of the task.
        type: str
      hardware_id:
        description: The client's hardware ID.
        type: str
      license_server:
        description: The license server that issued it.
        type: str
      serial:
        description: The license serial.
        type: str
      valid_to:
        description: When it ends, ISO 8601 (a date means midnight UTC).
        type: str
      temporary:
        description: Whether it is a temporary (90-day) license; a temporary license does not complete a transfer.
        type: bool
        default: false
      observed_at:
        description: When it was seen, ISO 8601. Defaults to now.
        type: str
  transfer_id:
    description: The transfer to mark (the C(id) of its RV(transfer)).
    type: int
  state:
    description:
      - The state to move the transfer to with O(action=mark); a filter with O(action=query).
    type: str
    choices: [intent_recorded, server_revoked, reissue_requested, completed]
  host:
    description: With O(action=query), only transfers from or to this host, and its observations.
    type: str
  format:
    description: The export format.
    type: str
    choices: [csv, json]
    default: json
  table:
    description: What to export.
    type: str
    choices: [transfers, observations, events]
    default: transfers
  dest:
    description: The export file on the controller, written atomically with mode 0600. Required with O(action=export).
    type: path
attributes:
  check_mode:
    support: full
    details: Every change is made in a transaction that is rolled back; nothing is created, upgraded or written.
  diff_mode:
    support: none
  platform:
    platforms: [posix]
    details: Runs on the controller; the hosts of the play are not contacted.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - Requires the Python package C(psycopg) (version 3) on the controller for a PostgreSQL ledger.
seealso:
  - name: KB 315262
    description: How to transfer Terminal Services CAL from one client computer to another.
    link: https://support.microsoft.com/kb/315262
author:
  - tslicensing.cal contributors (@tslicensing)
'''

EXAMPLES = r'''
- name: Ask, before changing anything, whether the ledger would accept the transfer
  tslicensing.cal.license_inventory:
    ledger: sqlite:///var/lib/tslicensing/ledger.sqlite3
    action: check_transfer
    cal: LS01/0x02007501F2
    target_host: pc-102
  register: verdict
  failed_when: not verdict.accepted

- name: Record the transfer of this client's CAL to its replacement
  tslicensing.cal.license_inventory:
    ledger: sqlite:///var/lib/tslicensing/ledger.sqlite3
    action: record_transfer
    cal: "{{ tscal_cal_id | default('CAL-' ~ inventory_hostname) }}"
    target_host: "{{ tscal_replacement | default(inventory_hostname ~ '-new') }}"
    license_server: LS01
    reason: hardware replaced
    backup_path: /srv/backups/{{ inventory_hostname }}/MSLicensing.reg
  register: transfer

- name: Note the Clearinghouse reissue requested by phone
  tslicensing.cal.license_inventory:
    ledger: sqlite:///var/lib/tslicensing/ledger.sqlite3
    action: mark
    transfer_id: "{{ transfer.transfer.id }}"
    state: reissue_requested
    reissue_reference: CH-2026-0042

- name: Record what the audit saw on the replacement (completes the transfer)
  tslicensing.cal.license_inventory:
    ledger: sqlite:///var/lib/tslicensing/ledger.sqlite3
    action: record_observations
    observations:
      - host: "{{ tscal_replacement | default(inventory_hostname ~ '-new') }}"
        serial: "0123-4567"
        valid_to: "2027-06-30"
        temporary: false

- name: List the transfers of this host
  tslicensing.cal.license_inventory:
    ledger: sqlite:///var/lib/tslicensing/ledger.sqlite3
    action: query
    host: "{{ inventory_hostname }}"
  register: history

- name: Export the ledger for the licensing auditor
  tslicensing.cal.license_inventory:
    ledger: sqlite:///var/lib/tslicensing/ledger.sqlite3
    action: export
    format: csv
    dest: /var/lib/tslicensing/transfers.csv
  run_once: true
'''

RETURN = r'''
ledger:
  description: The ledger used, as a URL with any password masked.
  returned: always
  type: str
  sample: postgresql://tscal:***@db.example.com/ledger
transfer:
  description: The transfer as stored (O(action=record_transfer) and O(action=mark)); in check mode, as it would be.
  returned: when O(action) is V(record_transfer) or V(mark)
  type: dict
  sample:
    id: 12
    cal_id: CAL-0042
    sequence: 1
    source_host: pc-017
    source_hardware_id: null
    target_host: pc-102
    license_server: LS01
    license_serial: "0123-4567"
    reason: hardware replaced
    operator: alice
    backup_path: /srv/backups/pc-017/MSLicensing.reg
    backup_sha256: null
    reissue_reference: null
    state: source_cleared
    created_at: "2026-03-01T10:00:00Z"
    updated_at: "2026-03-01T10:00:00Z"
    completed_at: null
transfers:
  description: Matching transfers, oldest first (same fields as RV(transfer)).
  returned: when O(action=query)
  type: list
  elements: dict
observations:
  description: Observations stored by this task (O(action=record_observations)) or matching (O(action=query)).
  returned: when O(action) is V(record_observations) or V(query)
  type: list
  elements: dict
  sample:
    - {id: 3, host: pc-102, hardware_id: null, license_server: LS01, serial: "0123-4567",
       valid_to: "2027-06-30T00:00:00Z", temporary: false, observed_at: "2026-03-02T08:00:00Z"}
completed:
  description: Transfers this task completed because their target was seen holding a permanent license.
  returned: when O(action=record_observations)
  type: list
  elements: dict
accepted:
  description: Whether the ledger would accept the transfer (O(action=check_transfer)).
  returned: when O(action=check_transfer)
  type: bool
refusals:
  description: Every rule that refuses it, each saying what the ledger knows (where the CAL went, when, which
    transfer) and what to set.
  returned: when O(action=check_transfer)
  type: list
  elements: str
  sample:
    - "CAL 'LS01/0x0200' was already transferred to pc-102 on 2026-03-01T10:00:00Z (transfer #12 from pc-017,
       state server_revoked); the TS CAL EULA allows one transfer: set transfer_reissue_reference to the
       Clearinghouse reissue reference to transfer it again"
dest:
  description: The export file.
  returned: when O(action=export)
  type: str
rows:
  description: How many rows were exported.
  returned: when O(action=export)
  type: int
'''
