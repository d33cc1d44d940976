#!/usr/bin/env python
"""Decode and .reg parse speed against references (a benchmark, not a test: it measures and prints).

    . scripts/env.sh && python benchmarks/decode_bench.py [--licenses 300] [--rounds 5]

1. Decode: the real [MS-RDPELE] fixture with the decoder's caches emptied before each decode, and a fleet of distinct synthetic licences from one license server
   (tests/license_factory.py: every licence differs, the server's chain certificate repeats, as on a real
   fleet), each against ``cryptography`` loading the same PKCS#7 and reading subject, issuer, serial and
   validity of every certificate. ``cryptography`` cannot read the licence certificates' extensions (it
   raises on their AuthorityKeyIdentifier), so that reference is a lower bound of a full decode.
2. Parse: one real MSLicensing ``reg export`` (UTF-16LE, ../shared/fixtures/license/).
Figures are the best of ``--rounds`` rounds, in microseconds per item; read ratios, not walls, on a shared
machine.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time
import typing as t

REPO = pathlib.Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / 'shared' / 'fixtures' / 'license'
sys.path[:0] = [str(REPO / '.venv' / 'collections'), str(REPO / 'tests')]

import license_factory  # noqa: E402
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _regfile  # noqa: E402
from ansible_collections.tslicensing.cal.plugins.plugin_utils._license_decoder import (  # noqa: E402
    _der, _reports, _x509, decode_client_license,
)
from cryptography.hazmat.primitives.serialization import pkcs7  # noqa: E402

PARSE_GOAL_US = 500.0


def forget() -> None:
    """Empty the decoder's caches (OIDs, names, certificates, signature checks): every round starts cold, as a run does."""
    for cached in (_der.decode_oid, _x509._parsed_name, _x509._clean_certificate, _reports._verified):
        cached.cache_clear()


def best_per_item(work: t.Callable[[], None], items: int, rounds: int) -> float:
    best = float('inf')
    for _round in range(rounds):
        forget()
        started = time.perf_counter()
        work()
        best = min(best, (time.perf_counter() - started) / items * 1e6)
    return best


def reference(blobs: list[bytes]) -> None:
    for blob in blobs:
        for cert in pkcs7.load_der_pkcs7_certificates(blob):
            cert.subject.rfc4514_string()
            cert.issuer.rfc4514_string()
            _read = (cert.serial_number, cert.not_valid_before_utc, cert.not_valid_after_utc)


def decode_all(blobs: list[bytes], cold: bool = False) -> None:
    for blob in blobs:
        if cold:
            forget()
        decode_client_license(blob)


def parse_repeatedly(export: bytes, times: int) -> None:
    for _time in range(times):
        _regfile.parse_reg(export, 'export')


def fleet(count: int) -> list[bytes]:
    return [license_factory.build_client_license([license_factory.LicenseSpec(
        machine='WS-%05d' % index, serial=0x0200000000 + index, hwid=index.to_bytes(20, 'big'))])
        for index in range(count)]


def compare(label: str, blobs: list[bytes], rounds: int, cold: bool = False) -> None:
    assert all(decode_client_license(blob)['status'] == 'decoded' for blob in blobs)
    ref = best_per_item(lambda: reference(blobs), len(blobs), rounds)
    ours = best_per_item(lambda: decode_all(blobs, cold), len(blobs), rounds)
    print('%-44s decode %7.1f us  cryptography reference %6.1f us  ratio %.2fx (goal <= 1x)'
          % (label, ours, ref, ours / ref))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--licenses', type=int, default=300)
    parser.add_argument('--rounds', type=int, default=5)
    args = parser.parse_args()

    real = (FIXTURES / 'pbLicenseInfo_msrdpele.p7b').read_bytes()
    compare('real MS-RDPELE licence, caches emptied each time', [real] * 200, args.rounds, cold=True)
    compare('%d distinct licences, one license server' % args.licenses, fleet(args.licenses), args.rounds)

    export = (FIXTURES / 'mslicensing-wine-export.reg').read_bytes()
    parse = best_per_item(lambda: parse_repeatedly(export, 100), 100, args.rounds)
    label = 'MSLicensing reg export (%d bytes)' % len(export)
    print('%-44s parse  %7.1f us  (goal <= %.0f us)' % (label, parse, PARSE_GOAL_US))
    return 0


if __name__ == '__main__':
    sys.exit(main())
