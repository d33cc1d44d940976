"""The example inventory reaches a host through ansible.builtin.winrm with the real pywinrm (issue 14 section 5).

No WinRM server is emulated: a loopback TLS listener of the test's own (a certificate from a CA made here)
records what arrives and answers every request with 401, as a WinRM listener answers a client it has not
authenticated yet. What is checked is what left the controller: HTTPS on the inventory's port path
``/wsman``, the certificate checked (an untrusted CA gets no request at all), and the auth scheme.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import pathlib
import socket
import ssl
import threading
import typing as t

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from quality_tools import REPO, run_tool, tool_env

EXAMPLE = REPO / 'inventories' / 'example'
NTLM_HOST = 'pc042.corp.example.com'
KERBEROS_HOST = 'licsrv01.corp.example.com'

pytest.importorskip('winrm', reason='pywinrm (requirements.txt) is not installed: run scripts/setup.sh')


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _pem(tmp: pathlib.Path, name: str, data: bytes) -> pathlib.Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def _certificates(tmp: pathlib.Path) -> dict[str, pathlib.Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it; a second CA that signed nothing."""
    now = datetime.datetime.now(datetime.timezone.utc)
    out = {}
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name('tscal test CA')).issuer_name(_name('tscal test CA'))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    out['ca'] = _pem(tmp, 'ca.pem', ca.public_bytes(serialization.Encoding.PEM))
    key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder().subject_name(_name('127.0.0.1')).issuer_name(ca.subject)
              .public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                             critical=False)
              .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    out['cert'] = _pem(tmp, 'server.pem', server.public_bytes(serialization.Encoding.PEM))
    out['key'] = _pem(tmp, 'server.key', key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = (x509.CertificateBuilder().subject_name(_name('another CA')).issuer_name(_name('another CA'))
             .public_key(other_key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
             .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
             .sign(other_key, hashes.SHA256()))
    out['other_ca'] = _pem(tmp, 'other-ca.pem', other.public_bytes(serialization.Encoding.PEM))
    return out


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[dict[str, t.Any]]

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        self.seen.append({'method': 'POST', 'path': self.path, 'headers': dict(self.headers.items()),
                          'body_length': len(body)})
        self.send_response(401)
        self.send_header('WWW-Authenticate', 'Negotiate')
        self.send_header('WWW-Authenticate', 'NTLM')
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *args: t.Any) -> None:
        pass


@pytest.fixture
def listener(tmp_path: pathlib.Path) -> t.Iterator[dict[str, t.Any]]:
    certs = _certificates(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs['cert'], certs['key'])
    handshakes: list[str] = []

    class Server(http.server.ThreadingHTTPServer):
        def get_request(self) -> tuple[socket.socket, t.Any]:
            sock, address = self.socket.accept()
            try:
                tls = context.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                handshakes.append('refused: %s' % exc.__class__.__name__)
                sock.close()
                raise
            handshakes.append('TLS %s' % tls.version())
            return tls, address

        def handle_error(self, request: t.Any, client_address: t.Any) -> None:
            pass

    handler = type('Handler', (_Recorder,), {'seen': []})
    server = Server(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {'port': server.server_address[1], 'seen': handler.seen, 'handshakes': handshakes, **certs}
    finally:
        server.shutdown()
        server.server_close()


def _ping(port: int, ca: pathlib.Path | None, home: pathlib.Path, host: str = NTLM_HOST,
          **env: str) -> t.Any:
    """The example inventory as it is, with only the address moved to the listener (and the CA trust)."""
    overrides = {'ansible_host': '127.0.0.1', 'ansible_port': port}
    if ca is not None:
        overrides['ansible_winrm_ca_trust_path'] = str(ca)
    return run_tool('ansible', '-i', EXAMPLE, host, '-m', 'ansible.builtin.raw', '-a', 'hostname',
                    '-e', json.dumps(overrides),
                    env=tool_env(HOME=str(home), TSCAL_WINRM_USER='CORP\\tscal-svc', TSCAL_WINRM_PASSWORD='pw-123',
                                 **env), timeout=120)


def test_ntlm_over_https_with_the_certificate_checked(listener: dict[str, t.Any], tmp_path: pathlib.Path) -> None:
    run = _ping(listener['port'], listener['ca'], tmp_path)
    assert run.returncode != 0
    output = run.stdout + run.stderr
    # the listener never sends the NTLM challenge a real host would: pywinrm stops after the negotiate message
    assert 'UNREACHABLE' in output and 'did not respond with NTLM challenge token' in output, output
    assert 'winrm or requests is not installed' not in output
    requests = listener['seen']
    assert requests and {r['path'] for r in requests} == {'/wsman'}
    assert all(h.startswith('TLS') for h in listener['handshakes'])
    schemes = [r['headers'].get('Authorization', '').split(' ', 1)[0] for r in requests]
    # requests-ntlm answers the 401 with the NTLM negotiate message (base64 of 'NTLMSSP\0', type 1)
    assert 'NTLM' in schemes, schemes
    token = next(r['headers']['Authorization'] for r in requests if r['headers'].get('Authorization', '').startswith('NTLM '))
    assert token.split(' ', 1)[1].startswith('TlRMTVNTUAAB')
    assert all('pw-123' not in json.dumps(r) for r in requests)  # NTLM never sends the password


def test_an_untrusted_certificate_gets_no_request(listener: dict[str, t.Any], tmp_path: pathlib.Path) -> None:
    for ca in (listener['other_ca'], None):  # a wrong CA, and the system's CAs
        run = _ping(listener['port'], ca, tmp_path)
        output = run.stdout + run.stderr
        assert run.returncode != 0 and 'CERTIFICATE_VERIFY_FAILED' in output, output
    assert listener['seen'] == []
    assert listener['handshakes'] and not any(h.startswith('TLS') for h in listener['handshakes'])


def test_the_ca_trust_can_come_from_the_environment(listener: dict[str, t.Any], tmp_path: pathlib.Path) -> None:
    # requests reads REQUESTS_CA_BUNDLE when no ansible_winrm_ca_trust_path is set (e.g. an EE's CA bundle)
    run = _ping(listener['port'], None, tmp_path, REQUESTS_CA_BUNDLE=str(listener['ca']))
    assert 'did not respond with NTLM challenge token' in run.stdout + run.stderr, run.stdout + run.stderr
    assert listener['seen']


def test_kerberos_hosts_take_user_at_realm(tmp_path: pathlib.Path) -> None:
    run = run_tool('ansible', '-i', EXAMPLE, KERBEROS_HOST, '-m', 'ansible.builtin.debug', '-a', 'var=ansible_user',
                   env=tool_env(HOME=str(tmp_path), TSCAL_WINRM_USER='CORP\\tscal-svc', TSCAL_WINRM_PASSWORD='pw',
                                TSCAL_KERBEROS_USER='svc-tscal@CORP.EXAMPLE.COM'), timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert '"ansible_user": "svc-tscal@CORP.EXAMPLE.COM"' in run.stdout
    for wrong in ({}, {'TSCAL_KERBEROS_USER': 'CORP\\svc-tscal'}):  # unset, or the NTLM form
        missing = run_tool('ansible', '-i', EXAMPLE, KERBEROS_HOST, '-m', 'ansible.builtin.debug', '-a',
                           'var=ansible_user', env=tool_env(HOME=str(tmp_path), TSCAL_WINRM_USER='CORP\\tscal-svc',
                                                            TSCAL_WINRM_PASSWORD='pw', **wrong), timeout=120)
        assert 'No Kerberos user as user@REALM' in missing.stdout + missing.stderr, missing.stdout
