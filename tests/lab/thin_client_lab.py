#!/usr/bin/env python
# TEST-ONLY LAB CODE - never shipped with tslicensing.cal.
"""Linux thin clients for the demo and the tests: the SSH lab, a private Xvfb, the licensing peer, and the real
RDP clients run on a lab host over SSH.

    connect(ssh, peer, display, 'thin01', 'freerdp')   # one connection; the peer's record of it

Command line (scripts/demo.sh): start the lab, let each host's FreeRDP and rdesktop fetch a licence from the
peer, write the inventory, touch READY, and keep everything running until SIGTERM, then tear it all down::

    thin_client_lab.py serve --workdir DIR --inventory INV.json --ready FILE --hosts thin01 [thin02 ...]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
import typing as t

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from rdp_license_peer import LicensePeer  # noqa: E402
from ssh_lab import SshLab  # noqa: E402

PASSWORD = 'Peer-Must-Not-Log-This-7'
RECORD_WAIT_SECONDS = 30


def connect(ssh: SshLab, peer: LicensePeer, display: str, host: str, client: str) -> dict[str, t.Any]:
    """One connection of the lab host's login user with the real client (over SSH, /client-hostname or -n
    the host's name); returns the peer's record of it."""
    if client == 'freerdp':
        argv = ['xfreerdp', '/v:127.0.0.1:%d' % peer.port, '/u:x', '/p:%s' % PASSWORD, '/cert:ignore',
                '/client-hostname:%s' % host]
        stdin = ''
    else:
        argv = ['rdesktop', '-n', host, '-u', 'x', '-p', PASSWORD, '127.0.0.1:%d' % peer.port]
        stdin = 'yes\n'  # rdesktop asks whether to trust the peer's self-signed certificate
    before = len(peer.records())
    ssh.ssh(host, ['env', 'DISPLAY=%s' % display, *argv], check=False, stdin=stdin, timeout=90)
    deadline = time.monotonic() + RECORD_WAIT_SECONDS
    while len(peer.records()) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    records = peer.records()[before:]
    if len(records) != 1:
        raise RuntimeError('%s on %s: expected one licensing record, got %s' % (client, host, records))
    return records[0]


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """A private Xvfb on a free display number (no -auth: every local user may connect)."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(['Xvfb', '-displayfd', str(write_end), '-nolisten', 'tcp', '-screen', '0',
                               '800x600x24'], pass_fds=(write_end,), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    if not number.isdigit():
        server.kill()
        raise RuntimeError('Xvfb did not start (exit code %s)' % server.poll())
    return server, ':%s' % number


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serve(args: argparse.Namespace) -> int:
    workdir = pathlib.Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    xvfb, display = start_xvfb()
    try:
        with SshLab(workdir / 'ssh', args.hosts) as ssh, LicensePeer(workdir / 'peer.jsonl') as peer:
            for host in args.hosts:
                for client in ('freerdp', 'rdesktop'):
                    record = connect(ssh, peer, display, host, client)
                    print('[thin-client lab] %s %s: %s, %s' % (host, client, record['event'],
                                                               record.get('issued', {}).get('message')), flush=True)
            ssh.write_inventory(args.inventory)
            pathlib.Path(args.ready).write_text('%d\n' % os.getpid())
            while not stop.wait(1):
                pass
    finally:
        stop_process(xvfb)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    sub = parser.add_subparsers(dest='command', required=True)
    run = sub.add_parser('serve')
    run.add_argument('--workdir', required=True)
    run.add_argument('--inventory', required=True)
    run.add_argument('--ready', required=True)
    run.add_argument('--hosts', nargs='+', default=['thin01'])
    return serve(parser.parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
