"""transfer.yml with a Linux thin client as the source (and another as the target), over real SSH.

What a transfer means for a Linux client: its licence files are backed up and removed and the transfer is
recorded; the client keeps its hardware id (derived from its hostname), so the license server step (revoke, or
the Clearinghouse reissue) is what frees the CAL, exactly as on Windows.
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import sqlite3

import pytest

import license_factory

pytestmark = pytest.mark.slow


def _licence(machine: str, serial: int, *, days: int = 90) -> bytes:
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return license_factory.build_client_license([license_factory.LicenseSpec(
        machine=machine, user='x', serial=serial, not_before=now, not_after=now + datetime.timedelta(days=days))])


def _rows(ledger: pathlib.Path) -> list[dict]:
    with sqlite3.connect(ledger) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute('SELECT * FROM transfers ORDER BY id')]


def test_a_linux_source_transfers_its_cal_and_a_restore_then_refuses_it(linux_lab, tmp_path) -> None:
    source = linux_lab.seed('thin01', 'freerdp', _licence('thin01', 0x501))
    data, mode = source.read_bytes(), source.stat().st_mode
    ledger = tmp_path / 'ledger.sqlite3'
    extra = {'transfer_source': 'thin01', 'transfer_target': 'thin02', 'transfer_reason': 'thin client replaced',
             'transfer_license_server_version': '2019', 'transfer_ledger': 'sqlite:///%s' % ledger,
             'transfer_backup_dir': str(tmp_path / 'backups')}

    plan = linux_lab.playbook('playbooks/transfer.yml', extra, check=True)
    assert plan.rc == 0, plan.stdout[-3000:] + plan.stderr[-3000:]
    assert source.read_bytes() == data and not ledger.exists()

    run = linux_lab.playbook('playbooks/transfer.yml', extra)
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert not source.exists()
    [row] = _rows(ledger)
    assert (row['source_host'], row['target_host'], row['license_server']) == ('thin01', 'thin02', 'LICSRV01')
    assert row['state'] == 'source_cleared'  # no license server named: the revoke or reissue is still to come
    backup = pathlib.Path(row['backup_path'])
    assert backup.read_bytes() == data and backup.name.endswith(source.name)
    manifest = json.loads(pathlib.Path(str(backup) + '.json').read_text())
    assert (manifest['host'], manifest['path'], int(manifest['mode'], 8)) == ('thin01', str(source), mode & 0o777)
    result = run.result('thin01', 'tslicensing.cal.transfer : Back up, record the intent in the ledger, and remove '
                                  'the Linux source\'s licence files')
    assert result['module_executions'] == 2
    query = run.result('thin01', 'tslicensing.cal.transfer : Read the licence files the Linux source holds')
    assert query['module_executions'] == 1  # and no eligibility round trip: a Linux client's family is declared
    assert result['views'][str(source)]['intent'][0]['cal_id'] == row['cal_id']

    again = linux_lab.playbook('playbooks/transfer.yml', extra)
    assert again.rc == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert len(_rows(ledger)) == 1 and not source.exists()

    # The CAL now belongs to thin02: restoring thin01's backup is refused, naming the transfer.
    restore = linux_lab.playbook('playbooks/restore.yml', {'restore_hosts': 'thin01', 'restore_ledger':
                                                           'sqlite:///%s' % ledger,
                                                           'restore_backup_dir': str(tmp_path / 'backups')})
    assert restore.rc != 0
    assert 'was transferred to thin02' in restore.stdout + restore.stderr
    assert not source.exists()
    assert os.listdir(source.parent) == []
