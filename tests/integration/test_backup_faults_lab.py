"""A full disk on the controller while the backup's manifest is written (issue 16 section 4): a real
ansible-playbook run of reset_license_store.yml in a private mount namespace whose backup folder is a small
tmpfs, filled so that the backup fits and its manifest does not."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

import pytest

from fleet import REAL_EXPORT, HostSpec
from harness import VENV_BIN, lab_environment

pytestmark = pytest.mark.lab

REPO = pathlib.Path(__file__).resolve().parents[2]
RESET = REPO / 'playbooks' / 'reset_license_store.yml'
TASK = 'tslicensing.cal.client_license : Query, back up and remove, or restore the client license store'
PAGE = 4096
SIZE = 256 * 1024


@pytest.fixture(scope='module')
def lab(lab_factory):
    return lab_factory('backup-faults', {'full_disk': HostSpec('win10-pro', {'64': 'one-license'})})


@pytest.mark.skipif(shutil.which('unshare') is None, reason='needs unshare(1) for a private tmpfs')
def test_a_full_disk_while_writing_the_manifest_fails_cleanly_and_deletes_nothing(lab, tmp_path):
    before = lab.fleet.export_store('full_disk', '64')
    mount = tmp_path / 'fs'
    mount.mkdir()
    backup_pages = -(-REAL_EXPORT.stat().st_size // PAGE)  # the export reg.exe makes of this store
    argv = [str(VENV_BIN / 'ansible-playbook'), '-i', str(lab.inventory), str(RESET), '-e', json.dumps({
        'reset_license_store_hosts': 'full_disk', 'reset_license_store_backup_dir': str(mount / 'backups')})]
    script = ('mount -t tmpfs -o size=%d tmpfs "$1" && head -c %d /dev/zero > "$1/filler" && shift && exec "$@"'
              % (SIZE, SIZE - backup_pages * PAGE))
    proc = subprocess.run(['unshare', '-m', 'sh', '-c', script, 'sh', str(mount)] + argv, cwd=REPO,
                          env=lab_environment({'ANSIBLE_STDOUT_CALLBACK': 'lab.wine.json_results'}),
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600, check=False)
    if proc.returncode != 0 and 'mount' in proc.stderr and 'ansible' not in proc.stdout:
        pytest.skip('no private tmpfs here: %s' % proc.stderr.strip())
    assert proc.returncode != 0
    plays = json.loads(proc.stdout[proc.stdout.find('{'):])['plays']
    result = next(task['hosts']['full_disk'] for play in plays for task in play['tasks']
                  if task['task']['name'] == TASK and 'full_disk' in task['hosts'])
    assert result.get('failed') is True
    assert 'cannot write the backup manifest' in result['msg'] and 'the disk is full' in result['msg'], result['msg']
    assert 'nothing was deleted' in result['msg'] and '[Errno' not in result['msg']
    assert lab.fleet.export_store('full_disk', '64') == before  # the store is untouched
