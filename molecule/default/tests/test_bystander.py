"""A client of the inventory that is not part of the transfer (by01) keeps its stores byte for byte."""

from __future__ import annotations

import pytest

from _lab import VIEWS, export_store, seeded_store

testinfra_hosts = ['by01']


@pytest.mark.parametrize('view', VIEWS)
def test_bystander_store_is_untouched(host, tmp_path, view):
    assert export_store(host, view, tmp_path / 'by01.reg') == seeded_store('by01', view)
