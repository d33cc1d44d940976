"""Test-wide paths and fixtures shared by every test folder."""

from __future__ import annotations

import os
import pathlib
import sys

import pytest
from hypothesis import HealthCheck, settings

# No property test may depend on the machine's speed: CI runs on a loaded 2-core machine, where hypothesis'
# default 200 ms deadline and its too_slow health check fail tests that are correct.
settings.register_profile('tscal', deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile('tscal')

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


# -- the Wine lab -----------------------------------------------------------------------------------
LAB_CODE = REPO / 'tests' / 'lab'
if str(LAB_CODE) not in sys.path:
    sys.path.insert(0, str(LAB_CODE))
# Fleets live in the repo's .lab (same filesystem as the cached template, so clones are hard links).
LAB_ROOT = REPO / '.lab'


@pytest.fixture(scope='session')
def lab_factory(tmp_path_factory):
    """Make lab fleets: ``lab_factory(name, {host: HostSpec})`` -> harness.Lab; all destroyed at the end."""
    from fleet import Fleet
    from harness import Lab

    made = []

    def make(name: str, specs) -> 'Lab':
        # All test sessions share .lab/pytest/template-*, the booted prefix (~700 MB) that fleets clone.
        fleet = Fleet(LAB_ROOT / 'pytest' / ('%d-%s' % (os.getpid(), name)))
        fleet.destroy()
        fleet.create(specs)
        made.append(fleet)
        return Lab(fleet, tmp_path_factory.mktemp(name))

    yield make
    for fleet in made:
        fleet.destroy()


# -- the throwaway PostgreSQL cluster: one per test session, started only when a test asks for it ------
@pytest.fixture(scope='session')
def pg_cluster():
    from postgres_cluster import cluster_fixture_body  # tests/ is on sys.path under pytest's rootdir

    yield from cluster_fixture_body()
