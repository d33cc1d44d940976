"""Synthetic licences with other values: the decoder reads back what the generator put in."""

from __future__ import annotations

import datetime

import pytest

import license_factory as lf
from ansible_collections.tslicensing.cal.plugins.plugin_utils._license_decoder import decode_client_license

UTC = datetime.timezone.utc
NOW = datetime.datetime(2024, 4, 1, tzinfo=UTC)


def assert_reads_back(report: dict, spec: lf.LicenseSpec) -> None:
    expected = lf.expected_fields(spec)
    assert {key: report[key] for key in expected} == expected


def test_permanent_license_round_trip():
    spec = lf.LicenseSpec()
    result = decode_client_license(lf.build_client_license([spec]), now=NOW)
    assert result['status'] == 'decoded', result['warnings']
    assert len(result['licenses']) == 1
    report = result['licenses'][0]
    assert_reads_back(report, spec)
    assert report['temporary'] is False
    assert report['flags'] == {'value': '0x00808000', 'names': ['RTM_LICENSE', 'LICENSE_ENFORCED'],
                               'unknown': '0x00000000'}
    assert report['expired'] is False
    assert report['signature']['result'] == 'valid'


def test_server_info_version_1_has_no_server_id():
    spec = lf.LicenseSpec(server='OLDLS', scope='WORKGROUP', server_id=None)
    result = decode_client_license(lf.build_client_license([spec], server=lf.ServerSpec('OLDLS', 'WORKGROUP')))
    report = result['licenses'][0]
    assert result['status'] == 'decoded', result['warnings']
    assert report['server_info_version'] == '0x1000'
    assert_reads_back(report, spec)


@pytest.mark.parametrize('requested, adjusted, versions', [
    ('A02', 'A02-5.02-S', [(5, 2, 0x80D48000)]),          # tsctst's sample values
    ('C50', 'C50-10.00-S', [(10, 0, 0x00800000)]),        # per-user style id, no LICENSE_ENFORCED
    ('3d267954-eeb7-11d1-b94e-00c04fa3080d', 'TS-GUID', [(0, 0x1000, 0x00648000)]),
])
def test_other_product_ids_and_versions(requested, adjusted, versions):
    spec = lf.LicenseSpec(requested=requested, adjusted=adjusted, versions=versions)
    report = decode_client_license(lf.build_client_license([spec]), now=NOW)['licenses'][0]
    assert_reads_back(report, spec)
    assert report['flags']['value'] == '0x%08X' % versions[0][2]


def test_unknown_flag_bits_are_reported_separately():
    spec = lf.LicenseSpec(versions=[(5, 2, 0x80D48000)])
    flags = decode_client_license(lf.build_client_license([spec]))['licenses'][0]['flags']
    assert flags == {'value': '0x80D48000', 'names': ['TEMPORARY_LICENSE', 'RTM_LICENSE', 'LICENSE_ENFORCED'],
                     'unknown': '0x00540000'}


def test_several_licenses_in_one_blob_are_all_reported():
    specs = [lf.LicenseSpec(machine='PC%d' % n, user='user%d' % n, serial=0x0200000010 + n,
                            hwid=bytes([n]) * 20) for n in range(3)]
    result = decode_client_license(lf.build_client_license(specs), now=NOW)
    assert result['status'] == 'decoded'
    assert len(result['licenses']) == 3
    for report, spec in zip(result['licenses'], specs):
        assert_reads_back(report, spec)


def test_longer_chain_lists_every_ca_and_verifies_each_link():
    result = decode_client_license(lf.build_client_license(chain_depth=3), now=NOW)
    assert result['status'] == 'decoded'
    # names keep their stored (DER SET sorted) order, so compare by attribute type
    subjects = [{a['type']: a['value'] for a in cert['subject_attributes']} for cert in result['chain']]
    assert subjects == [{'CN': 'Clearing House CA 0', 'L': 'Microsoft'},
                        {'CN': 'Clearing House CA 1', 'L': 'Microsoft'},
                        {'CN': 'LICSRV01', 'L': 'CONTOSO'}]
    assert [cert['self_signed'] for cert in result['chain']] == [True, False, False]
    assert all(cert['signature']['result'] == 'valid' for cert in result['chain'] + result['licenses'])
    assert result['chain'][0]['extensions'][0]['ca'] is True


