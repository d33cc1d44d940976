"""Fixtures of the ledger's Ansible-level tests: real ansible-playbook / ansible-inventory runs."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import typing as t

import pytest


REPO = pathlib.Path(__file__).resolve().parents[3]
VENV_BIN = pathlib.Path(sys.executable).parent


def run_ansible(tool: str, args: list[str], cwd: pathlib.Path,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ansible-playbook / ansible-inventory from the venv against the checkout's collection."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'TSCAL_'))}
    environment.update({
        'ANSIBLE_COLLECTIONS_PATH': str(REPO / '.venv' / 'collections'),
        'ANSIBLE_HOST_KEY_CHECKING': 'False',
        'ANSIBLE_NOCOLOR': '1',
        # Modules that do run (the copy standing in for a backup) use this venv's Python, not discovery.
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_LOCAL_TEMP': str(cwd / '.ansible-tmp'),
        'ANSIBLE_STDOUT_CALLBACK': 'ansible.builtin.default',
    })
    environment.update(env or {})
    return subprocess.run([str(VENV_BIN / tool)] + args, cwd=cwd, env=environment, capture_output=True,
                          text=True, check=False, timeout=300)


@pytest.fixture
def ansible(tmp_path: pathlib.Path) -> t.Callable[..., subprocess.CompletedProcess[str]]:
    def run(tool: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run_ansible(tool, list(args), tmp_path, env)
    return run
