"""The molecule scenarios, run the way a developer runs them: ``molecule test -s default`` on the Wine lab, and
the ``windows`` scenario (one real host over WinRM) - skipped cleanly without its environment, syntax-checked
always, its playbooks exercised on a lab host, and run for real when TSCAL_WINDOWS_HOST & co. are set.

Each molecule run gets its own MOLECULE_EPHEMERAL_DIRECTORY (a pytest tmp dir): the default scenario names
its Wine prefixes after it (.lab/molecule-default/<hash>), so a run never meets pytest's .lab/pytest-<pid>
fleets nor a parallel run. Whatever happens, ``molecule destroy`` runs afterwards with the same directory.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import hashlib
import importlib.util
import os
import pathlib
import re
import signal
import subprocess
import time
import typing as t

import pytest
import yaml
from fleet import HostSpec
from harness import lab_environment

pytestmark = pytest.mark.slow

REPO = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = REPO / '.venv' / 'bin'
SCENARIOS = REPO / 'molecule'
DEFAULT_TESTS = SCENARIOS / 'default' / 'tests'
WINDOWS_ENV = ('TSCAL_WINDOWS_HOST', 'TSCAL_WINRM_USER', 'TSCAL_WINRM_PASSWORD')
WINDOWS_OPTIONAL_ENV = ('TSCAL_WINRM_PORT', 'TSCAL_WINRM_TRANSPORT', 'TSCAL_WINRM_CA_TRUST_PATH',
                        'TSCAL_WINDOWS_ROUND_TRIP')
MOLECULE_TIMEOUT = 15 * 60


@dataclasses.dataclass
class MoleculeRun:
    rc: int
    output: str
    seconds: float

    def step(self, scenario: str, step: str) -> str:
        """The outcome molecule's DETAILS section reports for a step, e.g. 'Successful' (the last one wins)."""
        found = re.findall(r'^%s > %s: Executed: (\w+)' % (scenario, step), self.output, re.MULTILINE)
        return found[-1] if found else 'not run'

    def section(self, scenario: str, step: str) -> str:
        """What one step printed, from its 'Executing' line to the next step's."""
        start = self.output.index('[%s > %s] Executing' % (scenario, step))
        return self.output[start:self.output.index('[%s > %s] Executed' % (scenario, step), start)]


def _all_passed(pytest_output: str, count: int) -> bool:
    """pytest's final line says exactly ``count`` passed and nothing else; its duration is never read (it reads
    ``7 passed in 1.07s`` or ``7 passed in 160.22s (0:02:40)`` depending on the machine's load)."""
    return re.search(r'^=+ %d passed in [^,=]*=+$' % count, pytest_output, re.MULTILINE) is not None


def test_the_verify_check_reads_no_duration():
    for line in ('===== 7 passed in 1.07s =====', '======= 7 passed in 160.22s (0:02:40) =======',
                 '== 7 passed in 3601.00s (1:00:01) =='):
        assert _all_passed('collected 7 items\n' + line + '\n', 7), line
    for line in ('== 6 passed in 1.07s ==', '== 7 passed, 1 failed in 2.00s ==', '== 7 passed, 1 warning in 2s =='):
        assert not _all_passed(line + '\n', 7), line