def test_tampered_license_signature_is_invalid_but_still_decoded():
    result = decode_client_license(lf.build_client_license(tamper=True), now=NOW)
    assert result['status'] == 'decoded'
    assert result['licenses'][0]['signature']['result'] == 'invalid'
    assert result['chain'][0]['signature']['result'] == 'valid'


def test_missing_issuer_is_unknown_issuer():
    chain, _name, _key = lf.chain_certificates(lf.ServerSpec(), 2)
    _other_chain, issuer_name, issuer_key = lf.chain_certificates(lf.ServerSpec(server='ELSEWHERE'), 1)
    leaf = lf.license_certificate(lf.LicenseSpec(server='ELSEWHERE'), issuer_name, issuer_key)
    result = decode_client_license(lf.pkcs7(chain + [leaf]))
    assert result['licenses'][0]['signature']['result'] == 'unknown_issuer'


def test_signature_unavailable_without_cryptography(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_cryptography(name, *args, **kwargs):
        if name.startswith('cryptography'):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    blob = lf.build_client_license()
    monkeypatch.setattr(builtins, '__import__', no_cryptography)
    result = decode_client_license(blob, now=NOW)
    assert result['status'] == 'decoded'
    assert result['licenses'][0]['signature']['result'] == 'unavailable'
    assert 'cryptography' in result['licenses'][0]['signature']['detail']


def test_expiry_is_judged_against_the_reference_time():
    blob = lf.build_client_license()
    before = decode_client_license(blob, now=datetime.datetime(2024, 2, 1, tzinfo=UTC))['licenses'][0]
    during = decode_client_license(blob, now=datetime.datetime(2024, 4, 1))['licenses'][0]  # naive = UTC
    after = decode_client_license(blob, now=datetime.datetime(2024, 5, 9, 8, 0, 1, tzinfo=UTC))['licenses'][0]
    assert (before['expired'], before['not_yet_valid']) == (False, True)
    assert (during['expired'], during['not_yet_valid']) == (False, False)
    assert (after['expired'], after['not_yet_valid']) == (True, False)


def test_generalized_time_after_2049():
    spec = lf.LicenseSpec(not_before=datetime.datetime(2049, 12, 1, tzinfo=UTC),
                          not_after=datetime.datetime(2050, 3, 1, tzinfo=UTC))
    report = decode_client_license(lf.build_client_license([spec]))['licenses'][0]
    assert report['valid_to'] == '2050-03-01T00:00:00Z'


def test_new_license_info_wrapping_synthetic_license():
    spec = lf.LicenseSpec(user='bob')
    blob = lf.new_license_info(lf.build_client_license([spec]), version=0x000A0000, product_id='C50')
    result = decode_client_license(blob, now=NOW)
    assert result['format'] == 'new_license_info'
    assert result['new_license_info']['version_text'] == '10.0'
    assert result['new_license_info']['product_id'] == 'C50'
    assert_reads_back(result['licenses'][0], spec)


def test_bare_synthetic_license_certificate():
    _chain, issuer_name, issuer_key = lf.chain_certificates(lf.ServerSpec(), 1)
    spec = lf.LicenseSpec()
    result = decode_client_license(lf.license_certificate(spec, issuer_name, issuer_key), now=NOW)
    assert result['format'] == 'certificate'
    assert_reads_back(result['licenses'][0], spec)


def test_unknown_extension_is_reported_raw_without_warning():
    _chain, issuer_name, issuer_key = lf.chain_certificates(lf.ServerSpec(), 1)
    extra = lf.extension('1.3.6.1.4.1.311.18.7', b'\x01\x02\x03', critical=False)
    leaf = lf.certificate(serial=5, issuer=issuer_name, subject=lf.name((lf.OID_CN, 'X')),
                          not_before=lf.LicenseSpec.not_before, not_after=lf.LicenseSpec.not_after,
                          subject_key=lf.rsa_key('client'), signing_key=issuer_key,
                          extensions=[lf.extension('1.3.6.1.4.1.311.18.5',
                                                   lf.product_info('A02', 'A02-6.00-S', [(6, 0, 0)])), extra])
    result = decode_client_license(lf.pkcs7([leaf]))
    ext = [e for e in result['licenses'][0]['extensions'] if e['oid'] == '1.3.6.1.4.1.311.18.7'][0]
    assert ext == {'oid': '1.3.6.1.4.1.311.18.7', 'name': 'product_specific', 'critical': False,
                   'raw_hex': '010203'}
    assert result['status'] == 'decoded'
