"""The host-side guard and the controller's Linux backups (module_utils._linux_license_files,
plugin_utils._linux_license_store), and the Linux family of the eligibility policy."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib

import license_factory
import pytest

from ansible_collections.tslicensing.cal.plugins.module_utils import _linux_license_files as files
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license, _eligibility
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _linux_license_store as store


def _user(home: pathlib.Path, xdg: str | None = None) -> dict:
    return {'name': 'kiosk', 'home': str(home), 'uid': os.getuid(), 'gid': os.getgid(), 'xdg_config_home': xdg}


def test_the_guard_accepts_only_licence_files_in_licence_folders(tmp_path: pathlib.Path) -> None:
    home = tmp_path / 'kiosk'
    users = [_user(home, str(tmp_path / 'xdg'))]
    good = [home / '.config' / 'freerdp' / 'licenses' / files.freerdp_file_name('thin01'),
            tmp_path / 'xdg' / 'freerdp' / 'licenses' / files.freerdp_file_name('thin01'),
            home / '.local' / 'share' / 'rdesktop' / 'licenses' / files.rdesktop_file_name('thin01'),
            home / '.rdesktop' / 'licence.thin01', home / '.rdesktop' / 'license.thin01']
    for path in good:
        assert files.license_file(str(path), users)[0]['name'] == 'kiosk'
    bad = ['/etc/passwd', str(home / '.bashrc'), str(home / '.config' / 'freerdp' / 'licenses' / 'x.cal'),
           str(home / '.config' / 'freerdp' / 'licenses' / '..' / files.freerdp_file_name('a')),
           str(home / '.config' / 'freerdp' / files.freerdp_file_name('a')),
           str(home / '.rdesktop' / 'licence.'), str(home / '.rdesktop' / 'licence.a/b'),
           str(home / '.rdesktop' / 'known_hosts'), 'relative/licence.thin01',
           str(tmp_path / 'other' / '.rdesktop' / 'licence.thin01')]
    for path in bad:
        with pytest.raises(files.LicenseFileError, match='refusing'):
            files.license_file(path, users)


def test_the_guard_refuses_a_folder_reached_through_a_link(tmp_path: pathlib.Path) -> None:
    home = tmp_path / 'kiosk'
    (home / '.local').mkdir(parents=True)
    (tmp_path / 'elsewhere').mkdir()
    (home / '.local' / 'share').symlink_to(tmp_path / 'elsewhere')
    path = home / '.local' / 'share' / 'rdesktop' / 'licenses' / files.rdesktop_file_name('thin01')
    with pytest.raises(files.LicenseFileError, match='symbolic link'):
        files.license_file(str(path), [_user(home)])


def test_remove_takes_only_the_bytes_backed_up_and_restore_puts_back_bytes_and_mode(tmp_path: pathlib.Path) -> None:
    home = tmp_path / 'kiosk'
    users = [_user(home)]
    folder = home / '.config' / 'freerdp' / 'licenses'
    folder.mkdir(parents=True)
    path = folder / files.freerdp_file_name('thin01')
    path.write_bytes(b'licence one')
    path.chmod(0o644)
    kept = files.remove(str(path), hashlib.sha256(b'something else').hexdigest(), users, 'n1')
    assert not kept['removed'] and 'changed since the backup' in kept['reason']
    assert path.read_bytes() == b'licence one' and sorted(os.listdir(folder)) == [path.name]
    entry = files.read_entry({'client': 'freerdp', 'layout': 'freerdp', 'path': str(folder)}, path.name, str(home))
    assert files.remove(str(path), entry['sha256'], users, 'n2') == {'path': str(path), 'removed': True}
    assert os.listdir(folder) == []
    item = {'path': str(path), 'content': entry['content'], 'sha256': entry['sha256'], 'mode': '0644',
            'uid': os.getuid(), 'gid': os.getgid()}
    assert files.restore(item, users, 'n3')['changed'] is True
    assert path.read_bytes() == b'licence one' and oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert files.restore(item, users, 'n4')['changed'] is False
    path.write_bytes(b'another licence')
    with pytest.raises(files.LicenseFileError, match='differs from the backup'):
        files.restore(item, users, 'n5')


def test_a_restore_makes_missing_folders_private(tmp_path: pathlib.Path) -> None:
    home = tmp_path / 'kiosk'
    home.mkdir()
    data = b'licence'
    path = home / '.local' / 'share' / 'rdesktop' / 'licenses' / files.rdesktop_file_name('thin01')
    item = {'path': str(path), 'content': __import__('base64').b64encode(data).decode(),
            'sha256': hashlib.sha256(data).hexdigest(), 'mode': '0600', 'uid': os.getuid(), 'gid': os.getgid()}
    made = files.restore(item, [_user(home)], 'n')['folders_made']
    assert made == [str(home / '.local'), str(home / '.local' / 'share'), str(home / '.local' / 'share' / 'rdesktop'),
                    str(path.parent)]
    assert all(os.stat(folder).st_mode & 0o777 == 0o700 for folder in made)


def test_linux_backups_live_beside_windows_ones_and_neither_restore_reads_the_other(tmp_path: pathlib.Path) -> None:
    host_dir = tmp_path / 'thin01'
    _client_license.prepare_backup_dir(str(host_dir))
    blob = license_factory.build_client_license()
    view = store.store_view({'client': 'freerdp', 'layout': 'freerdp', 'user': 'kiosk', 'home': '/home/kiosk',
                             'path': '/home/kiosk/.config/freerdp/licenses/%s' % files.freerdp_file_name('thin01'),
                             'file_name': files.freerdp_file_name('thin01'), 'mode': '0644', 'uid': 1000,
                             'gid': 1000, 'owner': 'kiosk', 'group': 'kiosk',
                             'sha256': hashlib.sha256(blob).hexdigest(),
                             'content': __import__('base64').b64encode(blob).decode()})
    assert view['licenses'][0]['decoded']['status'] == 'decoded'
    backup = store.write_backup(str(host_dir), '20260101T000000.000000Z', 'thin01', view, blob)
    assert backup['path'].endswith('-freerdp-kiosk-%s' % files.freerdp_file_name('thin01'))
    manifest = json.loads(pathlib.Path(backup['manifest']).read_text())
    assert {key: manifest[key] for key in ('host', 'user', 'client', 'mode', 'owner', 'uid')} == \
        {'host': 'thin01', 'user': 'kiosk', 'client': 'freerdp', 'mode': '0644', 'owner': 'kiosk', 'uid': 1000}
    # The Windows restore looks at .reg backups only; the Linux one at .cal backups only.
    assert _client_license.latest_backups(str(host_dir), ['64', '32']) == ({}, [])
    assert store.latest_backups(str(host_dir)) == ({view['path']: backup['path']}, [])
    pathlib.Path(backup['path']).write_bytes(blob[:-1])
    with pytest.raises(store.LinuxStoreError, match='does not match its manifest'):
        store.read_backup(backup['path'])
    with pytest.raises(store.LinuxStoreError, match='is of the host thin01, not thin02'):
        store.check_backup_host(manifest, 'thin02', None, backup['path'])


@pytest.mark.parametrize('server, mode, applicable', [('2019', 'per_device', True), ('2000', 'per_device', True),
                                                      ('2003', 'per_device', True), ('2019', 'per_user', False)])
def test_every_linux_client_needs_a_cal_and_has_no_built_in_one(server: str, mode: str, applicable: bool) -> None:
    decision = _eligibility.decide(_eligibility.os_from_declared({'family': 'linux', 'product_type': 'client'}),
                                   server, mode)
    assert decision['transfer_applicable'] is applicable
    assert decision['built_in_license'] is False and decision['cal_required'] is True
    assert decision['os']['name'] == 'Linux thin client'
