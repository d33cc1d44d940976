#!/usr/bin/env python
# TEST-ONLY LAB CODE - never shipped with tslicensing.cal.
"""An RDP licensing peer on 127.0.0.1: just enough of an RDP server that real clients store a CAL.

No RDP server that can be installed here issues licences (xrdp and freerdp-shadow answer
STATUS_VALID_CLIENT), so this peer speaks the licensing part of [MS-RDPBCGR] / [MS-RDPELE] itself:

1. X.224 Connection Request / Confirm selecting PROTOCOL_SSL, then TLS with a self-signed certificate
   made at start;
2. MCS Connect-Initial / Connect-Response (GCC Conference Create Response with server core, security
   (no RDP encryption: TLS carries it) and network data), Erect Domain, Attach User, Channel Joins;
3. the Client Info PDU, then the licensing exchange:
   SERVER_LICENSE_REQUEST (with a proprietary server certificate holding an RSA key made at start)
   -> CLIENT_LICENSE_INFO (a stored licence: recorded, answered STATUS_VALID_CLIENT or an upgrade)
   -> or CLIENT_NEW_LICENSE_REQUEST -> PLATFORM_CHALLENGE -> PLATFORM_CHALLENGE_RESPONSE (the client's
   hardware id, RC4-decrypted and MAC-checked) -> SERVER_NEW_LICENSE carrying a licence blob;
4. MCS Disconnect Provider Ultimatum: the client never gets a desktop.

Licensing keys follow [MS-RDPELE] 5.1 (master secret and session key blob from the premaster secret and
the two randoms, MAC salt key, licensing encryption key; RC4 and the MD5/SHA-1 MAC), as FreeRDP
(libfreerdp/core/license.c, security.c) and rdesktop (licence.c, secure.c) compute them. The clients
differ, and the peer takes both as they are: FreeRDP RSA-encrypts a random premaster secret and answers
the challenge with an encrypted PLATFORM_CHALLENGE_RESPONSE_DATA; rdesktop sends all-zero randoms and an
all-zero "encrypted" premaster, and echoes the still-encrypted 10-byte challenge. The MAC of a challenge
response is always over the decrypted response followed by the decrypted hardware id.

Every licensing outcome is appended to a JSON-lines log (one object per connection; no password is ever
recorded): what the client presented (``event`` ``license_info`` with the stored licence's bytes, or
``new_license_request`` with its decrypted hardware id) and what the peer sent back.

Use from tests::

    with LicensePeer(log_path) as peer:        # binds 127.0.0.1 on a free port
        run_client('127.0.0.1:%d' % peer.port)
        peer.records()

or from a shell: ``python rdp_license_peer.py --log peer.jsonl [--port N] [--license blob.p7b]``.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import datetime
import functools
import hashlib
import json
import os
import pathlib
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
import typing as t

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # tests/: license_factory
import license_factory  # noqa: E402  (test-only code too)

LOOPBACK = '127.0.0.1'
PROTOCOL_SSL = 0x00000001
SSL_REQUIRED_BY_SERVER = 0x00000001

# MCS (T.125) domain PDU choices, PER-encoded in the top six bits of the first byte.
MCS_DPUM, MCS_EDRQ, MCS_AURQ, MCS_AUCF, MCS_CJRQ, MCS_CJCF, MCS_SDRQ, MCS_SDIN = 8, 1, 10, 11, 14, 15, 25, 26
MCS_BASE_USER = 1001
MCS_GLOBAL_CHANNEL = 1003
SERVER_USER_ID = 1002  # the initiator of the peer's own Send Data Indications
CLIENT_USER_ID = 1007

SEC_INFO_PKT = 0x0040
SEC_LICENSE_PKT = 0x0080
INFO_UNICODE = 0x00000010

# Licensing PDU types and blob types ([MS-RDPBCGR] 2.2.1.12.1.1, 2.2.1.12.1.2).
LICENSE_REQUEST, PLATFORM_CHALLENGE, NEW_LICENSE, UPGRADE_LICENSE = 0x01, 0x02, 0x03, 0x04
LICENSE_INFO, NEW_LICENSE_REQUEST, PLATFORM_CHALLENGE_RESPONSE, ERROR_ALERT = 0x12, 0x13, 0x15, 0xFF
PREAMBLE_VERSION_3_0 = 0x03
BB_ENCRYPTED_DATA_BLOB, BB_CERTIFICATE_BLOB, BB_ERROR_BLOB = 0x0009, 0x0003, 0x0004
BB_KEY_EXCHG_ALG_BLOB, BB_SCOPE_BLOB = 0x000D, 0x000E
KEY_EXCHANGE_ALG_RSA = 0x00000001
STATUS_VALID_CLIENT, ERR_INVALID_MAC, ST_TOTAL_ABORT, ST_NO_TRANSITION = 0x07, 0x03, 0x01, 0x02
# The challenge rdesktop insists on: exactly 10 bytes ("TEST" in UTF-16LE with its NUL, as Windows sends).
PLATFORM_CHALLENGE_TEXT = 'TEST\x00'.encode('utf-16-le')

SOCKET_TIMEOUT_SECONDS = 20.0
DRAIN_SECONDS = 5.0


class PeerError(Exception):
    """A client sent something the peer cannot take; the connection is dropped and the reason logged."""


# --- licensing cryptography ([MS-RDPELE] 5.1) --------------------------------------------------------

def rc4(key: bytes, data: bytes) -> bytes:
    """RC4; every licensing message uses a fresh key schedule, as both clients do."""
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) & 0xFF
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) & 0xFF
        j = (j + state[i]) & 0xFF
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) & 0xFF])
    return bytes(out)


def salted_hash(salt: bytes, text: bytes, salt1: bytes, salt2: bytes) -> bytes:
    return hashlib.md5(salt + hashlib.sha1(text + salt + salt1 + salt2).digest()).digest()


def licensing_keys(premaster: bytes, client_random: bytes, server_random: bytes) -> tuple[bytes, bytes]:
    """(MAC salt key, licensing encryption key) from the premaster secret and the two randoms."""
    labels = (b'A', b'BB', b'CCC')
    master = b''.join(salted_hash(premaster, label, client_random, server_random) for label in labels)
    session_key_blob = b''.join(salted_hash(master, label, server_random, client_random) for label in labels)
    mac_salt_key = session_key_blob[:16]
    encryption_key = hashlib.md5(session_key_blob[16:32] + client_random + server_random).digest()
    return mac_salt_key, encryption_key


def mac_data(mac_salt_key: bytes, data: bytes) -> bytes:
    inner = hashlib.sha1(mac_salt_key + b'\x36' * 40 + struct.pack('<I', len(data)) + data).digest()
    return hashlib.md5(mac_salt_key + b'\x5c' * 48 + inner).digest()


# --- keys and certificates made at start -------------------------------------------------------------

@dataclasses.dataclass
class PeerKeys:
    tls_cert_file: str
    tls_key_file: str
    rsa_modulus: int
    rsa_exponent: int
    rsa_private_exponent: int
    modulus_bytes: int

    @classmethod
    def create(cls, folder: pathlib.Path) -> 'PeerKeys':
        tls_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.datetime.now(datetime.timezone.utc)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'rdp-license-peer')])
        tls_cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                    .public_key(tls_key.public_key()).serial_number(x509.random_serial_number())
                    .not_valid_before(now - datetime.timedelta(days=1))
                    .not_valid_after(now + datetime.timedelta(days=30))
                    .sign(tls_key, hashes.SHA256()))
        cert_file, key_file = folder / 'peer-tls.crt', folder / 'peer-tls.key'
        cert_file.write_bytes(tls_cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(tls_key.private_bytes(serialization.Encoding.PEM,
                                                   serialization.PrivateFormat.TraditionalOpenSSL,
                                                   serialization.NoEncryption()))
        os.chmod(key_file, 0o600)
        # The terminal server's licensing key pair: the client encrypts its premaster secret with it.
        numbers = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_numbers()
        modulus = numbers.public_numbers.n
        return cls(str(cert_file), str(key_file), modulus, numbers.public_numbers.e, numbers.d,
                   (modulus.bit_length() + 7) // 8)

    def proprietary_certificate(self) -> bytes:
        """A Server Proprietary Certificate ([MS-RDPBCGR] 2.2.1.4.3.1.1) with the licensing RSA key.

        The 64-byte signature (over the fields before it, with the Terminal Services signing key) is
        left zero: neither client checks it (FreeRDP skips the check by design, rdesktop ignores the
        licence request's certificate altogether); both check its type and size.
        """
        size = self.modulus_bytes
        public_key = (b'RSA1' + struct.pack('<III', size + 8, size * 8, size - 1) +
                      struct.pack('<I', self.rsa_exponent) + self.rsa_modulus.to_bytes(size, 'little') + bytes(8))
        head = struct.pack('<III', 1, 1, KEY_EXCHANGE_ALG_RSA)  # CERT_CHAIN_VERSION_1, SIGNATURE_ALG_RSA
        signature = bytes(64 + 8)
        return (head + struct.pack('<HH', 0x0006, len(public_key)) + public_key +   # BB_RSA_KEY_BLOB
                struct.pack('<HH', 0x0008, len(signature)) + signature)              # BB_RSA_SIGNATURE_BLOB

    def decrypt_premaster(self, encrypted: bytes) -> bytes:
        # Raw RSA on little-endian numbers (the clients' own convention); trailing zero padding is harmless.
        number = int.from_bytes(encrypted, 'little')
        if number >= self.rsa_modulus:
            raise PeerError('encrypted premaster secret is not below the modulus')
        plain = pow(number, self.rsa_private_exponent, self.rsa_modulus)
        if plain.bit_length() > 48 * 8:
            raise PeerError('premaster secret does not decrypt to 48 bytes')
        return plain.to_bytes(48, 'little')


# --- byte helpers ------------------------------------------------------------------------------------

class Reader:
    def __init__(self, data: bytes, what: str):
        self.data, self.pos, self.what = data, 0, what

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise PeerError('%s: truncated (%d bytes wanted at offset %d of %d)'
                            % (self.what, size, self.pos, len(self.data)))
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack('<H', self.take(2))[0]

    def u16be(self) -> int:
        return struct.unpack('>H', self.take(2))[0]

    def u32(self) -> int:
        return struct.unpack('<I', self.take(4))[0]

    def blob(self) -> tuple[int, bytes]:
        blob_type, size = self.u16(), self.u16()
        return blob_type, self.take(size)

    def rest(self) -> bytes:
        return self.take(len(self.data) - self.pos)


def blob(blob_type: int, data: bytes) -> bytes:
    return struct.pack('<HH', blob_type, len(data)) + data


def ber_length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    if size < 0x100:
        return bytes([0x81, size])
    return bytes([0x82]) + struct.pack('>H', size)


def ber(tag: bytes, content: bytes) -> bytes:
    return tag + ber_length(len(content)) + content


def per_length(size: int) -> bytes:
    return bytes([size]) if size < 0x80 else struct.pack('>H', 0x8000 | size)


def read_ber_tlv(reader: Reader) -> tuple[int, bytes]:
    tag = reader.u8()
    if tag & 0x1F == 0x1F:
        tag = (tag << 8) | reader.u8()
    size = reader.u8()
    if size & 0x80:
        size = int.from_bytes(reader.take(size & 0x7F), 'big')
    return tag, reader.take(size)


def read_per_length(reader: Reader) -> int:
    first = reader.u8()
    return ((first & 0x7F) << 8) | reader.u8() if first & 0x80 else first


def utf16_text(data: bytes) -> str:
    return data.decode('utf-16-le', errors='replace').split('\x00', 1)[0]


def ansi_text(data: bytes) -> str:
    return data.split(b'\x00', 1)[0].decode('latin-1')


# --- one connection ----------------------------------------------------------------------------------

class Connection:
    """The server side of one client connection, from X.224 to the end of licensing."""

    def __init__(self, peer: 'LicensePeer', sock: socket.socket):
        self.peer, self.sock = peer, sock
        self.started = time.monotonic()
        self.record: dict[str, t.Any] = {'event': 'incomplete'}
        self.server_random = os.urandom(32)
        self.client_random = b''
        self.mac_salt_key = self.encryption_key = b''
        self.new_license_request: dict[str, t.Any] = {}

    # transport
    def recv_exact(self, size: int) -> bytes:
        chunks = b''
        while len(chunks) < size:
            chunk = self.sock.recv(size - len(chunks))
            if not chunk:
                raise PeerError('client closed the connection')
            chunks += chunk
        return chunks

    def recv_tpkt(self) -> bytes:
        header = self.recv_exact(4)
        if header[0] != 3:
            raise PeerError('not a TPKT (fast-path or garbage: 0x%02x)' % header[0])
        size = struct.unpack('>H', header[2:])[0]
        if size < 4:
            raise PeerError('TPKT length %d' % size)
        return self.recv_exact(size - 4)

    def send_tpkt(self, payload: bytes) -> None:
        self.sock.sendall(struct.pack('>BBH', 3, 0, len(payload) + 4) + payload)

    def recv_x224_data(self) -> bytes:
        tpdu = self.recv_tpkt()
        if len(tpdu) < 3 or tpdu[1] != 0xF0:
            if len(tpdu) >= 2 and tpdu[1] == 0x80:
                raise PeerError('client sent an X.224 Disconnect Request')
            raise PeerError('not an X.224 Data TPDU')
        return tpdu[3:]

    def send_x224_data(self, payload: bytes) -> None:
        self.send_tpkt(b'\x02\xf0\x80' + payload)

    def send_licensing(self, msg_type: int, body: bytes) -> None:
        pdu = struct.pack('<HH', SEC_LICENSE_PKT, 0) + struct.pack('<BBH', msg_type, PREAMBLE_VERSION_3_0, len(body) + 4)
        pdu += body
        self.send_x224_data(bytes([MCS_SDIN << 2]) +
                            struct.pack('>HH', SERVER_USER_ID - MCS_BASE_USER, MCS_GLOBAL_CHANNEL) +
                            b'\x70' + per_length(len(pdu)) + pdu)

    # the sequence
    def run(self) -> None:
        self.sock.settimeout(SOCKET_TIMEOUT_SECONDS)
        try:
            if not self.negotiate():
                return
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.peer.keys.tls_cert_file, self.peer.keys.tls_key_file)
            self.sock = context.wrap_socket(self.sock, server_side=True)
            self.record['tls'] = self.sock.version()
            self.mcs_connect()
            self.domain_and_channels()
            self.licensing()
            self.disconnect()
        except (PeerError, OSError, ssl.SSLError) as exc:
            self.record['error'] = '%s: %s' % (type(exc).__name__, exc)
        finally:
            self.record['seconds'] = round(time.monotonic() - self.started, 3)
            self.peer.log(self.record)
            try:
                self.sock.close()
            except OSError:
                pass

    def negotiate(self) -> bool:
        tpdu = self.recv_tpkt()
        if len(tpdu) < 7 or tpdu[1] & 0xF0 != 0xE0:
            raise PeerError('not an X.224 Connection Request')
        rest = tpdu[7:]
        if rest.startswith(b'Cookie:') or rest.startswith(b'mstshash'):
            end = rest.find(b'\r\n')
            self.record['cookie'] = rest[:end].decode('latin-1', errors='replace') if end >= 0 else None
            rest = rest[end + 2:] if end >= 0 else b''
        requested = 0
        if len(rest) >= 8 and rest[0] == 0x01:
            requested = struct.unpack('<I', rest[4:8])[0]
        self.record['requested_protocols'] = requested
        if not requested & PROTOCOL_SSL:
            # RDP_NEG_FAILURE: this peer only speaks TLS.
            self.send_tpkt(b'\x0e\xd0\x00\x00\x12\x34\x00' + struct.pack('<BBHI', 0x03, 0, 8, SSL_REQUIRED_BY_SERVER))
            self.record['event'] = 'refused'
            self.record['error'] = 'client did not offer TLS (PROTOCOL_SSL)'
            return False
        self.requested_protocols = requested
        self.send_tpkt(b'\x0e\xd0\x00\x00\x12\x34\x00' + struct.pack('<BBHI', 0x02, 0, 8, PROTOCOL_SSL))
        return True

    def mcs_connect(self) -> None:
        reader = Reader(self.recv_x224_data(), 'MCS Connect-Initial')
        tag, body = read_ber_tlv(reader)
        if tag != 0x7F65:
            raise PeerError('expected MCS Connect-Initial, got BER tag 0x%x' % tag)
        fields = Reader(body, 'MCS Connect-Initial')
        parts = [read_ber_tlv(fields) for _field in range(7)]  # selectors, upward flag, 3 domain params, userData
        user_data = parts[6][1]
        key = user_data.find(b'Duca')
        if key < 0:
            raise PeerError('GCC Conference Create Request without the client H.221 key')
        blocks = Reader(user_data[key + 4:], 'GCC client data')
        end = read_per_length(blocks) + blocks.pos
        channel_count = 0
        while blocks.pos + 4 <= min(end, len(blocks.data)):
            block_type, size = blocks.u16(), blocks.u16()
            block = Reader(blocks.take(size - 4), 'GCC client block 0x%04x' % block_type)
            if block_type == 0xC001 and size >= 4 + 52:   # CS_CORE: clientName at offset 20, 32 bytes
                block.take(20)
                self.record['client_name'] = utf16_text(block.take(32))
            elif block_type == 0xC003:                     # CS_NET
                channel_count = block.u32()
                self.record['channels'] = [ansi_text(block.take(12)[:8]) for _channel in range(channel_count)]
        channel_ids = [MCS_GLOBAL_CHANNEL + 1 + index for index in range(channel_count)]
        net = struct.pack('<HH', MCS_GLOBAL_CHANNEL, channel_count) + b''.join(struct.pack('<H', c) for c in channel_ids)
        if channel_count % 2:
            net += b'\x00\x00'
        server_data = (struct.pack('<HHIII', 0x0C01, 16, 0x00080004, self.requested_protocols, 0) +  # SC_CORE
                       struct.pack('<HHII', 0x0C02, 12, 0, 0) +     # SC_SECURITY: no RDP encryption, TLS has it
                       struct.pack('<HH', 0x0C03, 4 + len(net)) + net)  # SC_NET
        user_data_field = per_length(len(server_data)) + server_data
        connect_pdu = b'\x14\x76\x0a\x01\x01\x00\x01\xc0\x00McDn' + user_data_field
        if len(connect_pdu) >= 0x80:
            # rdesktop skips a fixed 21-byte GCC header, which holds only with a one-byte length here.
            raise PeerError('client asked for too many channels (%d)' % channel_count)
        gcc = b'\x00\x05\x00\x14\x7c\x00\x01' + bytes([len(connect_pdu)]) + connect_pdu
        domain = b''.join(ber(b'\x02', value) for value in
                          (b'\x22', b'\x03', b'\x00', b'\x01', b'\x00', b'\x01', b'\x00\xff\xf8', b'\x02'))
        response = ber(b'\x0a', b'\x00') + ber(b'\x02', b'\x00') + ber(b'\x30', domain) + ber(b'\x04', gcc)
        self.send_x224_data(ber(b'\x7f\x66', response))

    def domain_and_channels(self) -> None:
        """Erect Domain, Attach User and every Channel Join, until the Client Info PDU arrives."""
        while True:
            data = self.recv_x224_data()
            choice = data[0] >> 2
            if choice == MCS_EDRQ:
                continue
            if choice == MCS_AURQ:
                self.send_x224_data(bytes([(MCS_AUCF << 2) | 2, 0]) + struct.pack('>H', CLIENT_USER_ID - MCS_BASE_USER))
            elif choice == MCS_CJRQ:
                _user, channel = struct.unpack('>HH', data[1:5])
                self.send_x224_data(bytes([(MCS_CJCF << 2) | 2, 0]) +
                                    struct.pack('>HHH', CLIENT_USER_ID - MCS_BASE_USER, channel, channel))
            elif choice == MCS_SDRQ:
                flags, body = self.parse_send_data(data)
                if not flags & SEC_INFO_PKT:
                    raise PeerError('expected the Client Info PDU, got security flags 0x%04x' % flags)
                self.client_info(body)
                return
            elif choice == MCS_DPUM:
                raise PeerError('client disconnected during the MCS sequence')
            else:
                raise PeerError('unexpected MCS PDU %d' % choice)

    @staticmethod
    def parse_send_data(data: bytes) -> tuple[int, bytes]:
        reader = Reader(data, 'MCS Send Data Request')
        reader.take(1 + 2 + 2 + 1)  # choice, initiator, channel, priority/segmentation
        payload = Reader(reader.take(read_per_length(reader)), 'security header')
        flags, _flags_hi = payload.u16(), payload.u16()
        return flags, payload.rest()

    def client_info(self, body: bytes) -> None:
        reader = Reader(body, 'Client Info PDU')
        _code_page, flags = reader.u32(), reader.u32()
        sizes = [reader.u16() for _field in range(5)]   # domain, user, password, shell, working dir
        terminator = 2 if flags & INFO_UNICODE else 1
        decode = utf16_text if flags & INFO_UNICODE else ansi_text
        self.record['domain'] = decode(reader.take(sizes[0] + terminator))
        self.record['user'] = decode(reader.take(sizes[1] + terminator))
        # The password field is skipped unread on purpose: no secret in the log.

    def recv_licensing(self) -> tuple[int, Reader]:
        flags, body = self.parse_send_data(self.recv_x224_data())
        if not flags & SEC_LICENSE_PKT:
            raise PeerError('expected a licensing PDU, got security flags 0x%04x' % flags)
        reader = Reader(body, 'licensing PDU')
        msg_type, _flags, _size = reader.u8(), reader.u8(), reader.u16()
        return msg_type, reader

    def licensing(self) -> None:
        keys = self.peer.keys
        company, product = 'Microsoft Corporation\x00'.encode('utf-16-le'), 'A02\x00'.encode('utf-16-le')
        scope = b'microsoft.com\x00'
        request = (self.server_random + struct.pack('<II', 0x000A0000, len(company)) + company +
                   struct.pack('<I', len(product)) + product +
                   blob(BB_KEY_EXCHG_ALG_BLOB, struct.pack('<I', KEY_EXCHANGE_ALG_RSA)) +
                   blob(BB_CERTIFICATE_BLOB, keys.proprietary_certificate()) +
                   struct.pack('<I', 1) + blob(BB_SCOPE_BLOB, scope))
        self.send_licensing(LICENSE_REQUEST, request)
        msg_type, reader = self.recv_licensing()
        if msg_type == LICENSE_INFO:
            self.license_info(reader)
        elif msg_type == NEW_LICENSE_REQUEST:
            self.new_license(reader)
        elif msg_type == ERROR_ALERT:
            self.record.update(event='client_error', error_code=reader.u32(), state_transition=reader.u32())
        else:
            raise PeerError('unexpected licensing message 0x%02x' % msg_type)

    def key_exchange(self, reader: Reader) -> None:
        _algorithm, platform_id = reader.u32(), reader.u32()
        self.client_random = reader.take(32)
        _blob_type, encrypted_premaster = reader.blob()
        premaster = self.peer.keys.decrypt_premaster(encrypted_premaster)
        self.mac_salt_key, self.encryption_key = licensing_keys(premaster, self.client_random, self.server_random)
        self.record['platform_id'] = '0x%08X' % platform_id

    def license_info(self, reader: Reader) -> None:
        self.key_exchange(reader)
        _blob_type, stored = reader.blob()
        _blob_type, encrypted_hwid = reader.blob()
        mac = reader.take(16)
        hwid = rc4(self.encryption_key, encrypted_hwid)
        self.record.update(event='license_info', hwid=hwid.hex(), mac_ok=mac_data(self.mac_salt_key, hwid) == mac,
                           license_b64=base64.b64encode(stored).decode('ascii'),
                           license_sha256=hashlib.sha256(stored).hexdigest(), license_size=len(stored))
        if not self.record['mac_ok']:
            self.send_error(ERR_INVALID_MAC, ST_TOTAL_ABORT)
        elif self.peer.upgrade_presented:
            self.issue(UPGRADE_LICENSE, hwid, self.record.get('client_name') or '', self.record.get('user') or '')
        else:
            self.send_error(STATUS_VALID_CLIENT, ST_NO_TRANSITION)

    def new_license(self, reader: Reader) -> None:
        self.key_exchange(reader)
        _blob_type, user_name = reader.blob()
        _blob_type, machine_name = reader.blob()
        self.record.update(event='new_license_request', license_user_name=ansi_text(user_name),
                           machine_name=ansi_text(machine_name))
        challenge = rc4(self.encryption_key, PLATFORM_CHALLENGE_TEXT)
        self.send_licensing(PLATFORM_CHALLENGE, struct.pack('<I', 0) + blob(BB_ENCRYPTED_DATA_BLOB, challenge) +
                            mac_data(self.mac_salt_key, PLATFORM_CHALLENGE_TEXT))
        msg_type, reader = self.recv_licensing()
        if msg_type != PLATFORM_CHALLENGE_RESPONSE:
            raise PeerError('expected PLATFORM_CHALLENGE_RESPONSE, got 0x%02x' % msg_type)
        _blob_type, encrypted_response = reader.blob()
        _blob_type, encrypted_hwid = reader.blob()
        mac = reader.take(16)
        response, hwid = rc4(self.encryption_key, encrypted_response), rc4(self.encryption_key, encrypted_hwid)
        mac_ok = mac_data(self.mac_salt_key, response + hwid) == mac
        self.record.update(hwid=hwid.hex(), mac_ok=mac_ok, challenge_response=response.hex())
        if not mac_ok:
            self.send_error(ERR_INVALID_MAC, ST_TOTAL_ABORT)
            return
        self.issue(self.peer.new_license_message, hwid, ansi_text(machine_name), ansi_text(user_name))

    def issue(self, msg_type: int, hwid: bytes, machine: str, user: str) -> None:
        license_info = self.peer.make_license(machine=machine, user=user, hwid=hwid, sequence=self.peer.next_sequence())
        plain = license_factory.new_license_info(license_info)
        self.send_licensing(msg_type, blob(BB_ENCRYPTED_DATA_BLOB, rc4(self.encryption_key, plain)) +
                            mac_data(self.mac_salt_key, plain))
        self.record['issued'] = {
            'message': 'SERVER_NEW_LICENSE' if msg_type == NEW_LICENSE else 'SERVER_UPGRADE_LICENSE',
            'license_b64': base64.b64encode(license_info).decode('ascii'),
            'license_sha256': hashlib.sha256(license_info).hexdigest(), 'license_size': len(license_info)}

    def send_error(self, code: int, transition: int) -> None:
        self.send_licensing(ERROR_ALERT, struct.pack('<II', code, transition) + blob(BB_ERROR_BLOB, b''))
        self.record['answer'] = {STATUS_VALID_CLIENT: 'STATUS_VALID_CLIENT', ERR_INVALID_MAC: 'ERR_INVALID_MAC'}[code]

    def disconnect(self) -> None:
        """Disconnect Provider Ultimatum, then read until the client hangs up: closing with unread
        data would reset the connection and could cost the client the licence PDU still in flight."""
        self.record['licensing_seconds'] = round(time.monotonic() - self.started, 3)
        self.send_x224_data(bytes([(MCS_DPUM << 2) | 1, 0x80]))
        self.sock.settimeout(DRAIN_SECONDS)
        try:
            while self.sock.recv(4096):
                pass
        except (OSError, ssl.SSLError):
            pass


# --- the listener ------------------------------------------------------------------------------------

def factory_license(*, machine: str, user: str, hwid: bytes, sequence: int) -> bytes:
    """A per-device CAL from tests/license_factory.py, issued now for 90 days to the requesting client,
    with the client's hardware id and a serial number of its own (``sequence``: licences issued before)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    spec = license_factory.LicenseSpec(machine=machine or 'UNKNOWN', user=user or 'UNKNOWN',
                                       hwid=(hwid + bytes(20))[:20], serial=0x0200000001 + sequence, not_before=now,
                                       not_after=now + datetime.timedelta(days=90))
    return license_factory.build_client_license([spec])


