"""The target client (tgt01): the transfer only checks its eligibility and never writes to it."""

from __future__ import annotations

from _lab import VIEWS, reg_query_rc

testinfra_hosts = ['tgt01']


def test_target_store_is_untouched(host):
    # seeded without a store; the CAL reaches it from the license server at its next RDP connection
    assert {view: reg_query_rc(host, view) for view in VIEWS} == {'64': 1, '32': 1}
