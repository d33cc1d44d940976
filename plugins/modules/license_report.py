#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This is a documentation-only file: the plugin is the action plugins/action/license_report.py.

DOCUMENTATION = r'''
---
module: license_report
short_description: Write the TS/RDS client license audit of a fleet as HTML, JSON and CSV
version_added: 0.1.0
description:
  - Turns the M(tslicensing.cal.client_license) O(tslicensing.cal.client_license#module:state=query) results of
    every client into one report, with the transfer state of each host read from the transfer ledger of
    M(tslicensing.cal.license_inventory).
  - "Per host: reached or not (with the reason), the registry views holding each license, its key, license
    server and scope, serial, issued-to machine and user, validity, days left, type (V(permanent),
    V(temporary), or V(unknown) when the license does not say) and status, plus the latest transfer out of and
    into the host. Totals and a sorted timeline of expiries complete it."
  - "A license's status is V(expired), V(expiring) (ends within O(expiring_days)), V(temporary), V(unknown),
    V(permanent), or V(undecodable); a host's status is its most urgent license status, or V(no license), or
    V(not reached). Every date is judged against O(report_time), not against when the hosts were queried."
  - "The HTML page is one self-contained file: inline CSS and SVG, no script, nothing loaded from anywhere
    (its Content-Security-Policy forbids it). Hosts come in one section per status, most urgent first, with
    its count (open up to 200 hosts); a status of more than 300 hosts lists one line per host under each
    license server, collapsed (every license stays in the CSV and the JSON). Expiring, temporary, expired and undecodable licenses and hosts
    not reached stand out with a colour and a text badge; it prints on A4 landscape and works on a narrow
    window. Every value from a host is HTML-escaped."
  - The CSV has one row per license, and one row for each host without one; the columns are always the same, in
    the same order, under a header row. A text cell that a spreadsheet would run as a formula (starting with
    C(=), C(+), C(-) or C(@)) is prefixed with an apostrophe.
  - Runs on the controller only and never connects to the hosts; run it once (C(run_once) or a C(localhost)
    play) with the results of all hosts.
options:
  clients:
    description:
      - Inventory hostname to that host's registered M(tslicensing.cal.client_license) result with
        O(tslicensing.cal.client_license#module:state=query).
      - A host whose result is failed, unreachable or skipped, or has no C(views), is reported as not reached,
        with the result's message.
      - Exactly one of O(clients) and O(spool) is required. For more than a few hundred hosts use O(spool), as
        Ansible templates and copies a fleet-sized argument at a cost that grows with the fleet.
    type: dict
  spool:
    description:
      - The audit spool the hosts' results were kept in by M(tslicensing.cal.audit_spool); read one host at a time.
      - Requires O(hosts).
    type: path
    version_added: 0.1.0
  hosts:
    description:
      - With O(spool), the inventory hostnames audited; a host without an entry in the spool (its query never
        ran) is reported as not reached.
    type: list
    elements: str
    version_added: 0.1.0
  dest:
    description:
      - The directory on the controller to write the report files in; created with mode 0700 when missing.
      - The files are C(<basename>.html), C(<basename>.json) and C(<basename>.csv) (the latest report), plus with
        O(dated) a dated copy of each, C(<basename>-<report time>.html) (for example C(tscal-audit-20260301T080000Z.html)),
        all written atomically with mode 0600.
    type: path
    required: true
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [html, json, csv]
    default: [html, json, csv]
  ledger:
    description:
      - The transfer ledger to read the transfers from, as a URL (V(sqlite:///absolute/path/ledger.sqlite3) or
        V(postgresql://user:password@host:5432/dbname)).
      - When not set, the same default as M(tslicensing.cal.license_inventory) is used (E(TSCAL_LEDGER_URL) on the
        controller, else the SQLite file C(~/.local/share/tslicensing.cal/ledger.sqlite3)).
      - The ledger is only read, as in check mode; a ledger that does not exist is not created and gives no
        transfers.
    type: str
  expiring_days:
    description: A license that ends within this many days of O(report_time) is V(expiring).
    type: int
    default: 30
  report_time:
    description:
      - The time the report is made for, ISO 8601 (V(2026-03-01T08:00:00Z); a date means its midnight UTC, a time
        without zone is UTC). Days left, expiring and expired are counted from it.
      - Defaults to now. The report shows its time, so without O(report_time) every run writes new files and
        reports C(changed); give O(report_time) (for example the date of the audit) for runs that change
        nothing when nothing changed.
    type: str
  title:
    description: The title of the HTML page and of the JSON report.
    type: str
    default: TS/RDS client license audit
  basename:
    description: The file name of the report files without extension; no directory.
    type: str
    default: tscal-audit
  dated:
    description:
      - Also write each file under a name with the report time, so that a later report never destroys this one.
      - The latest names are left as they were when no host of O(clients) was reached, so an audit that reached
        nobody never replaces a report with an empty one (the dated copy is still written).
    type: bool
    default: true
    version_added: 0.1.0
attributes:
  check_mode:
    support: full
    details: Nothing is written and no directory is created; RV(written) lists the files that would change.
  diff_mode:
    support: none
  platform:
    platforms: [posix]
    details: Runs on the controller; the hosts of the play are not contacted.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - Requires the Python package C(psycopg) (version 3) on the controller for a PostgreSQL ledger.
  - To record what the audit saw in the ledger, use the P(tslicensing.cal.license_observations#filter) filter
    with M(tslicensing.cal.license_inventory) O(tslicensing.cal.license_inventory#module:action=record_observations).
seealso:
  - module: tslicensing.cal.client_license
  - module: tslicensing.cal.license_inventory
  - module: tslicensing.cal.audit_spool
  - plugin: tslicensing.cal.license_observations
    plugin_type: filter
author:
  - tslicensing.cal contributors (@tslicensing)
'''

