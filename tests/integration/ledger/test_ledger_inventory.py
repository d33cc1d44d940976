"""tslicensing.cal.ledger through real ansible-inventory runs on a real ledger (both backends)."""

from __future__ import annotations

import datetime
import json
import pathlib
import typing as t

import pytest

from inventory_output import unwrap_unsafe
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import (
    Observation, TransferRequest, open_ledger)

pytestmark = pytest.mark.slow


def _days_from_now(days: int) -> str:
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)).isoformat()


def _fill(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        ledger.record_transfer(TransferRequest('CAL-A', 'old-a', 'new-a', license_server='LS01'))
        ledger.mark('reissue_requested', cal_id='CAL-A', reissue_reference='CH-1')
        ledger.record_transfer(TransferRequest('CAL-B', 'old-b', 'new-b'))
        ledger.record_observations([
            Observation('new-b', serial='TEMP', temporary=True, valid_to=_days_from_now(5)),
            Observation('steady', serial='PERM', license_server='LS02', valid_to=_days_from_now(400)),
            Observation('lapsed', serial='GONE', valid_to=_days_from_now(-3)),
            Observation("o'brien \"pc\"", serial='ODD', valid_to=_days_from_now(20)),
        ])


def _config(tmp_path: pathlib.Path, ledger_url: str, extra: str = '') -> str:
    (tmp_path / 'site.ledger.yml').write_text(
        'plugin: tslicensing.cal.ledger\nledger: %s\nexpiring_days: 30\n%s' % (json.dumps(ledger_url), extra))
    return 'site.ledger.yml'


def test_graph_groups_hosts_by_license_state(ansible: t.Any, tmp_path: pathlib.Path, ledger_url: str) -> None:
    _fill(ledger_url)
    run = ansible('ansible-inventory', '-i', _config(tmp_path, ledger_url), '--graph')
    assert run.returncode == 0, run.stdout + run.stderr
    graph = run.stdout
    groups: dict[str, set[str]] = {}
    current = None
    for line in graph.splitlines():
        name = line.strip(' |-')
        if name.startswith('@'):
            current = groups.setdefault(name[1:].rstrip(':'), set())
        elif current is not None and name:
            current.add(name)
    assert groups['transferred_out'] == {'old-a', 'old-b'}
    # new-a: reissue requested; new-b: old-b was cleared and no reissue reference is recorded yet.
    assert groups['pending_reissue'] == {'new-a', 'new-b'}
    assert groups['temporary_license'] == {'new-b'}
    assert groups['expiring'] == {'new-b', "o'brien \"pc\""}
    assert groups['expired'] == {'lapsed'}
    assert 's3cr3t' not in run.stdout + run.stderr


def test_list_carries_transfer_and_license_facts(ansible: t.Any, tmp_path: pathlib.Path, ledger_url: str) -> None:
    _fill(ledger_url)
    keyed = 'keyed_groups:\n  - key: tscal_license.license_server | default("none")\n    prefix: ls\n'
    run = ansible('ansible-inventory', '-i', _config(tmp_path, ledger_url, keyed), '--list')
    assert run.returncode == 0, run.stdout + run.stderr
    listed = unwrap_unsafe(json.loads(run.stdout))
    hostvars = listed['_meta']['hostvars']
    assert hostvars['old-a']['tscal_last_transfer_out']['target_host'] == 'new-a'
    assert hostvars['new-a']['tscal_last_transfer_in']['reissue_reference'] == 'CH-1'
    assert hostvars['new-b']['tscal_license']['temporary'] is True
    assert hostvars['steady']['tscal_license']['serial'] == 'PERM'
    assert hostvars["o'brien \"pc\""]['tscal_license']['serial'] == 'ODD'
    assert listed['ls_LS02']['hosts'] == ['steady']


def test_missing_ledger_is_empty_and_not_created(ansible: t.Any, tmp_path: pathlib.Path) -> None:
    url = 'sqlite://%s/absent/ledger.sqlite3' % tmp_path
    run = ansible('ansible-inventory', '-i', _config(tmp_path, url), '--list')
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)['_meta']['hostvars'] == {}
    assert not (tmp_path / 'absent').exists()


