"""Fixtures of the default scenario's testinfra tests (run by `molecule verify -s default`, never by the repo's
pytest run: pyproject.toml keeps `molecule` out of its collection)."""

from __future__ import annotations

import pathlib

import pytest

import _lab  # also puts the collection (.venv/collections) on sys.path for the test modules


@pytest.fixture(scope='session')
def lab() -> pathlib.Path:
    """This run's work folder: inventory, ledger, backups, license-server WMI state, seeded exports."""
    return _lab.WORK_DIR
