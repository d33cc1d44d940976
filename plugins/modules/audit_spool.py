#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This is a documentation-only file: the plugin is the action plugins/action/audit_spool.py.

DOCUMENTATION = r'''
---
module: audit_spool
short_description: Keep every host's audit result in a per-run spool on the controller, and record it in the ledger
version_added: 0.1.0
description:
  - The store the audit of a fleet goes through, so that no task ever takes the results of the whole fleet as an
    argument or a variable (at thousands of hosts, templating and copying those costs more than the audit).
  - O(state=directory) opens a new spool, a private folder (mode 0700) under O(base), and returns its path.
  - O(state=present) keeps the M(tslicensing.cal.client_license) O(tslicensing.cal.client_license#module:state=query)
    result of this host (one file, mode 0600, named by the encoded inventory hostname) - run it on every audited
    host, in parallel across forks. Only what the report and the observations read is kept.
  - O(state=recorded) records, in one ledger transaction, every decoded license that the spool's entries of O(hosts)
    hold as an observation (what M(tslicensing.cal.license_inventory) does with
    O(tslicensing.cal.license_inventory#module:action=record_observations)); transfers whose target now holds a
    permanent license become C(completed). Read one host at a time.
  - O(state=absent) removes the spool (only a folder this module opened).
  - M(tslicensing.cal.license_report) writes the report from the spool (its O(tslicensing.cal.license_report#module:spool)
    option). The C(audit) role and the C(audit) playbook use both.
  - Runs on the controller only and never connects to the hosts.
options:
  state:
    description: What to do with the spool.
    type: str
    required: true
    choices: [directory, present, recorded, absent]
  spool:
    description:
      - The spool folder, as returned by O(state=directory). Required unless O(state=directory).
    type: path
  base:
    description:
      - With O(state=directory), the folder to open the spool in (created with mode 0700 when missing); default the
        controller's temporary folder (E(TMPDIR)).
    type: path
  result:
    description:
      - With O(state=present), the host's registered M(tslicensing.cal.client_license) query result.
      - A failed, unreachable or skipped result is kept too (the report shows the host as not reached, with its
        message).
    type: raw
  host:
    description: With O(state=present), the inventory hostname the result is of; default the task's host.
    type: str
  hosts:
    description:
      - With O(state=recorded), the inventory hostnames audited. A host without an entry gives no observation.
    type: list
    elements: str
  ledger:
    description:
      - With O(state=recorded), the ledger URL, as for M(tslicensing.cal.license_inventory); when not set,
        E(TSCAL_LEDGER_URL) on the controller, else the controller user's SQLite ledger. Not opened (nor created)
        when no license was seen.
    type: str
  observed_at:
    description:
      - With O(state=recorded), when the licenses were seen (ISO 8601); default now. Give the report time for runs
        that change nothing when nothing changed.
    type: str
attributes:
  check_mode:
    support: full
    details:
      - O(state=recorded) records nothing (the ledger transaction is rolled back); RV(completed) says what would be.
      - The spool is the run's scratch space and is kept in check mode too (it is how the report learns what it
        would write); the audit removes it at the end of the run. It never reports C(changed).
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
  - module: tslicensing.cal.license_report
  - module: tslicensing.cal.license_inventory
  - module: tslicensing.cal.client_license
author:
  - tslicensing.cal contributors (@tslicensing)
'''

EXAMPLES = r'''
- name: Open the run's spool
  tslicensing.cal.audit_spool:
    state: directory
  run_once: true
  register: tscal_spool

- name: Query every client's license store
  tslicensing.cal.client_license:
    state: query
  register: tscal_query
  ignore_errors: true
  ignore_unreachable: true

- name: Keep each host's result in the spool (on the controller, one file per host)
  tslicensing.cal.audit_spool:
    state: present
    spool: "{{ tscal_spool.spool }}"
    result: "{{ tscal_query }}"

- name: Record the licenses seen
  tslicensing.cal.audit_spool:
    state: recorded
    spool: "{{ tscal_spool.spool }}"
    hosts: "{{ ansible_play_hosts_all }}"
  run_once: true

- name: Write the report from the spool
  tslicensing.cal.license_report:
    spool: "{{ tscal_spool.spool }}"
    hosts: "{{ ansible_play_hosts_all }}"
    dest: /var/lib/tslicensing/reports
  run_once: true

- name: Remove the spool
  tslicensing.cal.audit_spool:
    state: absent
    spool: "{{ tscal_spool.spool }}"
  run_once: true
'''

RETURN = r'''
spool:
  description: The spool folder opened.
  returned: O(state=directory)
  type: str
  sample: /tmp/tscal-audit-k2j4x_8q
path:
  description: The file the host's result was kept in.
  returned: O(state=present)
  type: str
  sample: /tmp/tscal-audit-k2j4x_8q/pc-0042.contoso.example.json
observations:
  description: How many observations the spool's licenses gave.
  returned: O(state=recorded)
  type: int
  sample: 118
recorded:
  description: How many of them were new to the ledger (the same observation recorded again is stored once).
  returned: O(state=recorded) when a license was seen
  type: int
  sample: 118
completed:
  description: The ledger rows of the transfers completed because their target now holds a permanent license.
  returned: O(state=recorded)
  type: list
  elements: dict
  sample: [{id: 7, cal_id: LICSRV01/0x0200000006, source_host: pc-old, target_host: pc-new, state: completed}]
ledger:
  description: The ledger, as a URL with any password masked.
  returned: O(state=recorded)
  type: str
  sample: sqlite:///var/lib/tslicensing/ledger.sqlite3
removed:
  description: Whether the spool was there to remove.
  returned: O(state=absent)
  type: bool
'''
