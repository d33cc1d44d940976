"""The real Linux RDP clients (Debian's FreeRDP 2 and rdesktop) against the lab's licensing peer.

Each client runs with a fresh HOME on a private Xvfb display and connects to tests/lab/rdp_license_peer.py
on 127.0.0.1 only. The tests prove what the Linux thin-client work of issue 12 relies on: the client
stores the licence the server sent, byte for byte, at the documented path; the collection's decoder
reads that file; the next connection presents it; and once the file is gone the client asks for a new
licence again, with the same hostname-derived hardware id.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import pathlib
import shutil
import struct
import subprocess
import time
import typing as t

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _license_decoder, _linux_license_store
from rdp_license_peer import UPGRADE_LICENSE, LicensePeer, fixed_license

pytestmark = pytest.mark.slow

CLIENT_HOSTNAME = 'thin01'
PASSWORD = 'Peer-Must-Not-Log-This-9'
CLIENT_TIMEOUT_SECONDS = 60
RECORD_WAIT_SECONDS = 30
# rdesktop.c: the licence file name hashes the hostname (NUL-padded to 16 bytes) followed by this salt.
RDESKTOP_SALT = bytes.fromhex('b8822931c539d94454155e147138d54d')


def freerdp_store(home: pathlib.Path, env: dict[str, str], hostname: str) -> pathlib.Path:
    config = pathlib.Path(env['XDG_CONFIG_HOME']) if env.get('XDG_CONFIG_HOME') else home / '.config'
    return config / 'freerdp' / 'licenses' / ('%s.cal' % hashlib.sha1(hostname.encode()).hexdigest())


def rdesktop_store(home: pathlib.Path, env: dict[str, str], hostname: str) -> pathlib.Path:
    digest = hashlib.sha1(hostname.encode()[:15].ljust(16, b'\x00') + RDESKTOP_SALT).hexdigest()
    return home / '.local' / 'share' / 'rdesktop' / 'licenses' / ('%s.cal' % digest)


CLIENTS: dict[str, dict[str, t.Any]] = {
    'freerdp': {
        'binary': 'xfreerdp',
        'argv': lambda port, options: ['xfreerdp', '/v:127.0.0.1:%d' % port, '/u:x', '/p:%s' % PASSWORD,
                                       '/cert:ignore', *options],
        'hostname_option': lambda host: ['/client-hostname:%s' % host],
        # rdesktop asks on stdin whether to trust the peer's self-signed TLS certificate; FreeRDP is told.
        'stdin': b'',
        'store': freerdp_store,
        'mode': 0o644,
        # FreeRDP: PLATFORMID 0x04010000, then MD5 of the client hostname.
        'hwid': lambda host: struct.pack('<I', 0x04010000) + hashlib.md5(host.encode()).digest(),
    },
    'rdesktop': {
        'binary': 'rdesktop',
        'argv': lambda port, options: ['rdesktop', *options, '-u', 'x', '-p', PASSWORD, '127.0.0.1:%d' % port],
        'hostname_option': lambda host: ['-n', host],
        'stdin': b'yes\n',
        'store': rdesktop_store,
        'mode': 0o600,
        # rdesktop: 2, then the hostname (at most 16 bytes, NUL-padded).
        'hwid': lambda host: struct.pack('<I', 2) + host.encode()[:16].ljust(16, b'\x00'),
    },
}


@pytest.fixture(scope='module')
def display() -> t.Iterator[str]:
    """A private Xvfb (both clients open their X display before connecting); it picks a free number."""
    for tool in ('Xvfb', 'xfreerdp', 'rdesktop'):
        if not shutil.which(tool):
            pytest.fail('%s is not installed: run scripts/setup.sh (Debian xvfb, freerdp2-x11, rdesktop)' % tool)
    read_end, write_end = os.pipe()
    server = subprocess.Popen(['Xvfb', '-displayfd', str(write_end), '-nolisten', 'tcp', '-screen', '0',
                               '800x600x24'], pass_fds=(write_end,), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()   # Xvfb writes the display number once it accepts clients
        if not number.isdigit():
            pytest.fail('Xvfb did not start (exit code %s)' % server.poll())
        yield ':%s' % number
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def peer(tmp_path: pathlib.Path) -> t.Iterator[LicensePeer]:
    with LicensePeer(tmp_path / 'peer.jsonl') as running:
        yield running


class ClientRun:
    """One client program against the peer, with its own HOME, until licensing is over."""

    def __init__(self, name: str, peer: LicensePeer, display: str, home: pathlib.Path,
                 extra_env: dict[str, str] | None = None):
        self.client, self.peer, self.home = CLIENTS[name], peer, home
        home.mkdir(parents=True, exist_ok=True)
        self.env = {'HOME': str(home), 'DISPLAY': display, 'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
                    'LANG': 'C.UTF-8', **(extra_env or {})}

    def store(self, hostname: str = CLIENT_HOSTNAME) -> pathlib.Path:
        return self.client['store'](self.home, self.env, hostname)

    def connect(self, hostname: str = CLIENT_HOSTNAME, *, system_hostname: str | None = None,
                options: t.Sequence[str] = ()) -> dict[str, t.Any]:
        """Runs the client once and returns the peer's record of that connection.

        ``system_hostname``: no client hostname option; the client runs in a UTS namespace of its own
        whose host name is this, so its default is what is tested.
        """
        hostname_option = [] if system_hostname else self.client['hostname_option'](hostname)
        argv = self.client['argv'](self.peer.port, [*options, *hostname_option])
        if system_hostname:
            argv = ['unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', system_hostname, *argv]
        before = len(self.peer.records())
        try:
            subprocess.run(argv, input=self.client['stdin'],
                           env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=CLIENT_TIMEOUT_SECONDS, umask=0o022, check=False)
        except subprocess.TimeoutExpired:
            pytest.fail('%s did not finish within %d s; peer log: %s'
                        % (self.client['binary'], CLIENT_TIMEOUT_SECONDS, self.peer.records()[before:]))
        # The peer logs a connection once the client has hung up: wait for that, not for a time.
        deadline = time.monotonic() + RECORD_WAIT_SECONDS
        while len(self.peer.records()) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        records = self.peer.records()[before:]
        assert len(records) == 1, records
        return records[0]


def issued_bytes(record: dict[str, t.Any]) -> bytes:
    return base64.b64decode(record['issued']['license_b64'])


@pytest.mark.parametrize('client', sorted(CLIENTS))
def test_client_stores_presents_and_asks_again(client: str, peer: LicensePeer, display: str,
                                               tmp_path: pathlib.Path) -> None:
    run = ClientRun(client, peer, display, tmp_path / 'home')
    expected_hwid = CLIENTS[client]['hwid'](CLIENT_HOSTNAME).hex()

    first = run.connect()
    assert first['event'] == 'new_license_request', first
    assert 'error' not in first, first
    assert (first['machine_name'], first['license_user_name'], first['user']) == (CLIENT_HOSTNAME, 'x', 'x')
    assert (first['hwid'], first['mac_ok'], first['issued']['message']) == (expected_hwid, True, 'SERVER_NEW_LICENSE')

    store = run.store()
    licences = sorted(store.parent.iterdir())
    assert licences == [store], 'the client wrote %s, expected only %s' % (licences, store)
    stored = store.read_bytes()
    assert stored == issued_bytes(first)
    assert store.stat().st_mode & 0o777 == CLIENTS[client]['mode']

    decoded = _license_decoder.decode_client_license(stored)
    [licence] = decoded['licenses']
    assert (licence['issued_to_machine'], licence['issued_to_user'], licence['license_server']) == \
        (CLIENT_HOSTNAME, 'x', 'LICSRV01')
    assert licence['hardware_id']['hex'] == expected_hwid   # the peer puts the client's HWID in the CAL

    second = run.connect()
    assert second['event'] == 'license_info', second
    assert base64.b64decode(second['license_b64']) == stored
    assert (second['hwid'], second['mac_ok'], second['answer']) == (expected_hwid, True, 'STATUS_VALID_CLIENT')
    assert store.read_bytes() == stored

    store.unlink()
    third = run.connect()
    assert third['event'] == 'new_license_request', third
    # Removing the file does not give the client a new hardware id: it is derived from the hostname.
    assert third['hwid'] == expected_hwid
    assert store.read_bytes() == issued_bytes(third)

    assert PASSWORD not in peer.log_path.read_text(encoding='utf-8')


@pytest.mark.parametrize('client', sorted(CLIENTS))
def test_client_stores_the_msrdpele_sample_from_an_upgrade(client: str, display: str, tmp_path: pathlib.Path,
                                                           license_fixtures: pathlib.Path) -> None:
    sample = (license_fixtures / 'pbLicenseInfo_msrdpele.p7b').read_bytes()
    with LicensePeer(tmp_path / 'peer.jsonl', make_license=functools.partial(fixed_license, sample),
                     new_license_message=UPGRADE_LICENSE) as upgrade_peer:
        run = ClientRun(client, upgrade_peer, display, tmp_path / 'home')
        record = run.connect()
        assert (record['event'], record['issued']['message']) == ('new_license_request', 'SERVER_UPGRADE_LICENSE')
        assert run.store().read_bytes() == sample
        [licence] = _license_decoder.decode_client_license(run.store().read_bytes())['licenses']
        assert (licence['issued_to_machine'], licence['temporary']) == ('RODENT', True)


def test_freerdp_follows_xdg_config_home_rdesktop_ignores_xdg_data_home(
        peer: LicensePeer, display: str, tmp_path: pathlib.Path) -> None:
    custom = {'XDG_CONFIG_HOME': str(tmp_path / 'custom-config'), 'XDG_DATA_HOME': str(tmp_path / 'custom-data')}
    for client in sorted(CLIENTS):
        run = ClientRun(client, peer, display, tmp_path / client, extra_env=custom)
        record = run.connect()
        assert record['event'] == 'new_license_request', record
        assert run.store().read_bytes() == issued_bytes(record)
    assert (tmp_path / 'custom-config' / 'freerdp' / 'licenses').is_dir()
    assert not (tmp_path / 'freerdp' / '.config' / 'freerdp' / 'licenses').exists()
    assert not (tmp_path / 'custom-data').exists()


def test_discovery_finds_and_names_what_the_real_clients_wrote(peer: LicensePeer, display: str,
                                                               tmp_path: pathlib.Path) -> None:
    """_linux_license_store over homes filled by the real clients: path, client, hostname, bytes, decode."""
    alice, bob, carol = tmp_path / 'alice', tmp_path / 'bob', tmp_path / 'carol'
    xdg = str(bob / 'xdg-config')
    written = {}
    for client, home, hostname, env in (('freerdp', alice, CLIENT_HOSTNAME, {}),
                                        ('rdesktop', alice, CLIENT_HOSTNAME, {}),
                                        ('freerdp', bob, 'KIOSK07', {'XDG_CONFIG_HOME': xdg}),
                                        ('rdesktop', bob, 'kiosk07', {}),
                                        ('freerdp', carol, 'not-in-inventory', {})):
        run = ClientRun(client, peer, display, home, extra_env=env)
        record = run.connect(hostname)
        assert record['event'] == 'new_license_request', record
        written[str(run.store(hostname))] = (client, hostname if hostname != 'not-in-inventory' else None,
                                             issued_bytes(record))
    # rdesktop 1.9 still reads the legacy ~/.rdesktop/license.<host> when its hashed file is missing.
    legacy = carol / '.rdesktop' / ('license.%s' % CLIENT_HOSTNAME)
    legacy.parent.mkdir()
    legacy.write_bytes(written[str(rdesktop_store(alice, {}, CLIENT_HOSTNAME))][2])
    legacy.chmod(0o644)
    presented = ClientRun('rdesktop', peer, display, carol).connect()
    assert (presented['event'], base64.b64decode(presented['license_b64'])) == ('license_info', legacy.read_bytes())
    written[str(legacy)] = ('rdesktop', CLIENT_HOSTNAME, legacy.read_bytes())
    assert not rdesktop_store(carol, {}, CLIENT_HOSTNAME).exists()  # presenting a licence stores nothing

    homes = [{'home': str(alice), 'user': 'alice'}, {'home': str(bob), 'user': 'bob', 'xdg_config_home': xdg},
             {'home': str(carol), 'user': 'carol'}]
    found = _linux_license_store.discover(homes, ['thin01', 'kiosk07'])
    assert {entry['path']: (entry['client'], entry['client_hostname'], bytes.fromhex(entry['license']['sha256']))
            for entry in found} == {path: (client, hostname, hashlib.sha256(blob).digest())
                                    for path, (client, hostname, blob) in written.items()}
    for entry in found:
        assert 'error' not in entry, entry
        assert entry['sha256'] == hashlib.sha256(pathlib.Path(entry['path']).read_bytes()).hexdigest()
        assert entry['license']['status'] == 'decoded', entry['license']
        assert entry['user'] == pathlib.Path(entry['home']).name
    layouts = sorted((entry['client'], entry['layout'], entry['mode']) for entry in found)
    assert layouts == sorted([('freerdp', 'freerdp', '0644')] * 3 + [('rdesktop', 'rdesktop', '0600')] * 2 +
                             [('rdesktop', 'rdesktop-legacy', '0644')])


@pytest.mark.parametrize('client', sorted(CLIENTS))
def test_an_upgrade_of_a_presented_licence_replaces_the_file(
        client: str, display: str, tmp_path: pathlib.Path) -> None:
    """A server renewing the CAL a client presents (SERVER_UPGRADE_LICENSE): the client overwrites its file."""
    with LicensePeer(tmp_path / 'peer.jsonl', upgrade_presented=True) as renewing_peer:
        run = ClientRun(client, renewing_peer, display, tmp_path / 'home')
        first = run.connect()
        second = run.connect()
    assert (first['event'], second['event']) == ('new_license_request', 'license_info')
    assert base64.b64decode(second['license_b64']) == issued_bytes(first)
    assert second['issued']['message'] == 'SERVER_UPGRADE_LICENSE'
    assert issued_bytes(second) != issued_bytes(first)
    assert run.store().read_bytes() == issued_bytes(second)
    assert sorted(run.store().parent.iterdir()) == [run.store()]


@pytest.mark.parametrize('client', sorted(CLIENTS))
def test_the_default_client_hostname_is_the_short_host_name(client: str, peer: LicensePeer, display: str,
                                                            tmp_path: pathlib.Path) -> None:
    """Without /client-hostname or -n both clients use the host name up to its first dot: that is the
    name a licence file hashes and the hardware id carries when a thin client runs with defaults."""
    if subprocess.run(['unshare', '--uts', 'true'], capture_output=True, check=False).returncode != 0:
        pytest.skip('no UTS namespace here (unshare --uts needs root): the default host name cannot be set')
    run = ClientRun(client, peer, display, tmp_path / 'home')
    record = run.connect(system_hostname='thin02.corp.example')
    assert (record['event'], record['machine_name']) == ('new_license_request', 'thin02'), record
    assert record['hwid'] == CLIENTS[client]['hwid']('thin02').hex()
    assert run.store('thin02').read_bytes() == issued_bytes(record)


def test_freerdp_old_license_behaviour_stores_nothing_and_sends_a_constant_hwid(
        peer: LicensePeer, display: str, tmp_path: pathlib.Path) -> None:
    """/old-license (FreeRDP's OldLicenseBehaviour): no licence file, and a hardware id that is the same
    on every device (MD5 of six zero bytes after a zero platform id), whatever the hostname."""
    run = ClientRun('freerdp', peer, display, tmp_path / 'home')
    for hostname in ('thin01', 'thin03'):
        record = run.connect(hostname, options=['/old-license'])
        assert (record['event'], record['issued']['message']) == ('new_license_request', 'SERVER_NEW_LICENSE')
        assert record['hwid'] == (bytes(4) + hashlib.md5(bytes(6)).digest()).hex()
    assert not (tmp_path / 'home' / '.config' / 'freerdp' / 'licenses').exists()
