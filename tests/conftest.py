"""Test-wide paths and fixtures shared by every test folder."""

from __future__ import annotations

import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
# ../shared sits beside the checkout (read-only): real license bytes and a real Wine export.
SHARED_FIXTURES = REPO.parent / 'shared' / 'fixtures'
LICENSE_FIXTURES = SHARED_FIXTURES / 'license'
VENV_COLLECTIONS = REPO / '.venv' / 'collections'

# Plain pytest imports the collection the way Ansible does: ansible_collections.tslicensing.cal...
if str(VENV_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(VENV_COLLECTIONS))


@pytest.fixture(scope='session')
def license_fixtures() -> pathlib.Path:
    if not LICENSE_FIXTURES.is_dir():
        pytest.fail('shared fixtures not found at %s (../shared must sit beside the checkout)' % LICENSE_FIXTURES)
    return LICENSE_FIXTURES
