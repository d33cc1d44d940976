"""The source client (src01): its store is gone and its verified backup on the controller holds it."""

from __future__ import annotations

import json
import os
import stat

from _lab import VIEWS, reg_query_rc, seeded_store

testinfra_hosts = ['src01']


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_store_is_removed_from_every_view(host):
    assert {view: reg_query_rc(host, view) for view in VIEWS} == {'64': 1, '32': 1}


def test_backup_is_the_seeded_store_byte_for_byte_and_private(lab):
    folder = lab / 'backups' / 'src01'
    backups = sorted(folder.glob('*.reg'))
    # one backup of the one seeded view: the check run and the idempotence run wrote none
    assert [path.name[-len('-reg64.reg'):] for path in backups] == ['-reg64.reg']
    backup = backups[0]
    assert backup.read_bytes() == seeded_store('src01', '64')
    manifest = backup.with_name(backup.name + '.json')
    assert json.loads(manifest.read_text())['view'] == '64'
    assert (_mode(backup), _mode(manifest), _mode(folder)) == (0o600, 0o600, 0o700)
