# TEST-ONLY LAB CODE - never shipped with tslicensing.cal.
"""Run real ansible-playbook / ansible commands against a lab fleet, the way an admin would.

    fleet = Fleet(lab_dir); fleet.create(specs)
    lab = Lab(fleet, workdir)
    run = lab.playbook('playbooks/reset_license_store.yml', extra_vars={...}, check=True)
    run.rc, run.stdout, run.results('client01')   # per-task results from the JSON callback
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import subprocess
import typing as t

from fleet import REPO, Fleet  # tests/lab is on sys.path for the tests

LAB_DIR = pathlib.Path(__file__).resolve().parent
VENV_BIN = REPO / '.venv' / 'bin'


def lab_environment(extra: t.Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for Ansible runs on the lab: stand-ins first on the collections path."""
    env = dict(os.environ)
    env.update({
        'ANSIBLE_CONFIG': str(LAB_DIR / 'ansible.cfg'),
        'ANSIBLE_COLLECTIONS_PATH': '%s:%s' % (LAB_DIR / 'collections', REPO / '.venv' / 'collections'),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_DEPRECATION_WARNINGS': 'true',
        'PATH': '%s:%s' % (VENV_BIN, env.get('PATH', '')),
    })
    if extra:
        env.update(extra)
    return env


def playbook_argv(inventory: str | os.PathLike[str], playbook: str | os.PathLike[str],
                  extra_vars: t.Mapping[str, t.Any] | None = None, check: bool = False, diff: bool = False,
                  limit: str | None = None) -> list[str]:
    """The ansible-playbook command line every lab runs (extra vars as one JSON document)."""
    argv = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(playbook)]
    if extra_vars:
        argv += ['-e', json.dumps(dict(extra_vars))]
    if check:
        argv.append('--check')
    if diff:
        argv.append('--diff')
    if limit:
        argv += ['--limit', limit]
    return argv


@dataclasses.dataclass
class Run:
    argv: list[str]
    rc: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, t.Any]:
        """The ansible.posix-free JSON callback output (ansible.builtin has no json callback: see Lab)."""
        start = self.stdout.find('{')
        return json.loads(self.stdout[start:])

    def task_results(self, host: str) -> list[dict[str, t.Any]]:
        """Per task, this host's result dict, in play order."""
        results = []
        for play in self.json()['plays']:
            for task in play['tasks']:
                if host in task['hosts']:
                    result = dict(task['hosts'][host])
                    result['_task'] = task['task']['name']
                    results.append(result)
        return results

    def result(self, host: str, task_name: str) -> dict[str, t.Any]:
        for result in self.task_results(host):
            if result['_task'] == task_name:
                return result
        raise KeyError('no result of task %r for host %s' % (task_name, host))


class Lab:
    """One fleet plus its inventory file, and helpers to run Ansible against it."""

    def __init__(self, fleet: Fleet, workdir: pathlib.Path) -> None:
        self.fleet = fleet
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.inventory = fleet.write_inventory(self.workdir / 'inventory.yml')

    def _run(self, argv: list[str], json_output: bool, env: t.Mapping[str, str] | None = None) -> Run:
        extra = dict(env or {})
        if json_output:
            # the JSON callback lives in ansible.posix; ansible-core's tree/json-like built-in is
            # not available, so use the collection-free stdout callback shipped in tests/lab
            extra.setdefault('ANSIBLE_STDOUT_CALLBACK', 'lab.wine.json_results')
        proc = subprocess.run(argv, cwd=REPO, env=lab_environment(extra), capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=900, check=False)
        return Run(argv, proc.returncode, proc.stdout, proc.stderr)

    def playbook(self, playbook: str | os.PathLike[str], extra_vars: t.Mapping[str, t.Any] | None = None,
                 check: bool = False, diff: bool = False, limit: str | None = None,
                 json_output: bool = True, env: t.Mapping[str, str] | None = None) -> Run:
        return self._run(playbook_argv(self.inventory, playbook, extra_vars, check, diff, limit), json_output, env)

    def write_playbook(self, name: str, text: str) -> pathlib.Path:
        path = self.workdir / name
        path.write_text(text)
        return path
