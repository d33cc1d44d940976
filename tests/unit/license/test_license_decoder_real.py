"""The real [MS-RDPELE] licence bytes decode to exactly what the fixtures README lists."""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils._license_decoder import (
    decode_client_license,
    decode_hwid,
)

UTC = datetime.timezone.utc
DURING_VALIDITY = datetime.datetime(2007, 7, 1, tzinfo=UTC)


@pytest.fixture(scope='module')
def real_blob(license_fixtures) -> bytes:
    return (license_fixtures / 'pbLicenseInfo_msrdpele.p7b').read_bytes()


@pytest.fixture(scope='module')
def decoded(real_blob) -> dict:
    return decode_client_license(real_blob, now=DURING_VALIDITY)


def test_container_and_status(decoded):
    assert decoded['format'] == 'pkcs7'
    assert decoded['status'] == 'decoded'
    assert decoded['warnings'] == []
    assert decoded['size'] == 1945
    assert decoded['sha256'].startswith('cbb96a64') and decoded['sha256'].endswith('f664f0')
    # two certificates: one licence (the one with 18.5) and the licence server
    assert len(decoded['licenses']) == 1
    assert len(decoded['chain']) == 1


def test_license_certificate_names(decoded):
    lic = decoded['licenses'][0]
    assert lic['serial'] == '0x030000000F'
    assert lic['issuer_attributes'] == [
        {'type': 'CN', 'oid': '2.5.4.3', 'value': 'RODENT'},
        {'type': 'L', 'oid': '2.5.4.7', 'value': 'WORKGROUP'},
    ]
    assert lic['issued_to_machine'] == 'RODENT'
    assert lic['issued_to_user'] == 'Administrator'
    serialnumber = [a['value'] for a in lic['subject_attributes'] if a['type'] == 'SERIALNUMBER']
    assert serialnumber == ['1BcKedy2krO4/MCDLI1AHZcPias=\r\n']
    assert lic['hardware_id']['base64'] == '1BcKedy2krO4/MCDLI1AHZcPias='
    assert lic['hardware_id']['size'] == 20
    assert lic['hardware_id']['hex'] == 'd4170a79dcb692b3b8fcc0832c8d401d970f89ab'


def test_license_validity_and_expiry(decoded, real_blob):
    lic = decoded['licenses'][0]
    assert lic['valid_from'] == '2007-06-20T14:51:35Z'
    assert lic['valid_to'] == '2007-09-18T14:51:35Z'
    assert lic['lifetime_days'] == 90.0
    assert lic['expired'] is False
    later = decode_client_license(real_blob, now=datetime.datetime(2007, 9, 18, 14, 51, 36, tzinfo=UTC))
    assert later['licenses'][0]['expired'] is True
    # default reference time is now, long after 2007
    assert decode_client_license(real_blob)['licenses'][0]['expired'] is True


def test_microsoft_extensions(decoded):
    lic = decoded['licenses'][0]
    assert lic['cert_version'] == '0x00050001'
    assert lic['company'] == 'Microsoft Corporation'
    assert lic['product_info_version'] == '0x3000'
    assert lic['license_count'] == 1
    assert lic['platform_id'] == '0x000000FF'
    assert lic['language_id'] == '0x0400'
    assert lic['requested_product_id'] == 'A02'
    assert lic['adjusted_product_id'] == 'A02-6.00-S'
    assert lic['licensed_version'] == '6.0'
    assert lic['licensed_versions'] == [{'major': 6, 'minor': 0, 'flags': '0x80648000'}]
    assert lic['flags'] == {'value': '0x80648000', 'names': ['TEMPORARY_LICENSE', 'LICENSE_ENFORCED'],
                            'unknown': '0x00640000'}
    assert lic['temporary'] is True
    assert 'beta' not in json.dumps(lic).lower()
    assert lic['server_info_version'] == '0x3000'
    assert lic['license_server'] == 'RODENT'
    assert lic['server_id'] == '78440-006-5867045-70347'
    assert lic['scope'] == 'WORKGROUP'


