"""tslicensing.cal.client_os_info and the eligibility role against the Wine lab (tests/lab/fleet.py).

Each lab host carries the CurrentVersion values of a real OS (fleet OS_PROFILES); one host has its version
values deleted (malformed -> unknown), and one host is only an inventory record on an unroutable address
(declared OS, never contacted). Expectations are written from the sources, not from the matrix.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import typing as t

import pytest
from fleet import netbios_name  # tests/lab is on sys.path (tests/conftest.py)

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'lab'))
ANSIBLE_PLAYBOOK = pathlib.Path(sys.executable).parent / 'ansible-playbook'

pytestmark = [pytest.mark.lab, pytest.mark.slow,
              pytest.mark.skipif(shutil.which('wine') is None, reason='the lab needs Wine')]

# host -> (fleet OS profile, family, edition, product_type)
DETECTED = {
    'w2k': ('win2000-pro', 'windows_2000', 'unknown', 'unknown'),
    'xphome': ('winxp-home', 'windows_xp', 'home', 'client'),
    'xppro': ('winxp-pro', 'windows_xp', 'professional', 'client'),
    'srv2003': ('win2003', 'windows_server_2003', 'standard', 'server'),
    'win7': ('win7-pro', 'windows_7', 'professional', 'client'),
    'win10': ('win10-pro', 'windows_10', 'professional', 'client'),
    'win11': ('win11-home', 'windows_11', 'home', 'client'),
    'srv2022': ('server2022', 'windows_server_2022', 'standard', 'server'),
}
MALFORMED = 'broken'  # a win10-pro host whose CurrentVersion / CurrentMajorVersionNumber are deleted
RECORD_ONLY = 'xp-record'

# transfer_applicable per host for each license server (per_device), from KB 315262 / 823313 / RDS docs.
EXPECTED_TRANSFER = {
    '2000': {'w2k': False, 'xphome': True, 'xppro': False, 'srv2003': 'unknown', 'win7': 'unknown',
             'win10': 'unknown', 'win11': 'unknown', 'srv2022': 'unknown', MALFORMED: 'unknown',
             RECORD_ONLY: True},
    '2022': {**{host: True for host in DETECTED}, MALFORMED: 'unknown', RECORD_ONLY: True},
}

PLAYBOOK = '''
- hosts: lab_clients
  gather_facts: false
  tasks:
    - name: Detect
      tslicensing.cal.client_os_info:
        license_server: "{{ license_server }}"
        licensing_mode: per_device
      register: detected
    - name: Keep the result for the test
      ansible.builtin.copy:
        content: "{{ detected | to_json }}"
        dest: "{{ result_dir }}/detect-{{ inventory_hostname }}.json"
        mode: '0600'
      delegate_to: localhost
      check_mode: false  # test bookkeeping on the controller, also under --check

- hosts: all
  gather_facts: false
  roles:
    - role: tslicensing.cal.eligibility
      eligibility_license_server: "{{ license_server }}"
      eligibility_licensing_mode: per_device
      eligibility_fail_on_not_applicable: false
  post_tasks:
    - name: Keep the role's decision for the test
      ansible.builtin.copy:
        content: "{{ eligibility_result | to_json }}"
        dest: "{{ result_dir }}/role-{{ inventory_hostname }}.json"
        mode: '0600'
      delegate_to: localhost
      check_mode: false  # test bookkeeping on the controller, also under --check
'''


@pytest.fixture(scope='module')
def lab_inventory(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[pathlib.Path]:
    from fleet import CURRENT_VERSION, Fleet, HostSpec  # tests/lab/fleet.py

    root = tmp_path_factory.mktemp('eligibility-lab')
    fleet = Fleet(root / 'lab')
    specs = {host: HostSpec(os=profile, stores={}) for host, (profile, *_rest) in DETECTED.items()}
    specs[MALFORMED] = HostSpec(os='win10-pro', stores={})
    try:
        fleet.create(specs)
        for value in ('CurrentVersion', 'CurrentMajorVersionNumber'):
            rc, out = fleet.reg(MALFORMED, 'delete', CURRENT_VERSION, '/v', value, '/f', '/reg:64')
            assert rc == 0, out
        inventory = fleet.inventory()
        # A record-only host: unroutable address, so any connection attempt would make it unreachable.
        inventory['all']['hosts'] = {RECORD_ONLY: {
            'ansible_connection': 'ssh', 'ansible_host': '192.0.2.1', 'ansible_ssh_timeout': 2,
            'eligibility_declared_os': {'product_name': 'Windows XP Home Edition'}}}
        path = root / 'inventory.yml'
        path.write_text(json.dumps(inventory))
        yield path
    finally:
        fleet.destroy()


def run_playbook(inventory: pathlib.Path, tmp_path: pathlib.Path, license_server: str,
                 check: bool) -> tuple[subprocess.CompletedProcess[str], pathlib.Path]:
    (tmp_path / 'play.yml').write_text(PLAYBOOK)
    results = tmp_path / 'results'
    results.mkdir()
    collections = os.pathsep.join([str(REPO / 'tests' / 'lab' / 'collections'), str(REPO / '.venv' / 'collections')])
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR='1',
               ANSIBLE_HOST_KEY_CHECKING='false', ANSIBLE_RETRY_FILES_ENABLED='false')
    argv = [str(ANSIBLE_PLAYBOOK), '-i', str(inventory), str(tmp_path / 'play.yml'),
            '-e', 'result_dir=%s' % results, '-e', 'license_server=%s' % license_server]
    if check:
        argv.append('--check')
    proc = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    return proc, results


def load(results: pathlib.Path, prefix: str) -> dict[str, dict[str, t.Any]]:
    return {p.stem[len(prefix):]: json.loads(p.read_text()) for p in results.glob(prefix + '*.json')}


@pytest.mark.parametrize('license_server', ['2000', '2022'])
def test_detection_and_decision_per_host(lab_inventory: pathlib.Path, tmp_path: pathlib.Path,
                                         license_server: str) -> None:
    proc, results = run_playbook(lab_inventory, tmp_path, license_server, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]

    detected = load(results, 'detect-')
    assert set(detected) == set(DETECTED) | {MALFORMED}
    for host, (_profile, family, edition, product_type) in DETECTED.items():
        os_info = detected[host]['os']
        assert (os_info['family'], os_info['edition'], os_info['product_type']) == (family, edition, product_type), host
        assert detected[host]['changed'] is False
        assert detected[host]['module_executions'] == 1
        # the same round trip reads the NetBIOS name and the architecture, and the role passes them on
        assert (os_info['computer_name'], os_info['architecture']) == (netbios_name(host), 'AMD64'), host
    assert detected[MALFORMED]['os']['family'] == 'unknown'
    assert 'CurrentVersion' in detected[MALFORMED]['os']['reason']

    role = load(results, 'role-')
    assert {host: d['transfer_applicable'] for host, d in role.items()} == EXPECTED_TRANSFER[license_server]
    for host in DETECTED:
        assert role[host] == detected[host]['eligibility']  # the role reports what the action decided
        assert role[host]['os']['computer_name'] == netbios_name(host)
    assert role[RECORD_ONLY]['os']['source'] == 'declared'


def test_detection_runs_in_check_mode(lab_inventory: pathlib.Path, tmp_path: pathlib.Path) -> None:
    proc, results = run_playbook(lab_inventory, tmp_path, '2000', check=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    detected = load(results, 'detect-')
    assert detected['xphome']['eligibility']['transfer_applicable'] is True
    assert detected['win11']['os']['family'] == 'windows_11'
