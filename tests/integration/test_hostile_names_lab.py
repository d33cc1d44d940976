"""Inventory host names are data, not paths (issue 16 section 4): real ansible-playbook runs of
reset_license_store.yml and restore.yml on lab hosts named '../escape-one', '..' and an absolute path (each
reaches its Wine prefix through ansible_wine_prefix, as a renamed real host reaches its address through
ansible_host).
"""

from __future__ import annotations

import json
import os
import pathlib
import stat

import pytest

from fleet import HostSpec

pytestmark = pytest.mark.lab

REPO = pathlib.Path(__file__).resolve().parents[2]
RESET = REPO / 'playbooks' / 'reset_license_store.yml'
RESTORE = REPO / 'playbooks' / 'restore.yml'
TASK = 'tslicensing.cal.client_license : Query, back up and remove, or restore the client license store'


@pytest.fixture(scope='module')
def absolute_name(tmp_path_factory):
    # An absolute path that does not exist yet: the run must not create it.
    return str(tmp_path_factory.mktemp('absolute-target') / 'abs-host')


@pytest.fixture(scope='module')
def slash_key_seed(tmp_path_factory, license_fixtures):
    # A license key whose name holds '/': legal in the registry, never a separator there.
    text = (license_fixtures / 'mslicensing-wine-export.reg').read_bytes().decode('utf-16')
    seed = tmp_path_factory.mktemp('seeds') / 'slash-key.reg'
    seed.write_bytes(text.replace('Store\\LICENSE000', 'Store\\LIC/ENSE000').encode('utf-16'))
    return str(seed)


@pytest.fixture(scope='module')
def lab(lab_factory, absolute_name, slash_key_seed):
    names = {'h_escape': '../escape-one', 'h_dotdot': '..', 'h_absolute': absolute_name}
    specs = {prefix: HostSpec('win10-pro', {'64': 'one-license'}, inventory_name=name) for prefix, name in names.items()}
    specs['h_slashkey'] = HostSpec('win10-pro', {'64': slash_key_seed})
    return lab_factory('hostile-names', specs), names


def _tree(path: pathlib.Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob('*'))


def test_backups_of_hostile_names_stay_under_the_backup_root(lab, absolute_name, tmp_path):
    lab, names = lab
    outside = tmp_path / 'outside'
    root = outside / 'inside' / 'backups'
    outside.mkdir()
    (outside / 'inside').mkdir()
    before_outside = _tree(outside)
    old_umask = os.umask(0)  # the playbook inherits it: the root folder must still be 0700
    try:
        run = lab.playbook(RESET, extra_vars={'reset_license_store_hosts': 'lab_clients:!h_slashkey',
                                              'reset_license_store_backup_dir': str(root)})
    finally:
        os.umask(old_umask)
    assert run.rc == 0, run.stdout + run.stderr

    assert stat.S_IMODE(os.stat(root).st_mode) == 0o700
    folders = {p.name for p in root.iterdir()}
    assert folders == {'..%2Fescape-one', '%2E%2E', absolute_name.replace('/', '%2F')}
    for prefix, name in names.items():
        result = run.result(name, TASK)
        assert result['changed'] is True, result
        backup = pathlib.Path(result['views']['64']['backup']['path'])
        assert backup.resolve().parent.parent == root.resolve()
        assert stat.S_IMODE(os.stat(backup.parent).st_mode) == 0o700
        # the manifest keeps the real name
        assert json.loads(pathlib.Path(result['views']['64']['backup']['manifest']).read_text())['host'] == name
        assert lab.fleet.export_store(prefix, '64') is None
    # nothing was written beside or above the root, nor at the absolute path
    assert _tree(outside) == sorted(before_outside + ['inside/backups'] + [
        'inside/backups/' + p for p in _tree(root)])
    assert not os.path.lexists(absolute_name)

    # and the same names find their own backups again
    restored = lab.playbook(RESTORE, extra_vars={'restore_hosts': 'lab_clients:!h_slashkey',
                                                 'restore_backup_dir': str(root)},
                            env={'TSCAL_LEDGER_URL': 'sqlite://%s/ledger.sqlite3' % tmp_path})
    assert restored.rc == 0, restored.stdout + restored.stderr
    for prefix, name in names.items():
        assert restored.result(name, TASK)['changed'] is True
        assert lab.fleet.export_store(prefix, '64') is not None


@pytest.mark.parametrize('name, folder', [
    ('pc042.corp.example.com', 'pc042.corp.example.com'),
    ('10.0.0.7', '10.0.0.7'),
    ('../escape-one', '..%2Fescape-one'),
    ('..', '%2E%2E'),
    ('.', '%2E'),
    ('/etc', '%2Fetc'),
    ('a\\b', 'a%5Cb'),
    ('50%', '50%25'),
    ('pc\u00e9', 'pc%C3%A9'),
])
def test_host_folder_names(tmp_path, name, folder):
    from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license as store
    assert store.controller_backup_dir(str(tmp_path), name) == str(tmp_path / folder)


@pytest.mark.parametrize('name, problem', [('', 'is empty'), ('a\x00b', 'NUL'), ('x' * 300, 'too long')])
def test_host_names_that_cannot_name_a_folder(tmp_path, name, problem):
    from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license as store
    with pytest.raises(store.BackupError, match=problem):
        store.controller_backup_dir(str(tmp_path), name)


def test_a_host_folder_linked_outside_the_root_is_refused(tmp_path):
    from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license as store
    root = tmp_path / 'root'
    root.mkdir()
    (root / 'pc1').symlink_to(tmp_path)
    with pytest.raises(store.BackupError, match='outside'):
        store.controller_backup_dir(str(root), 'pc1')


def test_audit_reports_a_license_key_with_a_slash_instead_of_not_reached(lab, tmp_path):
    lab, _names = lab
    assert b'LIC/ENSE000' in lab.fleet.export_store('h_slashkey', '64').decode('utf-16').encode()
    run = lab.playbook(REPO / 'playbooks' / 'audit.yml', json_output=False, extra_vars={
        'audit_hosts': 'h_slashkey', 'audit_ledger': 'sqlite://%s/ledger.sqlite3' % tmp_path,
        'audit_report_dir': str(tmp_path / 'reports'), 'audit_report_formats': ['json']})
    assert run.rc == 0, run.stdout + run.stderr
    (host,) = json.loads((tmp_path / 'reports' / 'tscal-audit.json').read_text())['hosts']
    assert host['reached'] is True, host
    assert [row['key'] for row in host['licenses']] == ['LIC/ENSE000'], host
