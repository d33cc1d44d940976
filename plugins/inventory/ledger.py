# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
name: ledger
short_description: Hosts from the tslicensing.cal transfer ledger
version_added: 0.1.0
description:
  - Every host named in the KB 315262 transfer ledger (as the source or target of a transfer, or in a license
    observation) becomes a host, with its latest transfers and license as variables.
  - "Hosts are grouped: C(transferred_out) (a CAL was transferred away from it), C(pending_reissue) (target of a
    transfer waiting for a Clearinghouse reissue: the reissue was requested, or the source was cleared and no
    reissue reference is recorded yet), C(temporary_license) (its latest license is temporary),
    C(expiring) (its latest license ends within O(expiring_days)) and C(expired)."
  - "A host that no inventory source before this one named is also in C(ledger_only): it is known only from the
    ledger (often a machine gone or renamed), so it never silently joins the hosts a playbook acts on as an
    ungrouped host of C(all); the collection's playbooks never act on C(ledger_only). List this source after
    your other inventory sources (C(-i hosts.yml -i site.ledger.yml))."
  - "Host variables: C(tscal_last_transfer_out), C(tscal_last_transfer_in) (the latest transfer from and to the host)
    and C(tscal_license) (the latest license observation), with the fields returned by
    M(tslicensing.cal.license_inventory)."
  - The ledger is only read; an older ledger is not upgraded and a missing SQLite ledger is not created.
  - The configuration file name must end with C(ledger.yml) or C(ledger.yaml).
options:
  plugin:
    description: The name of this plugin.
    required: true
    type: str
    choices: [tslicensing.cal.ledger]
  ledger:
    # description and type: the tslicensing.cal.ledger fragment
    env:
      - name: TSCAL_LEDGER_URL
  expiring_days:
    description:
      - A host whose latest license ends within this many days is in the C(expiring) group.
      - Unset, the default of the audit report (O(tslicensing.cal.license_report#module:expiring_days), 30 days).
    type: int
extends_documentation_fragment:
  - constructed
  - tslicensing.cal.ledger
author:
  - tslicensing.cal contributors (@tslicensing)
'''

EXAMPLES = r'''
# inventory/site.ledger.yml
plugin: tslicensing.cal.ledger
ledger: sqlite:///var/lib/tslicensing/ledger.sqlite3
expiring_days: 30
keyed_groups:
  - key: tscal_license.license_server | default('none')
    prefix: license_server
'''

import typing as t

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import (
    GROUPS, LedgerError, host_facts, open_ledger)
from ansible_collections.tslicensing.cal.plugins.plugin_utils._outcome import LEDGER_ONLY_GROUP
from ansible_collections.tslicensing.cal.plugins.plugin_utils._expiry import DEFAULT_EXPIRING_DAYS


class InventoryModule(BaseInventoryPlugin, Constructable):

    NAME = 'tslicensing.cal.ledger'

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(('ledger.yml', 'ledger.yaml'))

    def parse(self, inventory: t.Any, loader: t.Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        expiring_days = self.get_option('expiring_days')
        try:
            # dry_run: an inventory source only reads; an old ledger is upgraded in a rolled-back transaction.
            with open_ledger(self.get_option('ledger') or None, dry_run=True) as ledger:
                # The ledger's rows go into the inventory as they are read: one pass, no copy of the fleet.
                self._populate(host_facts(ledger.latest_per_host(),
                                          DEFAULT_EXPIRING_DAYS if expiring_days is None else expiring_days))
        except LedgerError as exc:
            raise AnsibleParserError('tslicensing.cal.ledger: %s' % to_text(exc)) from None

    def _populate(self, facts: t.Iterable[tuple[str, str, dict[str, t.Any], list[str]]]) -> None:
        inventory = self.inventory
        for group in GROUPS + (LEDGER_ONLY_GROUP,):
            inventory.add_group(group)
        ours: dict[str, None] = {}  # the ledger's hosts, in the order first seen
        for host, variable, row, groups in facts:
            if host not in ours:
                ours[host] = None
                if host not in inventory.hosts:  # named by no source before this one
                    inventory.add_host(host, group=LEDGER_ONLY_GROUP)
            inventory.set_variable(host, variable, row)
            for group in groups:
                inventory.add_child(group, host)
        compose, composed, keyed = (self.get_option(o) for o in ('compose', 'groups', 'keyed_groups'))
        if not (compose or composed or keyed):
            return  # the host's full variables cost a copy each: only made when a constructed option needs them
        strict = self.get_option('strict')
        for host in ours:
            host_vars = inventory.get_host(host).get_vars()
            self._set_composite_vars(compose, host_vars, host, strict=strict)
            self._add_host_to_composed_groups(composed, host_vars, host, strict=strict)
            self._add_host_to_keyed_groups(keyed, host_vars, host, strict=strict)
