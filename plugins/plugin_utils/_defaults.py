# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Where the collection keeps its files on the controller when a task does not say: one layer for all of them.

Each setting is the task's option, else an environment variable, else a folder under the per-user data
directory. The action plugins resolve them here; roles pass ``omit`` for a blank setting.
"""

from __future__ import annotations

import os
import typing as t

DATA_HOME = '~/.local/share/tslicensing.cal'

BACKUP_DIR_ENV = 'TSCAL_BACKUP_DIR'
DEFAULT_BACKUP_DIR = DATA_HOME + '/backups'
REPORT_DIR_ENV = 'TSCAL_REPORT_DIR'
DEFAULT_REPORT_DIR = DATA_HOME + '/reports'
LEDGER_URL_ENV = 'TSCAL_LEDGER_URL'
DEFAULT_LEDGER_PATH = DATA_HOME + '/ledger.sqlite3'


def setting(value: t.Optional[str], env: str, default: str) -> str:
    """The given value, else ``$env``, else ``default`` (blank counts as not given)."""
    if value is not None and value.strip():
        return value
    return os.environ.get(env) or default


def controller_dir(value: t.Optional[str], env: str, default: str) -> str:
    """An absolute folder on the controller, by ``setting``."""
    return os.path.abspath(os.path.expanduser(setting(value, env, default)))


def backup_dir(value: t.Optional[str] = None) -> str:
    return controller_dir(value, BACKUP_DIR_ENV, DEFAULT_BACKUP_DIR)


def report_dir(value: t.Optional[str] = None) -> str:
    return controller_dir(value, REPORT_DIR_ENV, DEFAULT_REPORT_DIR)


def ledger_url(value: t.Optional[str] = None) -> str:
    return setting(value, LEDGER_URL_ENV, 'sqlite://' + os.path.expanduser(DEFAULT_LEDGER_PATH))
