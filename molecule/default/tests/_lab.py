"""Helpers of the default scenario's testinfra tests.

molecule.yml passes the lab environment to the verifier: TSCAL_MOLECULE_LAB is this run's work folder,
MOLECULE_PROJECT_DIRECTORY the checkout, whose .venv/collections holds tslicensing.cal (its pure code is
imported from there).
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
import typing as t

import pytest
from testinfra.modules.ansible import AnsibleException

MSLICENSING = 'HKLM\\SOFTWARE\\Microsoft\\MSLicensing'
VIEWS = ('64', '32')


def _required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit('%s is not set: these tests run under `molecule verify -s default` (see molecule/README.md)'
                    % name, returncode=4)
    return value


WORK_DIR = pathlib.Path(_required_env('TSCAL_MOLECULE_LAB'))
_COLLECTIONS = pathlib.Path(_required_env('MOLECULE_PROJECT_DIRECTORY')) / '.venv' / 'collections'
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))


def run_module(host: t.Any, module: str, args: dict[str, t.Any]) -> dict[str, t.Any]:
    """One real module run on the host (never check mode); a failed result is returned, not raised."""
    try:
        return host.ansible(module, json.dumps(args), check=False)
    except AnsibleException as failed:
        return failed.result


def reg_query_rc(host: t.Any, view: str) -> int:
    """reg.exe's exit code for the MSLicensing key in one view: 0 present, 1 absent (in every locale)."""
    result = run_module(host, 'ansible.windows.win_command', {'argv': ['reg', 'query', MSLICENSING, '/reg:' + view]})
    assert result.get('rc') in (0, 1), result
    return result['rc']


def export_store(host: t.Any, view: str, dest: pathlib.Path) -> bytes:
    """The bytes of `reg export` of the store in one view, fetched to the controller."""
    remote = 'C:\\molecule-verify-%s.reg' % view
    exported = run_module(host, 'ansible.windows.win_command',
                          {'argv': ['reg', 'export', MSLICENSING, remote, '/y', '/reg:' + view]})
    assert exported.get('rc') == 0, exported
    fetched = run_module(host, 'ansible.builtin.fetch', {'src': remote, 'dest': str(dest), 'flat': True})
    assert not fetched.get('failed'), fetched
    run_module(host, 'ansible.windows.win_file', {'path': remote, 'state': 'absent'})
    return dest.read_bytes()


def seeded_store(host: str, view: str) -> bytes:
    """The store prepare.yml exported from the host before the transfer."""
    return (WORK_DIR / 'seeded' / ('%s-reg%s.reg' % (host, view))).read_bytes()
