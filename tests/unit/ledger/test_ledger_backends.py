"""Which backend serves a ledger URL: a table of schemes, never a guess."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger._backends import (
    PostgresBackend, SqliteBackend, backend_for,
)
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger._url import LedgerError, parse_url


@pytest.mark.parametrize('url, backend', [
    ('sqlite:////tmp/ledger.sqlite3', SqliteBackend),
    ('postgresql://tscal@db.example.com/tscal', PostgresBackend),
    ('postgres://tscal@db.example.com/tscal', PostgresBackend),
])
def test_each_scheme_has_its_backend(url: str, backend: type) -> None:
    assert isinstance(backend_for(parse_url(url)), backend)


def test_a_location_with_no_backend_is_refused_not_handed_to_postgresql() -> None:
    location = dataclasses.replace(parse_url('postgresql://tscal:s3cret@db.example.com/tscal'), scheme='mysql')
    with pytest.raises(LedgerError) as caught:
        backend_for(location)
    assert "scheme 'mysql'" in str(caught.value)
    assert 's3cret' not in str(caught.value)
