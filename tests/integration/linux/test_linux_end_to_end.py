"""The Linux thin-client story end to end, with Debian's real xfreerdp and rdesktop, the lab's licensing peer,
real SSH and the collection's playbooks:

clients connect and store licences -> audit.yml shows them (report and ledger) -> reset_license_store.yml backs
up and removes the store on thin01 -> the peer sees thin01's next connections ask for a new licence (same
hardware id: it comes from the hostname) instead of presenting the old one -> restore.yml brings the exact
files back (bytes, owner, mode) and each client presents its old licence again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import pathlib
import stat
import struct
import typing as t

import pytest

import thin_client_lab
from rdp_license_peer import LicensePeer

pytestmark = pytest.mark.slow

HWID = {'freerdp': lambda host: struct.pack('<I', 0x04010000) + hashlib.md5(host.encode()).digest(),
        'rdesktop': lambda host: struct.pack('<I', 2) + host.encode()[:16].ljust(16, b'\x00')}


def connect(lab, peer: LicensePeer, display: str, host: str, client: str) -> dict[str, t.Any]:
    return thin_client_lab.connect(lab.ssh, peer, display, host, client)


def licence_files(home: pathlib.Path) -> dict[str, tuple[bytes, int, int, int]]:
    found = {}
    for folder in (home / '.config' / 'freerdp' / 'licenses', home / '.local' / 'share' / 'rdesktop' / 'licenses'):
        for path in sorted(folder.glob('*.cal')) if folder.is_dir() else ():
            info = path.lstat()
            found[str(path)] = (path.read_bytes(), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
    return found


def test_connect_audit_reset_ask_again_restore_present_again(linux_lab, xvfb_display, tmp_path) -> None:
    ssh = linux_lab.ssh
    home = linux_lab.homes('thin01')[ssh.login('thin01')]
    uid = ssh.user('thin01').pw_uid
    settings = {'backup': str(tmp_path / 'backups'), 'reports': str(tmp_path / 'reports'),
                'ledger': 'sqlite://%s/ledger.sqlite3' % tmp_path}
    with LicensePeer(tmp_path / 'peer.jsonl') as peer:
        # 1. Both clients of thin01 connect for the first time and store the licence the peer issues.
        first = {client: connect(linux_lab, peer, xvfb_display, 'thin01', client) for client in ('freerdp', 'rdesktop')}
        for client, record in first.items():
            assert (record['event'], record['hwid']) == ('new_license_request', HWID[client]('thin01').hex()), record
        stored = licence_files(home)
        assert len(stored) == 2
        assert sorted(data for data, *_rest in stored.values()) == \
            sorted(base64.b64decode(record['issued']['license_b64']) for record in first.values())
        assert {owner for _data, _mode, owner, _gid in stored.values()} == {uid}

        # 2. The audit reads them over SSH: the report and the ledger show thin01's two CALs.
        run = linux_lab.playbook('playbooks/audit.yml', {'audit_hosts': 'linux_thin_clients',
                                                         'audit_report_dir': settings['reports'],
                                                         'audit_ledger': settings['ledger']})
        assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
        report = json.loads((tmp_path / 'reports' / 'tscal-audit.json').read_text())
        hosts = {host['host']: host for host in report['hosts']}
        assert sorted(hosts) == ['thin01', 'thin02', 'thin03']
        rows = hosts['thin01']['licenses']
        assert sorted(row['views'][0] for row in rows) == sorted(stored)
        assert {(row['issued_to'], row['license_type'], row['license_server']) for row in rows} == \
            {('thin01', 'permanent', 'LICSRV01')}
        assert sorted(row['hardware_id'] for row in rows) == sorted(HWID[c]('thin01').hex() for c in first)
        assert hosts['thin03']['licenses'] == [] and hosts['thin03']['reached'] is True

        # 3. Reset thin01 (a permanent CAL: the opt-in); the backups are verified before the files go.
        reset = {'reset_license_store_hosts': 'thin01', 'reset_license_store_remove_permanent': True,
                 'reset_license_store_backup_dir': settings['backup']}
        run = linux_lab.playbook('playbooks/reset_license_store.yml', reset)
        assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
        result = run.result('thin01', 'tslicensing.cal.client_license : '
                                      'Query, back up and remove, or restore the licence files of the Linux client')
        assert (result['changed'], result['module_executions']) == (True, 2)
        assert licence_files(home) == {}
        originals = {path: view['backup']['path'] for path, view in result['views'].items()}
        assert {path: pathlib.Path(backup).read_bytes() for path, backup in originals.items()} == \
            {path: data for path, (data, *_rest) in stored.items()}

        # 4. The next connections ask for a new licence instead of presenting the old one, with the same
        #    hardware id (removing the file gives a Linux client no new one), and store what they get.
        for client in ('freerdp', 'rdesktop'):
            record = connect(linux_lab, peer, xvfb_display, 'thin01', client)
            assert (record['event'], record['hwid']) == ('new_license_request', HWID[client]('thin01').hex()), record
        assert sorted(licence_files(home)) == sorted(stored)
        assert all(licence_files(home)[path][0] != stored[path][0] for path in stored)

        # 5. Back to the old licences: reset again (the new ones are backed up too), then restore the first
        #    backups by name: the exact bytes, owner and mode, and each client presents its old licence.
        run = linux_lab.playbook('playbooks/reset_license_store.yml', reset)
        assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
        for path, backup in originals.items():
            run = linux_lab.playbook('playbooks/restore.yml', {'restore_hosts': 'thin01', 'restore_backup': backup,
                                                               'restore_backup_dir': settings['backup'],
                                                               'restore_ledger': settings['ledger']})
            assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert licence_files(home) == stored
        for client in ('freerdp', 'rdesktop'):
            record = connect(linux_lab, peer, xvfb_display, 'thin01', client)
            assert record['event'] == 'license_info', record
            assert base64.b64decode(record['license_b64']) in [data for data, *_rest in stored.values()]
            assert record['answer'] == 'STATUS_VALID_CLIENT'
        assert thin_client_lab.PASSWORD not in peer.log_path.read_text(encoding='utf-8')
