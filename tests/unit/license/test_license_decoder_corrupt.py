"""Corrupt and hostile input: statuses and warnings, never an exception, bounded time."""

from __future__ import annotations

import json
import struct
import time

import pytest
from hypothesis import given, settings, strategies as st

import license_factory as lf
from ansible_collections.tslicensing.cal.plugins.plugin_utils._license_decoder import (
    MAX_INPUT_SIZE,
    decode_client_license,
)

PRODUCT_INFO_EXT = bytes.fromhex('2b06010401823712050101ff04')  # OID 18.5, critical TRUE, OCTET STRING tag
SERVER_INFO_EXT = bytes.fromhex('2b06010401823712060101ff04')
LEAF_OFFSET = 0x322  # the licence certificate's SEQUENCE in the real blob


@pytest.fixture(scope='module')
def real_blob(license_fixtures) -> bytes:
    return (license_fixtures / 'pbLicenseInfo_msrdpele.p7b').read_bytes()


def payload_offset(blob: bytes, marker: bytes) -> int:
    """Offset of an extension payload: after the marker comes a one-byte length, then the payload."""
    return blob.index(marker) + len(marker) + 1


def patched(blob: bytes, offset: int, new: bytes) -> bytes:
    return blob[:offset] + new + blob[offset + len(new):]


def assert_sound(result: dict) -> None:
    """Every result is JSON, has a known status, and a failed one says why with size, sha256 and a preview."""
    json.dumps(result)
    assert result['status'] in ('decoded', 'partial', 'undecodable')
    if result['status'] != 'decoded':
        assert result['warnings']
        assert 'preview_hex' in result and 'sha256' in result and 'size' in result


def test_truncation_at_every_offset(real_blob):
    for cut in range(len(real_blob)):
        result = decode_client_license(real_blob[:cut])
        assert_sound(result)
        assert result['status'] != 'decoded', cut
        # once the first certificate is complete it is still reported
        if cut >= LEAF_OFFSET:
            assert len(result['chain']) == 1, cut
            assert result['status'] == 'partial'


def test_empty_certificate_set_says_why_nothing_was_decoded(real_blob):
    # Found by the mutation test below (seed 17): the [0] certificates field's length byte set to 0.
    blob = bytearray(real_blob)
    assert blob[41:43] == b'\xa0\x82'
    blob[42] = 0
    result = decode_client_license(bytes(blob))
    assert_sound(result)
    assert result['status'] == 'undecodable'
    assert result['warnings'][0].startswith('no certificate found (size %d, sha256 ' % len(blob))


def test_bad_product_id_offset_keeps_the_rest(real_blob):
    start = payload_offset(real_blob, PRODUCT_INFO_EXT)
    result = decode_client_license(patched(real_blob, start + 16, struct.pack('<H', 0xFFF0)))
    assert_sound(result)
    lic = result['licenses'][0]
    assert result['status'] == 'partial'
    assert lic['requested_product_id'] is None
    assert lic['adjusted_product_id'] == 'A02-6.00-S'
    assert lic['license_server'] == 'RODENT'
    assert any('requested product id' in w and 'outside' in w for w in result['warnings'])
    # the patch broke the signed bytes, which is reported but is no decoding problem
    assert lic['signature']['result'] == 'invalid'


def test_odd_utf16_length(real_blob):
    start = payload_offset(real_blob, PRODUCT_INFO_EXT)
    result = decode_client_license(patched(real_blob, start + 22, struct.pack('<H', 0x15)))
    assert result['licenses'][0]['adjusted_product_id'] == 'A02-6.00-S'
    assert any('odd UTF-16 length 21' in w for w in result['warnings'])
    assert result['status'] == 'partial'


def test_licensed_version_count_larger_than_the_data(real_blob):
    start = payload_offset(real_blob, PRODUCT_INFO_EXT)
    result = decode_client_license(patched(real_blob, start + 26, struct.pack('<H', 0xFFFF)))
    lic = result['licenses'][0]
    assert lic['licensed_versions'][0] == {'major': 6, 'minor': 0, 'flags': '0x80648000'}
    assert len(lic['licensed_versions']) == 1  # only what fits: the LVI plus the four zero bytes
    assert any('count 65535' in w for w in result['warnings'])


