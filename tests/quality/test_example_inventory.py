"""inventories/example: parses with no credentials around, validates every WinRM certificate, keeps passwords
out of files (and names the missing one at run time), maps a rollout's old PCs to new ones, and its ledger
source adds the ledger's groups to the real hosts from a real SQLite ledger."""

from __future__ import annotations

import datetime
import json
import pathlib
import re
import typing as t

import pytest

from inventory_output import unwrap_unsafe
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import (
    Observation, TransferRequest, open_ledger)
from quality_tools import REPO, load_yaml, run_tool, tool_env

EXAMPLE = REPO / 'inventories' / 'example'
LEDGER_SOURCE = EXAMPLE / 'tscal.ledger.yml'


def _env(home: pathlib.Path, **extra: str) -> dict[str, str]:
    """No TSCAL_* credentials or ledger; a HOME of its own, so no user's default SQLite ledger is read."""
    return tool_env(HOME=str(home), **extra)


def _inventory(home: pathlib.Path, *args: str, **extra: str) -> dict[str, t.Any]:
    run = run_tool('ansible-inventory', '-i', EXAMPLE, '--list', *args, env=_env(home, **extra))
    assert run.returncode == 0, run.stdout + run.stderr
    assert 'WARNING' not in run.stderr, run.stderr
    return unwrap_unsafe(json.loads(run.stdout))


def _members(listing: dict[str, t.Any], group: str) -> set[str]:
    entry = listing.get(group, {})
    hosts = set(entry.get('hosts', []))
    for child in entry.get('children', []):
        hosts |= _members(listing, child)
    return hosts


@pytest.fixture(scope='module')
def listing(tmp_path_factory: pytest.TempPathFactory) -> dict[str, t.Any]:
    return _inventory(tmp_path_factory.mktemp('home'))


def test_every_windows_host_uses_winrm_https_with_certificate_validation(listing: dict[str, t.Any]) -> None:
    hosts = _members(listing, 'windows')
    assert len(hosts) >= 5
    for host in hosts:
        variables = listing['_meta']['hostvars'][host]
        assert variables['ansible_connection'] == 'winrm', host
        assert variables['ansible_winrm_scheme'] == 'https' and variables['ansible_port'] == 5986, host
        assert variables['ansible_winrm_server_cert_validation'] == 'validate', host


def test_transport_follows_the_transport_groups(listing: dict[str, t.Any]) -> None:
    hostvars = listing['_meta']['hostvars']
    kerberos, credssp = _members(listing, 'winrm_kerberos'), _members(listing, 'winrm_credssp')
    assert kerberos, 'the example shows one Kerberos host'
    for host in _members(listing, 'windows'):
        expected = 'kerberos' if host in kerberos else 'credssp' if host in credssp else 'ntlm'
        assert hostvars[host]['ansible_winrm_transport'] == expected, host
    assert all(hostvars[host]['ansible_winrm_kinit_mode'] in ('managed', 'manual') for host in kerberos)


def test_license_server_group_and_rollout_mapping(listing: dict[str, t.Any]) -> None:
    hostvars = listing['_meta']['hostvars']
    servers = _members(listing, 'license_servers')
    assert servers and servers <= _members(listing, 'windows')
    rollout = _members(listing, 'rollout_2026')
    assert rollout
    clients = _members(listing, 'clients')
    targets = [hostvars[host]['transfer_target'] for host in sorted(rollout)]
    for source, target in zip(sorted(rollout), targets):
        assert target in clients - rollout, '%s -> %s: the target must be another client' % (source, target)
    assert len(set(targets)) == len(targets), 'two old PCs give their CAL to the same new PC'


def test_no_password_is_written_in_the_inventory(listing: dict[str, t.Any]) -> None:
    secret_keys = re.compile(r'^\s*(ansible_password|ansible_winrm_password|ansible_become_password|'
                             r'vault_\w*password)\s*:\s*(.*)$', re.M)
    for path in EXAMPLE.rglob('*'):
        if not path.is_file():
            continue
        for key, value in secret_keys.findall(path.read_text(encoding='utf-8')):
            # Only templates (lookups) in loaded files; the .example is never loaded (no .yml ending).
            assert value.startswith(('>-', '"{{', "'{{")) or path.suffix == '.example', '%s: %s' % (path, key)
    hostvars = listing['_meta']['hostvars']
    assert not any('vault_tscal_winrm_password' in variables for variables in hostvars.values())


