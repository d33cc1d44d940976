"""The one helper for private files and folders, and the backup writes that use it (issue 16 section 4)."""

from __future__ import annotations

import os
import pathlib
import shutil
import stat
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license as store
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _private_files as private

REPO = pathlib.Path(__file__).resolve().parents[3]


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize('umask', [0o000, 0o022, 0o077])
def test_backup_root_and_host_folder_are_0700_whatever_the_umask(tmp_path, umask):
    host_dir = store.controller_backup_dir(str(tmp_path / 'a' / 'backups'), 'pc1')
    old = os.umask(umask)
    try:
        store.prepare_backup_dir(host_dir)
    finally:
        os.umask(old)
    assert _mode(tmp_path / 'a' / 'backups') == 0o700 and _mode(host_dir) == 0o700


def test_an_existing_root_keeps_its_mode(tmp_path):
    (tmp_path / 'shared').mkdir(mode=0o750)
    os.chmod(tmp_path / 'shared', 0o750)
    store.prepare_backup_dir(store.controller_backup_dir(str(tmp_path / 'shared'), 'pc1'))
    assert _mode(tmp_path / 'shared') == 0o750


def test_write_private_never_overwrites_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / 'h' / 'b.reg'
    path.parent.mkdir()
    store.write_private(str(path), b'one')
    assert path.read_bytes() == b'one' and _mode(path) == 0o600
    with pytest.raises(store.BackupError, match='cannot write the backup'):
        store.write_private(str(path), b'two')
    assert path.read_bytes() == b'one'
    assert sorted(p.name for p in path.parent.iterdir()) == ['b.reg']


def test_a_write_outside_the_backup_root_is_refused(tmp_path):
    (tmp_path / 'root').mkdir()
    (tmp_path / 'root' / 'h').symlink_to(tmp_path)
    with pytest.raises(store.BackupError, match='outside'):
        store.write_private(str(tmp_path / 'root' / 'h' / 'b.reg'), b'x')
    assert not (tmp_path / 'b.reg').exists()


def test_an_unwritable_backup_folder_says_so(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('')
    with pytest.raises(store.BackupError) as info:
        store.prepare_backup_dir(store.controller_backup_dir(str(blocker / 'backups'), 'pc1'))
    message = str(info.value)
    assert message.startswith('the backup folder %s is not writable: ' % (blocker / 'backups' / 'pc1'))
    assert '[Errno' not in message and '*_backup_dir' in message


def test_read_limited_refuses_devices_and_large_files(tmp_path):
    with pytest.raises(private.PrivateFileError, match='not a regular file'):
        private.read_limited('/dev/zero', 10)
    big = tmp_path / 'big'
    big.write_bytes(b'x' * 11)
    with pytest.raises(private.PrivateFileError, match='larger than 10 bytes'):
        private.read_limited(str(big), 10)
    assert private.read_limited(str(big), 11) == b'x' * 11
    with pytest.raises(private.PrivateFileError, match='No such file'):
        private.read_limited(str(tmp_path / 'missing'), 10)


@pytest.mark.skipif(shutil.which('unshare') is None, reason='needs unshare(1) for a private tmpfs')
def test_a_full_disk_while_writing_the_manifest_is_a_clean_error(tmp_path):
    """A real full file system: a 64 KiB tmpfs in a private mount namespace, filled but for the backup."""
    script = textwrap.dedent('''
        import os, sys
        sys.path.insert(0, %(collections)r)
        from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license as store
        root = %(root)r
        host_dir = store.controller_backup_dir(root, 'pc1')
        store.prepare_backup_dir(host_dir)
        with open(os.path.join(root, 'filler'), 'wb') as f:
            try:
                f.write(b'x' * (64 * 1024 - 4096))
            except OSError:
                pass
        backup = os.path.join(host_dir, 'b.reg')
        store.write_private(backup, b'y' * 4096)
        try:
            store.write_manifest(backup, {'view': '64'})
        except store.BackupError as exc:
            print(exc)
        print(sorted(os.listdir(host_dir)))
    ''') % {'collections': str(REPO / '.venv' / 'collections'), 'root': str(tmp_path / 'fs')}
    (tmp_path / 'fs').mkdir()
    proc = subprocess.run(['unshare', '-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$1" && exec "$2" -c "$3"',
                           'sh', str(tmp_path / 'fs'), sys.executable, script],
                          capture_output=True, text=True, check=False)
    if 'mount' in proc.stderr and proc.returncode != 0:
        pytest.skip('no private tmpfs here: %s' % proc.stderr.strip())
    assert proc.returncode == 0, proc.stderr
    message, listing = proc.stdout.strip().splitlines()
    assert message.startswith('cannot write the backup manifest %s/fs/pc1/b.reg.json: the disk is full' % tmp_path)
    assert '[Errno' not in message
    assert listing == "['b.reg']"  # no half-written manifest, no temporary file


def test_a_license_key_name_with_a_slash_keeps_the_store_readable(license_fixtures):
    text = (license_fixtures / 'mslicensing-wine-export.reg').read_bytes().decode('utf-16')
    doc = store.verify_export(text.replace('Store\\LICENSE000', 'Store\\LIC/ENSE000').encode('utf-8'), 'x.reg')
    report = store.summary(doc)
    assert [entry['name'] for entry in report['licenses']] == ['LIC/ENSE000']
    assert any("'LIC/ENSE000' has an unexpected name" in w for w in report['decode_warnings'])


def test_a_non_reg_file_is_refused_without_quoting_it():
    with pytest.raises(store.BackupError) as info:
        store.verify_export(b'password=hunter2 and more secret text\n', 'notes.txt')
    assert 'hunter2' not in str(info.value) and 'not a .reg file' in str(info.value)
    with pytest.raises(store.BackupError) as info:
        store.verify_export(b'\x89PNG\r\n\x1a\n\xff\xd8secret', 'image.png')
    assert 'secret' not in str(info.value) and 'neither UTF-16' in str(info.value)


def test_the_long_s_is_not_an_s_to_the_export_check(license_fixtures):
    text = (license_fixtures / 'mslicensing-wine-export.reg').read_bytes().decode('utf-16')
    for fake in ('Micro\u017foft\\MSLicensing', 'Microsoft\\MSLicen\u017fing'):
        with pytest.raises(store.BackupError, match='not an MSLicensing export'):
            store.verify_export(text.replace('Microsoft\\MSLicensing', fake).encode('utf-8'), 'x.reg')
    # case still does not matter in ASCII
    assert store.verify_export(text.replace('Microsoft\\MSLicensing', 'MICROSOFT\\mslicensing').encode('utf-8'), 'x')
