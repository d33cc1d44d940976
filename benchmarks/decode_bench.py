#!/usr/bin/env python
"""Licences decoded per second on the real [MS-RDPELE] fixture (a benchmark, not a test).

Usage: .venv/bin/python benchmarks/decode_bench.py [SECONDS]
Prints the rate with and without the informational signature check (which costs one RSA verify per cert).
"""

from __future__ import annotations

import builtins
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
FIXTURE = REPO.parent / 'shared' / 'fixtures' / 'license' / 'pbLicenseInfo_msrdpele.p7b'
sys.path.insert(0, str(REPO / '.venv' / 'collections'))

from ansible_collections.tslicensing.cal.plugins.plugin_utils._license_decoder import (  # noqa: E402
    decode_client_license,
)


def rate(blob: bytes, seconds: float) -> float:
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _repeat in range(50):
            decode_client_license(blob)
        count += 50
    return count / (time.perf_counter() - started)


def without_cryptography() -> None:
    real_import = builtins.__import__

    def refuse(name: str, *args, **kwargs):
        if name.startswith('cryptography'):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    builtins.__import__ = refuse


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    blob = FIXTURE.read_bytes()
    result = decode_client_license(blob)
    assert result['status'] == 'decoded', result['warnings']
    print('fixture: %s (%d bytes, %d licence)' % (FIXTURE.name, len(blob), len(result['licenses'])))
    print('with signature check:    %8.0f licences/s' % rate(blob, seconds))
    without_cryptography()
    print('without signature check: %8.0f licences/s' % rate(blob, seconds))
    return 0


if __name__ == '__main__':
    sys.exit(main())