def test_licensed_version_offset_outside(real_blob):
    start = payload_offset(real_blob, PRODUCT_INFO_EXT)
    result = decode_client_license(patched(real_blob, start + 24, struct.pack('<H', 0x7FFF)))
    lic = result['licenses'][0]
    assert lic['licensed_versions'] == []
    assert lic['temporary'] is None
    assert result['status'] == 'partial'


def test_unknown_product_info_version_is_reported_raw(real_blob):
    start = payload_offset(real_blob, PRODUCT_INFO_EXT)
    result = decode_client_license(patched(real_blob, start, struct.pack('<I', 0x4000)))
    assert result['licenses'][0]['product_info_version'] == '0x4000'
    assert any('version 0x4000 is unknown' in w and 'raw:' in w for w in result['warnings'])


def test_unknown_server_info_version_leaves_other_extensions(real_blob):
    start = payload_offset(real_blob, SERVER_INFO_EXT)
    result = decode_client_license(patched(real_blob, start, struct.pack('<I', 0x5000)))
    lic = result['licenses'][0]
    ext = [e for e in lic['extensions'] if e['oid'] == '1.3.6.1.4.1.311.18.6'][0]
    assert 'raw_hex' in ext and 'unknown' in ext['error']
    assert lic['server_id'] is None
    assert lic['license_server'] == 'RODENT'  # fallback: the issuer CN
    assert lic['scope'] == 'WORKGROUP'        # fallback: the issuer L
    assert lic['adjusted_product_id'] == 'A02-6.00-S'
    assert result['status'] == 'partial'


def test_short_product_info_is_an_extension_error():
    # Shrinking 18.5 inside the real blob would break every enclosing length, so build one instead.
    _chain, issuer_name, issuer_key = lf.chain_certificates(lf.ServerSpec(), 1)
    leaf = lf.certificate(serial=7, issuer=issuer_name, subject=lf.name((lf.OID_CN, 'PC')),
                          not_before=lf.LicenseSpec.not_before, not_after=lf.LicenseSpec.not_after,
                          subject_key=lf.rsa_key('client'), signing_key=issuer_key,
                          extensions=[lf.extension('1.3.6.1.4.1.311.18.5', b'\x00\x30\x00\x00'),
                                      lf.extension('1.3.6.1.4.1.311.18.2', lf.utf16z('Contoso'))])
    result = decode_client_license(lf.pkcs7([leaf]))
    lic = result['licenses'][0]
    assert lic['company'] == 'Contoso'
    assert lic['temporary'] is None
    assert any('shorter than its 28-byte header' in w for w in result['warnings'])
    assert result['status'] == 'partial'


def test_wrong_tag_on_the_licence_certificate(real_blob):
    result = decode_client_license(patched(real_blob, LEAF_OFFSET, b'\x31'))
    assert_sound(result)
    assert result['status'] == 'partial'
    assert result['licenses'] == []
    assert len(result['chain']) == 1
    assert any('tag 0x31' in w for w in result['warnings'])


def test_wrong_outer_tag_is_unrecognised(real_blob):
    result = decode_client_license(patched(real_blob, 0, b'\x31'))
    assert_sound(result)
    assert result['status'] == 'undecodable'
    assert result['format'] == 'unknown'
    assert 'unrecognised input' in result['warnings'][0]
    assert result['sha256'] in result['warnings'][0]


def test_huge_outer_length_is_clamped(real_blob):
    blob = b'\x30\x84\xff\xff\xff\xff' + real_blob[4:]
    result = decode_client_license(blob)
    assert result['status'] == 'partial'
    assert len(result['licenses']) == 1 and len(result['chain']) == 1
    assert any('truncated' in w for w in result['warnings'])


