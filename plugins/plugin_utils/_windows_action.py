# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Base class of the collection's action plugins that drive ansible.windows modules on a host.

Every Windows-side step of this collection is one upstream module execution (reg.exe through
``ansible.windows.win_command`` with ``argv``, ``ansible.windows.win_file``, or a small script through
``ansible.windows.win_powershell``). This class runs them, counts them (each one is a round trip to the
host, so the count is part of every result as ``module_executions``), and lets read-only steps run in
check mode.
"""

from __future__ import annotations

import contextlib
import dataclasses
import typing as t

from ansible.errors import AnsibleActionFail

from ansible_collections.tslicensing.cal.plugins.plugin_utils._action import CalActionBase

WIN_COMMAND = 'ansible.windows.win_command'
WIN_FILE = 'ansible.windows.win_file'
WIN_POWERSHELL = 'ansible.windows.win_powershell'


@dataclasses.dataclass(frozen=True)
class CommandResult:
    """What one ``win_command`` execution returned, reduced to what decisions may use."""

    argv: tuple[str, ...]
    rc: int
    stdout: str
    stderr: str
    started: bool
    """False when the program could not be started at all (win_command reports that as a failure with a
    ``Failed to run`` message and the Win32 error code as rc)."""

    @property
    def message(self) -> str:
        """What the program said, for an error message (reg.exe writes to stdout under Wine, stderr on Windows)."""
        return (self.stderr or self.stdout).strip()


class WindowsActionBase(CalActionBase):
    """Counted module executions (``module_executions`` in every result), read-only steps in check mode."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.module_executions = 0

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        result['module_executions'] = self.module_executions
        return result

    @contextlib.contextmanager
    def _check_mode_off(self) -> t.Iterator[None]:
        # A read-only step (reg query) must run in check mode too, exactly like a task with
        # check_mode: false; _execute_module takes the flag from the task, so lend it one.
        saved = self._task.check_mode
        self._task.check_mode = False
        try:
            yield
        finally:
            self._task.check_mode = saved

    def _run_module(self, name: str, args: dict[str, t.Any], task_vars: dict[str, t.Any],
                    read_only: bool = False) -> dict[str, t.Any]:
        """Execute one upstream module on the host and count it."""
        self.module_executions += 1
        if read_only:
            with self._check_mode_off():
                return self._execute_module(module_name=name, module_args=args, task_vars=task_vars)
        return self._execute_module(module_name=name, module_args=args, task_vars=task_vars)

    def _run_command(self, argv: t.Sequence[str], task_vars: dict[str, t.Any],
                     read_only: bool = False) -> CommandResult:
        """Run one program through ``ansible.windows.win_command`` with ``argv``.

        win_command fails on rc != 0; that is data here (reg.exe says "key not found" with rc 1), so the
        failure is turned back into a result. Only a result with no rc at all is an error.
        """
        res = self._run_module(WIN_COMMAND, {'argv': list(argv)}, task_vars, read_only=read_only)
        if res.get('skipped'):
            raise AnsibleActionFail('%s was skipped (%s); refusing to guess its result'
                                    % (argv[0], res.get('msg', 'no reason given')))
        if 'rc' not in res:
            raise AnsibleActionFail('could not run %s: %s' % (' '.join(argv), res.get('msg', res)))
        started = not str(res.get('msg', '')).startswith('Failed to run')
        return CommandResult(tuple(argv), int(res['rc']), res.get('stdout', '') or '',
                             res.get('stderr', '') or '', started)

    def _run_powershell(self, script: str, parameters: t.Mapping[str, t.Any] | None,
                        task_vars: dict[str, t.Any], read_only: bool = False,
                        error_action: str = 'stop', depth: int = 5) -> dict[str, t.Any]:
        """Run one script through ``ansible.windows.win_powershell``; returns the module result as is.

        ``error_action: stop`` by default so that a non-terminating error (every CIM cmdlet error is one)
        fails the script instead of leaving a half-filled ``result``; the caller reads ``failed`` and
        ``error``. ``depth`` 5 keeps lists of objects in ``$Ansible.Result`` whole (the module's default 2
        flattens deeper values to strings).

        In check mode win_powershell only runs a script that declares SupportsShouldProcess and otherwise
        answers ``changed: true, msg: 'skipped, running in check mode'`` without running it; that answer
        is never data, so it fails the action instead of being mistaken for a result.
        """
        args: dict[str, t.Any] = {'script': script, 'error_action': error_action, 'depth': depth}
        if parameters:
            args['parameters'] = dict(parameters)
        res = self._run_module(WIN_POWERSHELL, args, task_vars, read_only=read_only)
        if res.get('msg') == 'skipped, running in check mode' and not res.get('failed'):
            raise AnsibleActionFail('win_powershell skipped a script in check mode; refusing to guess its result')
        return res

    def _run_file(self, path: str, state: str, task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        """``ansible.windows.win_file``; fails the action with the module's message."""
        res = self._run_module(WIN_FILE, {'path': path, 'state': state}, task_vars)
        if res.get('failed'):
            raise AnsibleActionFail('win_file %s %s failed: %s' % (state, path, res.get('msg', res)))
        return res
