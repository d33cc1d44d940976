"""The tslicensing.cal.decode_client_license filter: input forms, options and errors."""

from __future__ import annotations

import base64
import datetime

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.tslicensing.cal.plugins.filter.license import FilterModule
from ansible_collections.tslicensing.cal.plugins.plugin_utils._regfile import parse_reg

decode = FilterModule().filters()['decode_client_license']


@pytest.fixture(scope='module')
def blob(license_fixtures) -> bytes:
    return (license_fixtures / 'pbLicenseInfo_msrdpele.p7b').read_bytes()


def reg_style_hex(data: bytes) -> str:
    """Hex as a .reg file shows it: comma separated, wrapped with backslash continuations."""
    pairs = ['%02x' % byte for byte in data]
    return 'hex:' + ',\\\n  '.join(','.join(pairs[i:i + 24]) for i in range(0, len(pairs), 24))


@pytest.mark.parametrize('encode', [
    lambda b: b.hex(),
    lambda b: b.hex().upper(),
    lambda b: ' '.join('%02x' % x for x in b),
    lambda b: ','.join('%02x' % x for x in b),
    reg_style_hex,
    lambda b: base64.b64encode(b).decode(),
    lambda b: base64.encodebytes(b).decode(),  # wrapped base64
    lambda b: b,
], ids=['hex', 'HEX', 'spaced', 'commas', 'reg-style', 'base64', 'base64-wrapped', 'bytes'])
def test_blob_input_forms(blob, encode):
    result = decode(encode(blob), now='2007-07-01T00:00:00Z')
    assert result['status'] == 'decoded'
    assert result['sha256'].startswith('cbb96a64')
    assert result['licenses'][0]['issued_to_user'] == 'Administrator'
    assert result['licenses'][0]['expired'] is False


def test_now_defaults_to_the_current_time(blob):
    assert decode(blob.hex())['licenses'][0]['expired'] is True


def test_now_accepts_a_datetime(blob):
    result = decode(blob.hex(), now=datetime.datetime(2007, 9, 19, tzinfo=datetime.timezone.utc))
    assert result['licenses'][0]['expired'] is True


def test_reg_text_gives_a_store(license_fixtures):
    text = (license_fixtures / 'mslicensing-wine-export.reg').read_bytes().decode('utf-16')
    result = decode(text, now='2007-07-01')
    assert result['status'] == 'decoded'
    assert result['licenses'][0]['name'] == 'LICENSE000'
    assert result['hardware_ids'][0]['decoded']['dwords'][0] == 2


def test_reg_bytes_and_parsed_document(license_fixtures):
    data = (license_fixtures / 'mslicensing-wine-export.reg').read_bytes()
    from_bytes = decode(data, now='2007-07-01')
    from_doc = decode(parse_reg(data, 'wine.reg'), now='2007-07-01')
    assert from_bytes == from_doc
    assert from_bytes['licenses'][0]['decoded']['status'] == 'decoded'


def test_undecodable_blob_is_a_result_not_an_error():
    result = decode('00112233')
    assert result['status'] == 'undecodable'
    assert result['warnings']


@pytest.mark.parametrize('value, message', [
    ('', 'empty input'),
    ('not hex and not base64!', 'neither hex, base64'),
    ('abc', 'neither hex, base64'),  # odd hex digits, not valid base64 either
    (42, 'not int'),
    (None, 'not NoneType'),
    ('Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\X\r\n', 'decode_client_license input'),
])
def test_bad_input_is_a_filter_error(value, message):
    with pytest.raises(AnsibleFilterError, match='decode_client_license: .*' if message else None) as info:
        decode(value)
    assert message in str(info.value)


@pytest.mark.parametrize('now', ['soon', 20070701])
def test_bad_now_is_a_filter_error(blob, now):
    with pytest.raises(AnsibleFilterError, match='now'):
        decode(blob.hex(), now=now)