def _debug(home: pathlib.Path, host: str, expression: str, **extra: str) -> tuple[int, dict[str, t.Any]]:
    """An ad hoc debug task on a host (no connection is made): its return code and result."""
    run = run_tool('ansible', '-i', EXAMPLE, host, '-m', 'ansible.builtin.debug', '-a', 'msg=%s' % expression,
                   env=_env(home, ANSIBLE_STDOUT_CALLBACK='ansible.builtin.minimal', **extra))
    output = '\n' + run.stdout
    start = output.find('\n%s | ' % host)
    assert start >= 0, run.stdout + run.stderr
    return run.returncode, json.loads(output[start:].partition(' => ')[2])


def test_credentials_come_from_the_environment_when_a_host_is_used(tmp_path: pathlib.Path) -> None:
    rc, result = _debug(tmp_path, 'pc042.corp.example.com', '{{ ansible_user }}|{{ ansible_password }}',
                        TSCAL_WINRM_USER='CORP\\svc-tscal', TSCAL_WINRM_PASSWORD='from-the-environment')
    assert rc == 0 and result['msg'] == 'CORP\\svc-tscal|from-the-environment'


def test_a_missing_password_is_named_at_run_time(tmp_path: pathlib.Path) -> None:
    rc, result = _debug(tmp_path, 'pc042.corp.example.com', 'unused', TSCAL_WINRM_USER='svc-tscal')
    assert rc != 0
    assert 'TSCAL_WINRM_PASSWORD' in result['msg'] and 'vault_tscal_winrm_password' in result['msg']


def _days_from_now(days: int) -> str:
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)).isoformat()


def test_ledger_example_is_accepted_by_the_ledger_plugin_on_its_own(tmp_path: pathlib.Path) -> None:
    ledger_url = 'sqlite://%s/ledger.sqlite3' % tmp_path
    with open_ledger(ledger_url) as ledger:
        ledger.record_observations([Observation('pc042.corp.example.com', serial='PERM', license_server='LICSRV01',
                                                valid_to=_days_from_now(400))])
    run = run_tool('ansible-inventory', '-i', LEDGER_SOURCE, '--list',
                   env=_env(tmp_path, TSCAL_LEDGER_URL=ledger_url, ANSIBLE_INVENTORY_ENABLED='tslicensing.cal.ledger',
                            ANSIBLE_INVENTORY_UNPARSED_FAILED='true'))
    assert run.returncode == 0, run.stdout + run.stderr
    listing = unwrap_unsafe(json.loads(run.stdout))
    assert listing['license_server_LICSRV01']['hosts'] == ['pc042.corp.example.com']


def test_ledger_groups_join_the_real_hosts(tmp_path: pathlib.Path) -> None:
    ledger_url = 'sqlite://%s/ledger.sqlite3' % tmp_path
    with open_ledger(ledger_url) as ledger:
        ledger.record_transfer(TransferRequest('CAL-17', 'pc017.corp.example.com', 'pc102.corp.example.com',
                                               license_server='licsrv01'))
        ledger.mark('reissue_requested', cal_id='CAL-17', reissue_reference='CH-17')
        ledger.record_observations([Observation('pc103.corp.example.com', serial='TEMP', temporary=True,
                                                valid_to=_days_from_now(5))])
    listing = _inventory(tmp_path, TSCAL_LEDGER_URL=ledger_url)
    assert _members(listing, 'transferred_out') == {'pc017.corp.example.com'}
    assert _members(listing, 'pending_reissue') == {'pc102.corp.example.com'}
    assert _members(listing, 'temporary_license') == _members(listing, 'expiring') == {'pc103.corp.example.com'}
    hostvars = listing['_meta']['hostvars']['pc017.corp.example.com']
    # The same host: ledger facts next to the WinRM settings of hosts.yml and its rollout target.
    assert hostvars['tscal_last_transfer_out']['target_host'] == 'pc102.corp.example.com'
    assert hostvars['ansible_winrm_server_cert_validation'] == 'validate'
    assert hostvars['transfer_target'] == 'pc102.corp.example.com'


def test_example_files_are_yaml_ansible_loads() -> None:
    for path in EXAMPLE.rglob('*.yml'):
        assert load_yaml(path) is not None, path


def test_linux_thin_clients_use_ssh_become_and_the_linux_platform(listing: dict[str, t.Any]) -> None:
    hostvars = listing['_meta']['hostvars']
    thin = _members(listing, 'linux_thin_clients')
    assert len(thin) >= 2 and not thin & _members(listing, 'windows')
    for host in thin:
        variables = hostvars[host]
        assert variables['tscal_client_platform'] == 'linux', host
        assert variables['ansible_connection'] == 'ansible.builtin.ssh' and variables['ansible_become'] is True, host
        assert variables['tscal_linux_users'], host
    assert hostvars['kiosk-cafe.corp.example.com']['tscal_linux_hostnames'] == ['KIOSK-CAFE']
