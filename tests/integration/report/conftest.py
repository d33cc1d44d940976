"""Fixtures of the report's Ansible-level tests: real ansible-playbook runs on the controller.

Results come from the lab's JSON stdout callback (``lab.wine.json_results``, parsed by ``harness.Run``); no
Windows host and no Wine prefix is involved, so the lab collections only come after the real ones on the
collections path, to provide that callback.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import typing as t

import pytest

from harness import Run

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import TransferRequest, open_ledger

REPO = pathlib.Path(__file__).resolve().parents[3]
VENV_BIN = pathlib.Path(sys.executable).parent
# The stores of the unit tests (tests/unit/report/report_stores.py) are the inputs here too.
sys.path.insert(0, str(REPO / 'tests' / 'unit' / 'report'))


def _run_playbook(workdir: pathlib.Path, name: str, playbook: str, extra_vars: t.Mapping[str, t.Any],
                  *options: str, env: t.Mapping[str, str] | None = None) -> Run:
    """ansible-playbook ``name``.yml on localhost (local connection), ``extra_vars`` passed as a file."""
    playbook_path = workdir / ('%s.yml' % name)
    playbook_path.write_text(playbook)
    vars_path = workdir / 'extra-vars.json'
    vars_path.write_text(json.dumps(dict(extra_vars)))
    environment = {k: v for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'TSCAL_'))}
    environment.update({
        'ANSIBLE_COLLECTIONS_PATH': '%s:%s' % (REPO / '.venv' / 'collections', REPO / 'tests' / 'lab' / 'collections'),
        'ANSIBLE_STDOUT_CALLBACK': 'lab.wine.json_results',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_LOCAL_TEMP': str(workdir / '.ansible-tmp'),
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'False',
        'ANSIBLE_LOCALHOST_WARNING': 'False',
    })
    environment.update(env or {})
    argv = [str(VENV_BIN / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', str(playbook_path),
            '-e', '@%s' % vars_path, *options]
    proc = subprocess.run(argv, cwd=workdir, env=environment, capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL, timeout=300)
    return Run(argv, proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope='session')
def run_playbook() -> t.Callable[..., Run]:
    """``run_playbook(workdir, name, playbook_text, extra_vars, *options, env=None)`` -> harness.Run."""
    return _run_playbook


def _seed_transfers(ledger_url: str) -> None:
    """A CAL moving in to pc-permanent (server revoked) and one moving out of pc-temporary (reissue asked)."""
    with open_ledger(ledger_url) as ledger:
        ledger.record_transfer(TransferRequest(cal_id='CAL-A', source_host='pc-old', target_host='pc-permanent'))
        ledger.mark('server_revoked', cal_id='CAL-A')
        ledger.record_transfer(TransferRequest(cal_id='CAL-B', source_host='pc-temporary', target_host='pc-new'))
        ledger.mark('reissue_requested', cal_id='CAL-B', reissue_reference='CH-7')


@pytest.fixture(scope='session')
def seed_transfers() -> t.Callable[[str], None]:
    return _seed_transfers
