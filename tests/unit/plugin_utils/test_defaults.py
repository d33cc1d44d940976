"""The controller folders and the ledger: the task's setting, else the environment variable, else the default,
resolved in one layer for backups, reports and the ledger."""

from __future__ import annotations

import os

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license, _defaults
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import default_url


@pytest.mark.parametrize('resolve, env, default', [
    (_defaults.backup_dir, 'TSCAL_BACKUP_DIR', '~/.local/share/tslicensing.cal/backups'),
    (_defaults.report_dir, 'TSCAL_REPORT_DIR', '~/.local/share/tslicensing.cal/reports'),
])
def test_a_folder_is_the_setting_then_the_environment_then_the_default(monkeypatch, tmp_path, resolve, env, default):
    monkeypatch.delenv(env, raising=False)
    assert resolve() == resolve('') == resolve('  ') == os.path.expanduser(default)
    monkeypatch.setenv(env, str(tmp_path / 'from-env'))
    assert resolve(None) == str(tmp_path / 'from-env')
    assert resolve(str(tmp_path / 'given')) == str(tmp_path / 'given')
    assert resolve('relative') == os.path.abspath('relative')


def test_the_ledger_is_the_setting_then_the_environment_then_the_per_user_sqlite_file(monkeypatch):
    monkeypatch.delenv('TSCAL_LEDGER_URL', raising=False)
    assert default_url() == _defaults.ledger_url() == 'sqlite://' + os.path.expanduser(
        '~/.local/share/tslicensing.cal/ledger.sqlite3')
    monkeypatch.setenv('TSCAL_LEDGER_URL', 'postgresql://db/tscal')
    assert default_url() == _defaults.ledger_url('') == 'postgresql://db/tscal'
    assert _defaults.ledger_url('sqlite:///x') == 'sqlite:///x'


def test_the_client_store_backups_use_the_same_layer(monkeypatch, tmp_path):
    monkeypatch.setenv('TSCAL_BACKUP_DIR', str(tmp_path))
    assert _client_license.backup_root(None) == str(tmp_path)