EXAMPLES = r'''
- name: Query every client's license store
  tslicensing.cal.client_license:
    state: query
  register: tscal_query
  ignore_errors: true
  ignore_unreachable: true

- name: Write the audit report on the controller
  tslicensing.cal.license_report:
    # A host that never ran the query (it failed earlier) gets {} and is reported as not reached.
    clients: >-
      {{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
      | map(attribute='tscal_query', default={}))) }}
    ledger: sqlite:///var/lib/tslicensing/ledger.sqlite3
    dest: /var/lib/tslicensing/reports
    report_time: "{{ now(utc=true).strftime('%Y-%m-%d') }}"
  run_once: true
  register: tscal_report

- name: Only the JSON, with a shorter expiring window
  tslicensing.cal.license_report:
    clients: "{{ audit_results }}"
    dest: /srv/reports
    formats: [json]
    expiring_days: 14
    basename: "audit-{{ now(utc=true).strftime('%Y%m%d') }}"
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
files:
  description: The report files, by format (only the formats asked for); in check mode, where they would be.
  returned: always
  type: dict
  sample:
    html: /var/lib/tslicensing/reports/tscal-audit.html
    json: /var/lib/tslicensing/reports/tscal-audit.json
    csv: /var/lib/tslicensing/reports/tscal-audit.csv
dated_files:
  description: With O(dated), the dated copies by format.
  returned: always
  type: dict
  version_added: 0.1.0
  sample:
    html: /var/lib/tslicensing/reports/tscal-audit-20260301T080000Z.html
latest_kept:
  description: True when no host was reached, so RV(files) were left as they were.
  returned: always
  type: bool
  version_added: 0.1.0
expiring_days:
  description: The expiring window the report used, in days.
  returned: always
  type: int
  version_added: 0.1.0
written:
  description: The files whose content changed and were written (in check mode, would be written).
  returned: always
  type: list
  elements: str
  sample: [/var/lib/tslicensing/reports/tscal-audit.html]
totals:
  description:
    - Counts over the report. C(hosts), C(reached), C(not_reached), C(with_license) and C(without_license) count
      hosts; C(licenses), C(permanent), C(temporary), C(type_unknown), C(expiring), C(expired) and
      C(undecodable) count licenses (one seen in both registry views counts once).
    - C(transfers) counts, per state, the ledger transfers from or to a host of the report.
  returned: always
  type: dict
  sample:
    hosts: 120
    reached: 118
    not_reached: 2
    with_license: 110
    without_license: 8
    licenses: 112
    permanent: 101
    temporary: 11
    type_unknown: 0
    expiring: 9
    expired: 1
    undecodable: 0
    transfers: {intent_recorded: 0, source_cleared: 0, server_revoked: 1, reissue_requested: 2, completed: 14}
report_time:
  description: The time the report was made for (UTC).
  returned: always
  type: str
  sample: "2026-03-01T00:00:00Z"
ledger:
  description: The ledger read, as a URL with any password masked.
  returned: always
  type: str
  sample: sqlite:///var/lib/tslicensing/ledger.sqlite3
msg:
  description: What was written.
  returned: always
  type: str
  sample: wrote 3 of 3 report file(s) in /var/lib/tslicensing/reports
'''
