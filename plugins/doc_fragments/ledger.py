# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``ledger`` option, as every plugin that takes it documents it (extends_documentation_fragment)."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r'''
options:
  ledger:
    description:
      - The transfer ledger, as a URL; V(sqlite:///absolute/path/ledger.sqlite3) or
        V(postgresql://user:password@host:5432/dbname). A C(?timeout=SECONDS) parameter is accepted too.
      - When not set, null or empty (a blank AWX survey answer), the environment variable E(TSCAL_LEDGER_URL) on
        the controller, else the SQLite file C(~/.local/share/tslicensing.cal/ledger.sqlite3) of the controller
        user (created 0600 in a 0700 directory when first written).
      - The password is never shown; results and messages carry the URL with the password masked.
    type: str
notes:
  - Requires the Python package C(psycopg) (version 3) on the controller for a PostgreSQL ledger.
'''

    # The modules that take ``ledger`` form the action group ``ledger`` (meta/runtime.yml).
    ACTION_GROUP = r'''
attributes:
  action_group:
    description: Use C(group/tslicensing.cal.ledger) in C(module_defaults) to set O(ledger) once for all of them.
    support: full
    membership:
      - tslicensing.cal.ledger
'''
