"""Discovery of FreeRDP and rdesktop licence stores in home folders (plugin_utils/_linux_license_store.py).

The file names below are the ones the real clients wrote for the client hostname ``thin01`` in
tests/integration/linux/test_rdp_license_peer.py (FreeRDP 2.11.7, rdesktop 1.9.0); that test also runs
discovery over homes the real clients filled. Here: the edges no client run produces.
"""

from __future__ import annotations

import os
import pathlib

import license_factory
import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _linux_license_store as store
from ansible_collections.tslicensing.cal.plugins.module_utils import _linux_license_files as files

# Written by the real clients for /client-hostname:thin01 and -n thin01.
FREERDP_THIN01 = '7177b44cf0c1fa06b4f3546f017e286314848312.cal'
RDESKTOP_THIN01 = 'd03214aeaa6eebbc0e0f4d4c0d99091bce4978b1.cal'


@pytest.fixture(scope='module')
def blob() -> bytes:
    return license_factory.build_client_license([license_factory.LicenseSpec(machine='thin01', user='kiosk')])


def put(path: pathlib.Path, data: bytes, mode: int = 0o644) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)
    return path


def test_file_names_match_what_the_real_clients_wrote() -> None:
    assert files.freerdp_file_name('thin01') == FREERDP_THIN01
    assert files.rdesktop_file_name('thin01') == RDESKTOP_THIN01
    # rdesktop keeps 15 bytes of the hostname (snprintf into 16 with its NUL): longer names collide.
    assert files.rdesktop_file_name('a-very-long-hostname') == files.rdesktop_file_name('a-very-long-hos')
    assert files.freerdp_file_name('a-very-long-hostname') != files.freerdp_file_name('a-very-long-hos')


def test_hostname_candidates_add_case_and_short_forms_once() -> None:
    assert files.hostname_candidates(['Thin01.corp.example', '', 'thin01']) == [
        'Thin01.corp.example', 'Thin01', 'thin01.corp.example', 'thin01', 'THIN01.CORP.EXAMPLE', 'THIN01']


def test_discovers_every_layout_and_recovers_hostnames(tmp_path: pathlib.Path, blob: bytes) -> None:
    home = tmp_path / 'kiosk'
    xdg = tmp_path / 'xdg'
    paths = {
        put(xdg / 'freerdp' / 'licenses' / FREERDP_THIN01, blob): ('freerdp', 'freerdp', 'thin01'),
        put(home / '.config' / 'freerdp' / 'licenses' / files.freerdp_file_name('THIN01'), blob):
            ('freerdp', 'freerdp', 'THIN01'),
        put(home / '.local' / 'share' / 'rdesktop' / 'licenses' / RDESKTOP_THIN01, blob, 0o600):
            ('rdesktop', 'rdesktop', 'thin01'),
        put(home / '.rdesktop' / 'licence.old-host', blob): ('rdesktop', 'rdesktop-legacy', 'old-host'),
        put(home / '.rdesktop' / 'license.thin01', blob): ('rdesktop', 'rdesktop-legacy', 'thin01'),
        put(home / '.config' / 'freerdp' / 'licenses' / files.freerdp_file_name('unknown'), blob):
            ('freerdp', 'freerdp', None),
    }
    found = store.discover([{'home': str(home), 'user': 'kiosk', 'xdg_config_home': str(xdg)}], ['thin01.lan'])
    assert {entry['path']: (entry['client'], entry['layout'], entry['client_hostname']) for entry in found} == \
        {str(path): value for path, value in paths.items()}
    for entry in found:
        assert (entry['user'], entry['size'], entry['license']['status']) == ('kiosk', len(blob), 'decoded')
        assert entry['license']['licenses'][0]['issued_to_machine'] == 'thin01'
    modes = {entry['path']: entry['mode'] for entry in found}
    assert modes[str(home / '.local' / 'share' / 'rdesktop' / 'licenses' / RDESKTOP_THIN01)] == '0600'


def test_skips_what_is_no_licence_and_never_follows_links(tmp_path: pathlib.Path, blob: bytes) -> None:
    home = tmp_path / 'user'
    folder = home / '.config' / 'freerdp' / 'licenses'
    put(folder / (FREERDP_THIN01 + '.new'), blob)            # a save the client did not finish
    put(folder / 'notes.txt', b'hello')
    put(home / '.rdesktop' / 'known_hosts', b'')
    secret = put(tmp_path / 'secret', b'not for reading', 0o600)
    os.symlink(secret, folder / ('ab' * 20 + '.cal'))
    (folder / ('cd' * 20 + '.cal')).mkdir()
    [link, directory] = store.discover_home(str(home), ['thin01'])
    assert link['error'] == 'symbolic link: not followed' and 'license' not in link and 'sha256' not in link
    assert directory['error'] == 'not a regular file'


def test_reports_oversized_and_undecodable_files(tmp_path: pathlib.Path, blob: bytes,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / 'user'
    folder = home / '.local' / 'share' / 'rdesktop' / 'licenses'
    put(folder / ('11' * 20 + '.cal'), b'\x00' * 10)
    put(folder / ('22' * 20 + '.cal'), blob)
    monkeypatch.setattr(files, 'MAX_LICENSE_BYTES', len(blob) - 1)  # the host-side reader's limit
    garbage, oversized = store.discover_home(str(home))
    assert garbage['license']['status'] == 'undecodable' and garbage['client_hostname'] is None
    assert oversized['error'] == 'larger than %d bytes: not read' % (len(blob) - 1)


def test_missing_homes_and_folders_are_no_error(tmp_path: pathlib.Path) -> None:
    assert not store.discover([{'home': str(tmp_path / 'nobody')}, {'home': str(tmp_path)}], ['thin01'])
    put(tmp_path / '.rdesktop', b'a file where the folder would be')
    assert not store.discover_home(str(tmp_path))