@pytest.mark.parametrize('length_bytes', [b'\x88\x00\x00\x00\x00\x00\x00\x07\x91', b'\x80'])
def test_unsupported_outer_length_forms(real_blob, length_bytes):
    result = decode_client_license(b'\x30' + length_bytes + real_blob[4:])
    assert_sound(result)
    assert result['status'] == 'undecodable'


def test_huge_length_inside_a_certificate(real_blob):
    # the leaf's tbsCertificate length (82 03 5d) made enormous but still 2 length bytes
    result = decode_client_license(patched(real_blob, LEAF_OFFSET + 6, b'\xff\xff'))
    assert_sound(result)
    assert result['licenses'] == []
    assert any('certificate 1' in w and 'exceeds' in w for w in result['warnings'])


def test_bad_time_makes_one_certificate_fail(real_blob):
    index = real_blob.index(b'070620145135Z')
    result = decode_client_license(patched(real_blob, index, b'071320'))  # month 13
    assert result['licenses'] == []
    assert any('invalid time' in w for w in result['warnings'])


@pytest.mark.parametrize('blob', [b'', b'\x00', b'\x30', b'\x30\x00', b'\x30\x03\x06\x01\x80', b'garbage' * 50,
                                  b'\x30\x80\x00\x00', b'\x1f\xff\xff\xff', bytes(20)])
def test_small_garbage_is_undecodable(blob):
    result = decode_client_license(blob)
    assert_sound(result)
    assert result['status'] == 'undecodable'


def test_new_license_info_with_inconsistent_lengths_is_unrecognised(license_fixtures):
    blob = bytearray((license_fixtures / 'NEW_LICENSE_INFORMATION_BUFFER.bin').read_bytes())
    blob[4] += 1  # cbScope one too many: the lengths no longer sum to the size
    result = decode_client_license(bytes(blob))
    assert result['status'] == 'undecodable'
    assert result['format'] == 'unknown'


def test_new_license_info_wrapping_garbage(license_fixtures):
    blob = lf.new_license_info(b'not a licence at all')
    result = decode_client_license(blob)
    assert result['format'] == 'new_license_info'
    assert result['status'] == 'undecodable'
    assert 'wraps an unrecognised licence' in result['warnings'][0]


def test_trailing_bytes_are_a_warning(real_blob):
    result = decode_client_license(real_blob + b'\x00\x00')
    assert result['status'] == 'partial'
    assert len(result['licenses']) == 1
    assert '2 trailing bytes' in result['warnings'][0]


def test_input_over_the_cap_is_refused_quickly():
    started = time.monotonic()
    result = decode_client_license(b'\x30' + bytes(MAX_INPUT_SIZE))
    assert time.monotonic() - started < 1
    assert result['status'] == 'undecodable'
    assert 'exceeds the 1048576-byte limit' in result['warnings'][0]


def test_input_at_the_cap_is_accepted(real_blob):
    padded = real_blob + bytes(MAX_INPUT_SIZE - len(real_blob))
    result = decode_client_license(padded)
    assert len(result['licenses']) == 1
    assert result['status'] == 'partial'  # trailing bytes


mutation = st.tuples(st.integers(min_value=0, max_value=1944), st.integers(min_value=0, max_value=255))


@settings(max_examples=300, database=None)
@given(mutations=st.lists(mutation, min_size=1, max_size=8),
       cut=st.one_of(st.none(), st.integers(min_value=0, max_value=1945)),
       insert=st.binary(max_size=16))
def test_mutated_real_blob_never_crashes(license_fixtures, mutations, cut, insert):
    blob = bytearray((license_fixtures / 'pbLicenseInfo_msrdpele.p7b').read_bytes())
    for position, byte in mutations:
        blob[position] = byte
    if cut is not None:
        blob[cut:cut] = insert
    assert_sound(decode_client_license(bytes(blob)))


@settings(max_examples=200, database=None)
@given(blob=st.binary(max_size=4096))
def test_random_bytes_never_crash(blob):
    assert_sound(decode_client_license(blob))