def test_unreachable_ledger_is_a_clear_inventory_error(ansible: t.Any, tmp_path: pathlib.Path) -> None:
    url = 'postgresql://tscal:s3cr3t@127.0.0.1:1/ledger?timeout=2'
    run = ansible('ansible-inventory', '-i', _config(tmp_path, url), '--list', env={'ANSIBLE_INVENTORY_UNPARSED_FAILED': '1'})
    assert run.returncode != 0
    assert 'cannot reach ledger postgresql://tscal:***@127.0.0.1:1/ledger' in run.stderr
    assert 's3cr3t' not in run.stdout + run.stderr


def test_hosts_known_only_to_the_ledger_are_in_their_own_group(
        ansible: t.Any, tmp_path: pathlib.Path, ledger_url: str) -> None:
    _fill(ledger_url)
    (tmp_path / 'hosts.yml').write_text('all:\n  children:\n    clients:\n      hosts:\n        steady:\n')
    # No expiring_days: the report's default (30 days) puts the license ending in 20 days in expiring.
    (tmp_path / 'site.ledger.yml').write_text('plugin: tslicensing.cal.ledger\nledger: %s\n' % json.dumps(ledger_url))
    run = ansible('ansible-inventory', '-i', 'hosts.yml', '-i', 'site.ledger.yml', '--list')
    assert run.returncode == 0, run.stdout + run.stderr
    listed = json.loads(run.stdout)
    assert set(listed['ledger_only']['hosts']) == {'old-a', 'new-a', 'old-b', 'new-b', 'lapsed', "o'brien \"pc\""}
    assert 'steady' not in listed['ledger_only']['hosts']
    assert 'ungrouped' not in listed or not listed['ungrouped'].get('hosts')
    assert set(listed['expiring']['hosts']) == {'new-b', "o'brien \"pc\""}


def test_list_shows_the_latest_of_each_host(ansible: t.Any, tmp_path: pathlib.Path, ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        ledger.record_transfer(TransferRequest('CAL-A', 'pc1', 'pc2'))
        ledger.record_transfer(TransferRequest('CAL-A', 'pc2', 'pc3', reissue_reference='CH-1'))
        ledger.record_transfer(TransferRequest('CAL-B', 'pc1', 'pc3'), allow_multiple_to_target=True)
        ledger.record_observations([
            Observation('pc3', serial='LATER', observed_at='2026-03-01', valid_to=_days_from_now(400)),
            Observation('pc3', serial='EARLIER', observed_at='2026-02-01', temporary=True, valid_to=_days_from_now(5)),
            Observation('pc2', serial='TIE-1', observed_at='2026-03-01', valid_to=_days_from_now(-1)),
            Observation('pc2', serial='TIE-2', observed_at='2026-03-01', valid_to=_days_from_now(400)),
        ])
    run = ansible('ansible-inventory', '-i', _config(tmp_path, ledger_url), '--list')
    assert run.returncode == 0, run.stdout + run.stderr
    listed = unwrap_unsafe(json.loads(run.stdout))
    hostvars = listed['_meta']['hostvars']
    assert hostvars['pc1']['tscal_last_transfer_out']['cal_id'] == 'CAL-B'
    assert hostvars['pc2']['tscal_last_transfer_out']['cal_id'] == 'CAL-A'
    assert hostvars['pc3']['tscal_last_transfer_in']['cal_id'] == 'CAL-B'
    assert hostvars['pc3']['tscal_license']['serial'] == 'LATER'
    assert hostvars['pc2']['tscal_license']['serial'] == 'TIE-2'  # the same moment: the one recorded last
    # Groups follow the latest rows only: pc3's earlier temporary license, pc2's other license of that moment.
    assert 'temporary_license' not in listed and 'expired' not in listed
    assert set(listed['transferred_out']['hosts']) == {'pc1', 'pc2'}
    # pc2's latest incoming transfer is still its first (cleared source, no reissue reference recorded).
    assert set(listed['pending_reissue']['hosts']) == {'pc2', 'pc3'}
