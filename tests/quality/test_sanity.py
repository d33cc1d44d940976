"""ansible-test sanity on the collection, offline from the Ansible CI servers, on this interpreter.

ansible-test needs the collection under ansible_collections/tslicensing/cal: the files git knows about
(tracked, or new and not ignored) are copied there, so untracked junk (.venv, .lab, caches) is not tested.
Each sanity test runs in a virtualenv that ansible-test makes and fills from PyPI; it bootstraps pip with a
script from ci-files.testing.ansible.com, which is unreachable here, so a stand-in (ensurepip, then pip from
PyPI) is put where ansible-test looks first. Those virtualenvs are cached under .venv/ansible-test (its HOME):
the first run installs them (about 2 minutes), later runs take about 30 s.

Skipped, and why:
- shellcheck, when the shellcheck program is not installed (Debian package `shellcheck`);
- pslint would need PowerShell (pwsh), which Debian does not ship; the collection has no .ps1 files
  (the license-server scripts are Python strings, parsed by tests/unit/license_server), so it has nothing
  to check anyway.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from quality_tools import REPO, VENV_BIN, tool_env

ANSIBLE_TEST_HOME = REPO / '.venv' / 'ansible-test'
PYTHON = '%d.%d' % sys.version_info[:2]

_BOOTSTRAP = '''\
"""Stand-in for get-pip.py (tests/quality/test_sanity.py writes it): pip from the interpreter, then PyPI."""
import ensurepip
import os
import subprocess
import sys

with open(os.path.join(sys.prefix, 'pip.conf'), 'w') as config:
    config.write({config!r})
ensurepip.bootstrap(upgrade=True)
os.environ.pop('PIP_CONFIG_FILE', None)  # ensurepip sets it to os.devnull, which would hide pip.conf
ARGS = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + ARGS))
'''


def _pip_config() -> str:
    """pip settings for the sanity virtualenvs: ansible-test hands pip a bare environment, so the CA bundle
    and index of this one (PIP_CERT etc.) go into each virtualenv's pip.conf."""
    settings = {'cert': os.environ.get('PIP_CERT') or os.environ.get('SSL_CERT_FILE')
                or os.environ.get('REQUESTS_CA_BUNDLE'),
                'index-url': os.environ.get('PIP_INDEX_URL')}
    return '[global]\n' + ''.join('%s = %s\n' % item for item in settings.items() if item[1])


def _bootstrap_versions() -> set[str]:
    import ansible_test  # pylint: disable=import-outside-toplevel
    source = pathlib.Path(ansible_test.__file__).parent / '_internal' / 'python_requirements.py'
    return set(re.findall(r"\bpip='([0-9.]+)'", source.read_text(encoding='utf-8')))


def _prepare_home() -> None:
    cache = ANSIBLE_TEST_HOME / '.ansible' / 'test' / 'cache'
    cache.mkdir(parents=True, exist_ok=True)
    versions = _bootstrap_versions()
    assert versions, 'ansible-test no longer names its pip version: update this stand-in'
    for version in versions:
        (cache / ('get_pip_%s.py' % version.replace('.', '_'))).write_text(_BOOTSTRAP.format(config=_pip_config()))


def _collection_files() -> list[str]:
    listed = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split('\0')
    return sorted(name for name in listed if name and os.path.lexists(REPO / name))


@pytest.fixture(scope='module')
def collection_tree(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    root = tmp_path_factory.mktemp('sanity') / 'ansible_collections' / 'tslicensing' / 'cal'
    for name in _collection_files():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target, follow_symlinks=False)
    return root


def _skipped_tests() -> list[str]:
    skipped = ['pslint']
    if shutil.which('shellcheck') is None:
        skipped.append('shellcheck')
    return skipped


def test_ansible_test_sanity(collection_tree: pathlib.Path) -> None:
    _prepare_home()
    command = [str(VENV_BIN / 'ansible-test'), 'sanity', '--python', PYTHON, '--color', 'no']
    for name in _skipped_tests():
        command += ['--skip-test', name]
    env = tool_env(HOME=str(ANSIBLE_TEST_HOME))
    run = subprocess.run(command, cwd=collection_tree, env=env, capture_output=True, text=True, check=False,
                         timeout=1800)
    findings = [line for line in (run.stdout + run.stderr).splitlines() if line.startswith('ERROR: ')]
    assert run.returncode == 0, '\n'.join(findings) or run.stdout + run.stderr
    ran = re.findall(r'^Running sanity test "([\w-]+)"', run.stdout, re.M)
    assert {'validate-modules', 'pylint', 'pep8', 'yamllint', 'import', 'ansible-doc', 'changelog'} <= set(ran)
