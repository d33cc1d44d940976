# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The KB 315262 transfer ledger: transfers, license observations and an append-only event log, on
SQLite (default, one file) or PostgreSQL (shared), with the one-time transfer rule enforced by the
database itself. Pure Python: no Ansible imports, so the action and inventory plugins, the tests and
the benchmark all use it the same way.

    with open_ledger('sqlite:///var/lib/tscal/ledger.sqlite3') as ledger:
        ledger.record_transfer(TransferRequest(cal_id='...', source_host='pc1', target_host='pc2'))

The URL: ``sqlite:///absolute/path`` or ``postgresql://user:password@host:port/db``, with an optional
``?timeout=SECONDS`` (how long to wait for a locked ledger or a connection; default 30). Without one:
``$TSCAL_LEDGER_URL``, else ``~/.local/share/tslicensing.cal/ledger.sqlite3`` (file 0600, directory 0700).
"""

from __future__ import annotations

from ._core import LOOKUPS, TABLES, Ledger, open_ledger
from ._model import (Observation, Outcome, StateChangeRefused, TransferRefused, TransferRequest,
                     LedgerUnavailable, default_operator, format_timestamp, normalize_timestamp, utc_now)
from ._schema import CURRENT_VERSION, MIGRATIONS, STATES, render
from ._url import DEFAULT_SQLITE_PATH, ENV_VAR, LedgerError, default_url, location_for_display, mask_url
from ._views import EXPORT_FORMATS, GROUPS, HOST_VARIABLES, file_holds, host_facts, render_export, write_private_file

__all__ = (
    'CURRENT_VERSION', 'DEFAULT_SQLITE_PATH', 'ENV_VAR', 'EXPORT_FORMATS', 'GROUPS', 'HOST_VARIABLES', 'LOOKUPS',
    'MIGRATIONS', 'STATES', 'TABLES', 'Ledger', 'LedgerError', 'LedgerUnavailable', 'Observation', 'Outcome',
    'StateChangeRefused', 'TransferRefused', 'TransferRequest', 'default_operator', 'default_url', 'file_holds', 'format_timestamp', 'host_facts',
    'location_for_display', 'mask_url',
    'normalize_timestamp', 'open_ledger', 'render', 'render_export', 'utc_now', 'write_private_file',
)