def test_extensions_listed_raw_where_opaque(decoded):
    extensions = {ext['oid']: ext for ext in decoded['licenses'][0]['extensions']}
    assert set(extensions) == {'1.3.6.1.4.1.311.18.4', '1.3.6.1.4.1.311.18.2', '1.3.6.1.4.1.311.18.5',
                               '1.3.6.1.4.1.311.18.6', '2.5.29.35'}
    assert all(ext['critical'] for ext in extensions.values())
    aki = extensions['2.5.29.35']
    assert aki['raw_hex'].startswith('3019a110a40e')
    assert aki['aki_name'] == 'RODENT'
    assert aki['aki_serial'] == '0x030000000F'


def test_license_server_certificate(decoded):
    server = decoded['chain'][0]
    assert server['subject'] == 'CN=RODENT+L=WORKGROUP'
    assert server['issuer'] == 'CN=RODENT+L=WORKGROUP'
    assert server['self_signed'] is True
    assert server['valid_from'].startswith('1970-05-30')
    assert server['valid_to'].startswith('2049-05-30')


def test_signatures_verify_with_oiw_sha1(decoded):
    for cert in decoded['licenses'] + decoded['chain']:
        assert cert['signature']['algorithm_oid'] == '1.3.14.3.2.29'
        assert cert['signature']['result'] == 'valid'


def test_result_is_json_serialisable(decoded):
    assert json.loads(json.dumps(decoded)) == decoded


def test_new_license_info_wrapper(license_fixtures, decoded):
    result = decode_client_license((license_fixtures / 'NEW_LICENSE_INFORMATION_BUFFER.bin').read_bytes(),
                                   now=DURING_VALIDITY)
    assert result['format'] == 'new_license_info'
    assert result['status'] == 'decoded'
    assert result['new_license_info'] == {'version': '0x00060000', 'version_text': '6.0',
                                          'scope': 'microsoft.com', 'company': 'Microsoft Corporation',
                                          'product_id': 'A02', 'license_info_size': 1945}
    assert result['licenses'] == decoded['licenses']
    assert result['chain'] == decoded['chain']


def test_bare_license_server_certificate(license_fixtures):
    result = decode_client_license((license_fixtures / 'CERT_1_BUFFER.der').read_bytes())
    assert result['format'] == 'certificate'
    assert result['licenses'] == []
    assert result['chain'][0]['subject'] == 'CN=RODENT+L=WORKGROUP'
    assert result['chain'][0]['signature']['result'] == 'valid'
    assert result['status'] == 'partial'
    assert any('no licence certificate' in w for w in result['warnings'])


def test_bare_terminal_server_certificate(license_fixtures):
    result = decode_client_license((license_fixtures / 'CERT_2_BUFFER.der').read_bytes())
    assert result['format'] == 'certificate'
    assert result['status'] == 'decoded'
    cert = result['licenses'][0]
    assert cert['platform_id'] == '0x00000002'
    assert cert['licensed_versions'] == [{'major': 0, 'minor': 0x1000, 'flags': '0x00648000'}]
    assert cert['temporary'] is False
    assert cert['license_server'] == 'RODENT'
    # its issuer (CERT_1) is not part of this input
    assert cert['signature']['result'] == 'unknown_issuer'


def test_hwid_as_five_little_endian_dwords():
    blob = bytes.fromhex('020000007d4eb2c01b6c4f2ea3914d05c87e21f9')
    result = decode_hwid(blob)
    assert result['status'] == 'decoded'
    assert result['dwords'] == [2, 0xC0B24E7D, 0x2E4F6C1B, 0x054D91A3, 0xF9217EC8]
    assert result['text'] == '0x00000002, 0xc0b24e7d, 0x2e4f6c1b, 0x054d91a3, 0xf9217ec8'
    assert result['platform_id'] == '0x00000002'
    assert result['warnings'] == []


@pytest.mark.parametrize('size, status, dwords', [(0, 'undecodable', 0), (3, 'undecodable', 0),
                                                  (16, 'partial', 4), (22, 'partial', 5)])
def test_hwid_of_wrong_size_warns(size, status, dwords):
    result = decode_hwid(bytes(range(size)))
    assert result['status'] == status
    assert len(result['dwords']) == dwords
    assert 'expected 20' in result['warnings'][0]
    assert 'sha256' in result['warnings'][0]


def test_non_bytes_input_is_a_type_error():
    with pytest.raises(TypeError):
        decode_client_license('3082')
    with pytest.raises(TypeError):
        decode_hwid(None)