def fixed_license(blob: bytes, **_request: t.Any) -> bytes:
    """The same licence for every client (e.g. the MS-RDPELE sample): bind it with functools.partial."""
    return blob


class LicensePeer:
    """Listens on 127.0.0.1, one thread per connection, and logs each licensing outcome as a JSON line.

    make_license(machine=, user=, hwid=, sequence=) -> pbLicenseInfo bytes; default: a fresh factory licence.
    upgrade_presented: answer a presented licence with SERVER_UPGRADE_LICENSE instead of STATUS_VALID_CLIENT.
    """

    def __init__(self, log_path: pathlib.Path | str, *, port: int = 0,
                 make_license: t.Callable[..., bytes] = factory_license, upgrade_presented: bool = False,
                 new_license_message: int = NEW_LICENSE):
        self.log_path = pathlib.Path(log_path)
        self.make_license = make_license
        self.upgrade_presented = upgrade_presented
        self.new_license_message = new_license_message
        self._folder = tempfile.TemporaryDirectory(prefix='rdp-license-peer-')
        self.keys = PeerKeys.create(pathlib.Path(self._folder.name))
        self._listener = socket.create_server((LOOPBACK, port))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._issued = 0
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, name='rdp-license-peer', daemon=True)

    def start(self) -> 'LicensePeer':
        self._acceptor.start()
        return self

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _address = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=Connection(self, sock).run, daemon=True)
            self._threads.append(thread)
            thread.start()

    def next_sequence(self) -> int:
        with self._lock:
            self._issued += 1
            return self._issued - 1

    def log(self, record: dict[str, t.Any]) -> None:
        with self._lock, self.log_path.open('a', encoding='utf-8') as handle:
            handle.write(json.dumps(record, sort_keys=True) + '\n')

    def records(self) -> list[dict[str, t.Any]]:
        if not self.log_path.exists():
            return []
        with self._lock:
            return [json.loads(line) for line in self.log_path.read_text(encoding='utf-8').splitlines() if line]

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(SOCKET_TIMEOUT_SECONDS + DRAIN_SECONDS)
        self._folder.cleanup()

    def __enter__(self) -> 'LicensePeer':
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--log', required=True, help='JSON-lines file, appended to')
    parser.add_argument('--port', type=int, default=3389)
    parser.add_argument('--license', help='issue these pbLicenseInfo bytes (e.g. the MS-RDPELE sample) '
                                          'instead of a factory licence')
    parser.add_argument('--upgrade', action='store_true', help='send SERVER_UPGRADE_LICENSE, not NEW_LICENSE')
    args = parser.parse_args(argv)
    make_license: t.Callable[..., bytes] = factory_license
    if args.license:
        make_license = functools.partial(fixed_license, pathlib.Path(args.license).read_bytes())
    peer = LicensePeer(args.log, port=args.port, make_license=make_license,
                       new_license_message=UPGRADE_LICENSE if args.upgrade else NEW_LICENSE)
    peer.start()
    print('listening on %s:%d' % (LOOPBACK, peer.port), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    peer.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
