"""Fixtures shared by the Ansible-level tests of the ledger and of the report."""

from __future__ import annotations

import pathlib

import pytest


@pytest.fixture(params=['sqlite', pytest.param('postgresql', marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> str:
    """An empty ledger location: a SQLite file, or a new database on the session's PostgreSQL cluster."""
    if request.param == 'sqlite':
        return 'sqlite://%s/ledger.sqlite3' % tmp_path
    return request.getfixturevalue('pg_cluster').create_database()