def _environment(ephemeral: pathlib.Path, windows: t.Mapping[str, str] | None) -> dict[str, str]:
    """scripts/env.sh's environment; the windows variables only when given (never inherited by accident)."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(('TSCAL_', 'MOLECULE_', 'ANSIBLE_'))}
    env.update({
        'PATH': '%s:%s' % (VENV_BIN, env.get('PATH', '')),
        'ANSIBLE_COLLECTIONS_PATH': str(REPO / '.venv' / 'collections'),
        'MOLECULE_EPHEMERAL_DIRECTORY': str(ephemeral),
        'NO_COLOR': '1',  # plain text: no colours, no boxes, no wrapped lines
    })
    env.update(windows or {})
    return env


def _molecule(args: list[str], ephemeral: pathlib.Path, windows: t.Mapping[str, str] | None = None,
              timeout: float = MOLECULE_TIMEOUT) -> MoleculeRun:
    started = time.monotonic()
    # A session of its own, so that a timeout stops ansible-playbook and pytest children too.
    proc = subprocess.Popen([str(VENV_BIN / 'molecule'), *args], cwd=REPO, env=_environment(ephemeral, windows),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        output, _stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _stderr = proc.communicate()
        pytest.fail('molecule %s did not finish in %d s:\n%s' % (' '.join(args), timeout, output[-6000:]))
    return MoleculeRun(proc.returncode, output, time.monotonic() - started)


@contextlib.contextmanager
def _destroyed_afterwards(scenario: str, ephemeral: pathlib.Path,
                          windows: t.Mapping[str, str] | None = None) -> t.Iterator[None]:
    try:
        yield
    finally:
        # molecule test destroys on failure by itself; this covers a killed run.
        _molecule(['destroy', '-s', scenario], ephemeral, windows, timeout=300)


def _test_functions(path: pathlib.Path) -> int:
    """How many test functions a testinfra file defines (a parametrized one runs at least once)."""
    return sum(1 for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, ast.FunctionDef) and node.name.startswith('test_'))


def _recap_changed(section: str, host: str) -> int:
    return int(re.search(r'^%s\s*: ok=\d+\s+changed=(\d+)' % re.escape(host), section, re.MULTILINE).group(1))


# --- default: the Wine lab ---------------------------------------------------------------------------------

def test_default_scenario_transfers_idempotently_and_verifies(tmp_path):
    ephemeral = tmp_path / 'molecule'
    prefixes = REPO / '.lab' / 'molecule-default' / hashlib.sha1(str(ephemeral / 'lab').encode()).hexdigest()[:12]
    with _destroyed_afterwards('default', ephemeral):
        run = _molecule(['test', '-s', 'default'], ephemeral)
        print('molecule test -s default: rc %d in %.0f s' % (run.rc, run.seconds))
        assert run.rc == 0, run.output[-8000:]

    for step in ('create', 'prepare', 'check', 'converge', 'idempotence', 'verify', 'destroy'):
        assert run.step('default', step) == 'Successful', (step, run.output[-8000:])
    assert re.search(r'^default\s*: actions=\d+\s+successful=\d+ .* failed=0$', run.output, re.MULTILINE)

    # the converge really changed things (so the idempotence step proves something); the second run did not
    assert _recap_changed(run.section('default', 'converge'), 'src01') > 0
    assert _recap_changed(run.section('default', 'idempotence'), 'src01') == 0

    # every testinfra file ran, every test in it passed
    verify = run.section('default', 'verify')
    collected = int(re.search(r'collected (\d+) items', verify).group(1))
    assert _all_passed(verify, collected), verify
    test_files = sorted(DEFAULT_TESTS.glob('test_*.py'))
    for path in test_files:
        progress = re.search(r'^tests/%s (\S+)' % re.escape(path.name), verify, re.MULTILINE)
        assert progress and set(progress.group(1)) == {'.'}, (path.name, verify)
        assert len(progress.group(1)) >= _test_functions(path)
    assert collected >= sum(_test_functions(path) for path in test_files) >= 6

    # destroyed: no prefixes, no work folder left behind
    assert not prefixes.exists() and not (ephemeral / 'lab').exists()


# --- windows: one real host --------------------------------------------------------------------------------

def test_windows_scenario_is_skipped_cleanly_without_its_environment(tmp_path):
    ephemeral = tmp_path / 'molecule'
    with _destroyed_afterwards('windows', ephemeral):
        run = _molecule(['test', '-s', 'windows'], ephemeral)
    assert run.rc == 0, run.output[-8000:]
    assert re.search(r'skipped: set TSCAL_WINDOWS_HOST, TSCAL_WINRM_USER,\s+TSCAL_WINRM_PASSWORD', run.output)
    for step in ('converge', 'idempotence', 'side_effect', 'verify'):
        assert run.step('windows', step) == 'Successful'
        assert 'skipping: no hosts matched' in run.section('windows', step)
    assert not (ephemeral / 'windows' / 'inventory.yml').exists()


def test_windows_scenario_syntax(tmp_path):
    run = _molecule(['syntax', '-s', 'windows'], tmp_path / 'molecule')
    assert run.rc == 0 and run.step('windows', 'syntax') == 'Successful', run.output[-4000:]


WINDOWS_FAKE_HOST = {'TSCAL_WINDOWS_HOST': 'nohost.invalid', 'TSCAL_WINRM_USER': 'CORP\\nobody',
                     'TSCAL_WINRM_PASSWORD': 'not-a-real-secret', 'TSCAL_WINRM_CA_TRUST_PATH': '/etc/ssl/corp-ca.pem'}


@pytest.mark.skipif(importlib.util.find_spec('winrm') is not None, reason='pywinrm is installed here')
def test_windows_create_names_a_missing_pywinrm(tmp_path):
    ephemeral = tmp_path / 'molecule'
    with _destroyed_afterwards('windows', ephemeral, WINDOWS_FAKE_HOST):
        run = _molecule(['create', '-s', 'windows'], ephemeral, WINDOWS_FAKE_HOST, timeout=300)
    assert run.rc != 0 and 'pip install pywinrm' in run.output, run.output[-4000:]


def test_windows_create_writes_the_inventory_but_never_the_password(tmp_path):
    """create.yml only checks that pywinrm imports (it never connects): an empty stand-in package will do."""
    (tmp_path / 'fake-pywinrm' / 'winrm').mkdir(parents=True)
    (tmp_path / 'fake-pywinrm' / 'winrm' / '__init__.py').write_text('')
    ephemeral = tmp_path / 'molecule'
    windows = dict(WINDOWS_FAKE_HOST, TSCAL_WINRM_TRANSPORT='kerberos',
                   PYTHONPATH=str(tmp_path / 'fake-pywinrm'))
    with _destroyed_afterwards('windows', ephemeral, windows):
        run = _molecule(['create', '-s', 'windows'], ephemeral, windows, timeout=300)
        assert run.rc == 0, run.output[-4000:]
        inventory = ephemeral / 'windows' / 'inventory.yml'
        assert oct(inventory.stat().st_mode & 0o777) == '0o600'
        text = inventory.read_text()
    assert 'not-a-real-secret' not in text
    assert yaml.safe_load(text) == {'windows': {'hosts': {'nohost.invalid': {}}, 'vars': {
        'ansible_connection': 'winrm', 'ansible_winrm_scheme': 'https', 'ansible_port': 5986,
        'ansible_winrm_transport': 'kerberos', 'ansible_winrm_server_cert_validation': 'validate',
        'ansible_winrm_ca_trust_path': '/etc/ssl/corp-ca.pem',
        'ansible_user': "{{ lookup('ansible.builtin.env', 'TSCAL_WINRM_USER') }}",
        'ansible_password': "{{ lookup('ansible.builtin.env', 'TSCAL_WINRM_PASSWORD') }}"}}}
    assert not inventory.exists()  # destroyed afterwards


def test_windows_scenario_playbooks_on_a_lab_host(lab_factory, tmp_path):
    """The scenario's own converge / side_effect (round trip) / verify logic, on a Wine host put in the
    `windows` group: the real-host run is rare, its playbooks must not rot in between."""
    lab = lab_factory('molecule-windows', {'win1': HostSpec('win10-pro', {'64': 'permanent-license',
                                                                          '32': 'one-license'})})
    inventory = lab.fleet.write_inventory(tmp_path / 'inventory.yml', group='windows')
    env = lab_environment({'TSCAL_MOLECULE_WINDOWS': str(tmp_path / 'work'),
                           'TSCAL_BACKUP_DIR': str(tmp_path / 'backups'), 'TSCAL_WINDOWS_ROUND_TRIP': 'true'})
    (tmp_path / 'work').mkdir()

    def play(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), name],
                              cwd=SCENARIOS / 'windows', env=env, capture_output=True, text=True, timeout=600,
                              stdin=subprocess.DEVNULL, check=False)

    first, second = play('converge.yml'), play('converge.yml')
    assert first.returncode == 0 and second.returncode == 0, first.stdout[-4000:] + second.stdout[-4000:]
    assert re.search(r'win1\s*: ok=\d+\s+changed=0 ', second.stdout), second.stdout[-3000:]
    before = {view: lab.fleet.export_store('win1', view) for view in ('64', '32')}

    round_trip = play('side_effect.yml')
    assert round_trip.returncode == 0, round_trip.stdout[-4000:]
    assert len(list((tmp_path / 'backups' / 'win1').glob('*.reg'))) == 2  # both views backed up, then restored
    verified = play('verify.yml')
    assert verified.returncode == 0, verified.stdout[-4000:]
    assert {view: lab.fleet.export_store('win1', view) for view in ('64', '32')} == before

    # verify.yml fails when the store is not as converge found it
    lab.fleet.reg('win1', 'delete', 'HKLM\\SOFTWARE\\Microsoft\\MSLicensing', '/f', '/reg:32')
    changed = play('verify.yml')
    assert changed.returncode != 0 and 'the store changed' in changed.stdout, changed.stdout[-4000:]


@pytest.mark.skipif(not all(os.environ.get(name) for name in WINDOWS_ENV),
                    reason='set %s to run the windows scenario against a real host (see molecule/README.md)'
                           % ', '.join(WINDOWS_ENV))
def test_windows_scenario_on_the_real_host(tmp_path):
    windows = {name: os.environ[name] for name in WINDOWS_ENV + WINDOWS_OPTIONAL_ENV if name in os.environ}
    ephemeral = tmp_path / 'molecule'
    with _destroyed_afterwards('windows', ephemeral, windows):
        run = _molecule(['test', '-s', 'windows'], ephemeral, windows)
    assert run.rc == 0, run.output[-8000:]
    assert 'skipping: no hosts matched' not in run.section('windows', 'verify')
    for step in ('create', 'converge', 'idempotence', 'side_effect', 'verify'):
        assert run.step('windows', step) == 'Successful', step
