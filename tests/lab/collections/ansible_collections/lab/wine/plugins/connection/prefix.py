# TEST-ONLY LAB CODE - never shipped with tslicensing.cal.
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: prefix
short_description: One Wine prefix as one Windows host (test lab only)
description:
  - Runs modules on the controller with C(WINEPREFIX) set to the host's prefix, so the Python stand-ins
    for C(ansible.windows) modules in the lab act on that prefix's real registry through Wine's reg.exe.
  - Like the winrm and psrp connections it prefers C(.ps1) modules, so ansible-core rewrites its own
    internal stat, file and copy calls to C(ansible.windows.win_*); the lab provides those as Python
    stand-ins, found after the C(.ps1) lookup fails.
  - Windows paths (C(C:\\ProgramData\\...)) given to put_file and fetch_file are mapped into the prefix.
options:
  wine_prefix:
    description: The host's Wine prefix (a directory holding C(drive_c) and the registry files).
    type: path
    required: true
    vars:
      - name: ansible_wine_prefix
  wine_tmpdir:
    description:
      - The TMPDIR every Wine call of this host uses. All calls on one prefix must share it, or a
        second wineserver starts and registry writes are lost.
    type: path
    required: true
    vars:
      - name: ansible_wine_tmpdir
  wine_timeout:
    description: Safety timeout in seconds for one Windows program.
    type: int
    default: 60
    vars:
      - name: ansible_wine_timeout
  fetch_fault:
    description:
      - Fault injection for tests of the transport - V(truncate) delivers the first half of every fetched
        file, V(corrupt) flips bytes in the middle of it. The same happens to the base64 between
        C(-----BEGIN CERTIFICATE-----) and C(-----END CERTIFICATE-----) in a command's output (a file's bytes
        coming back through C(certutil -encode) and C(type)) - the first half of its lines, or 16 characters in
        the middle changed to other base64 characters.
    type: str
    default: none
    choices: [none, truncate, corrupt]
    vars:
      - name: ansible_wine_fetch_fault
  latency:
    description:
      - Seconds added to every module execution and file transfer, standing for the network round trip of
        WinRM to a remote host (for benchmarks; the lab's own round trips cost only the local Wine call).
    type: float
    default: 0
    vars:
      - name: ansible_wine_latency
  command_faults:
    description:
      - "Fault injection for the win_command stand-in - patterns of commands that fail with rc 1 and
        C(ERROR: Access is denied.), as on Windows (see the stand-in's header)."
    type: list
    elements: str
    default: []
    vars:
      - name: ansible_wine_command_faults
  command_before:
    description: Commands the win_command stand-in runs first when a command matches a pattern (see its header).
    type: dict
    default: {}
    vars:
      - name: ansible_wine_command_before
  command_log:
    description: A file that records every argv the win_command stand-in runs (one JSON line each).
    type: str
    default: ''
    vars:
      - name: ansible_wine_command_log
  offline_after:
    description:
      - Fault injection - a regular expression; once a win_command whose command line matches it has run, the
        host is unreachable - that command's own result is lost (the connection fails as it returns, as when
        the host drops right after the program ran) and every later call raises AnsibleConnectionFailure -
        until the marker file C(<prefix>/lab-offline) is removed.
    type: str
    default: ''
    vars:
      - name: ansible_wine_offline_after
  run_after:
    description:
      - Fault injection - C([regex, argv]); once a win_command whose command line matches the regular expression
        has run, the stand-in runs argv on the controller (for example, stop the ledger's database right after
        the backup export).
    type: list
    elements: raw
    default: []
    vars:
      - name: ansible_wine_run_after
  kill_after:
    description:
      - Fault injection for kill tests - after the Nth module execution or file transfer of the run (counted in
        O(kill_count_file)), SIGKILL the parent ansible-playbook process, as an operator's kill -9 or a lost
        session would. The worker goes on (ansible-core workers call setsid, so they outlive their parent) unless
        O(kill_worker) is set. Every worker that passes records its pid in C(<kill_count_file>.pids), so the
        test can wait for them.
    type: int
    default: 0
    vars:
      - name: ansible_wine_kill_after
  kill_count_file:
    description: The counter of O(kill_after) (one per run).
    type: path
    default: ''
    vars:
      - name: ansible_wine_kill_count_file
  kill_worker:
    description: With O(kill_after), kill the worker at the same moment too.
    type: bool
    default: false
    vars:
      - name: ansible_wine_kill_worker
"""

import fcntl
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from ansible.errors import AnsibleConnectionFailure, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

from ansible_collections.ansible.windows.plugins.module_utils import _lab_wine

display = Display()

_BEGIN, _END = '-----BEGIN CERTIFICATE-----', '-----END CERTIFICATE-----'
_BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'


def _damage_base64(text: str, fault: str) -> str:
    """Each BEGIN/END block of ``text`` truncated (the first half of its lines) or corrupted (16 characters in
    the middle replaced by other base64 characters, so that it still decodes)."""
    lines, out, block = text.split('\n'), [], None
    for line in lines:
        if line.strip() == _BEGIN:
            block = []
            out.append(line)
        elif line.strip() == _END and block is not None:
            if fault == 'truncate':
                block = block[:len(block) // 2]
            else:
                middle = len(block) // 2
                row = block[middle] if block else ''
                start = max(0, len(row.rstrip('=\r')) // 2 - 8)
                changed = ''.join(_BASE64[(_BASE64.index(c) + 1) % 64] if c in _BASE64 else c
                                  for c in row[start:start + 16])
                if block:
                    block[middle] = row[:start] + changed + row[start + 16:]
            out.extend(block)
            out.append(line)
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    return '\n'.join(out + (block or []))


class Connection(ConnectionBase):
    """Local execution bound to one Wine prefix."""

    transport = 'lab.wine.prefix'
    has_pipelining = True
    always_pipeline_modules = True  # like winrm: modules never need a remote tmp dir
    module_implementation_preferences = ('.ps1', '.py', '')
    allow_executable = False

    def _connect(self) -> Connection:
        prefix = self.get_option('wine_prefix')
        if os.path.exists(os.path.join(prefix, _lab_wine.OFFLINE_MARKER)):
            raise AnsibleConnectionFailure('lab host %s is unreachable (fault injected by offline_after)'
                                           % self._play_context.remote_addr)
        if not self._connected:
            if not os.path.isdir(os.path.join(prefix, 'drive_c')):
                raise AnsibleConnectionFailure('lab host %s: %s is not a booted Wine prefix'
                                               % (self._play_context.remote_addr, prefix))
            self._connected = True
        return self

    def _kill_point(self) -> None:
        """The kill_after fault: count this step; at the Nth, SIGKILL ansible-playbook (and the worker)."""
        count_file = self.get_option('kill_count_file')
        limit = self.get_option('kill_after')
        if not count_file or not limit:
            return
        with open(count_file, 'a+') as counter:
            fcntl.flock(counter, fcntl.LOCK_EX)
            counter.seek(0)
            count = len(counter.read().splitlines()) + 1
            counter.write('%d\n' % os.getpid())
            counter.flush()
        if count == limit:
            os.kill(os.getppid(), signal.SIGKILL)
            if self.get_option('kill_worker'):
                os.kill(os.getpid(), signal.SIGKILL)

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env[_lab_wine.PREFIX_ENV] = self.get_option('wine_prefix')
        env[_lab_wine.TMPDIR_ENV] = self.get_option('wine_tmpdir')
        env[_lab_wine.TIMEOUT_ENV] = str(self.get_option('wine_timeout'))
        env['WINEDEBUG'] = '-all'
        env['LAB_WINE_COMMAND_FAULTS'] = json.dumps(list(self.get_option('command_faults') or []))
        env['LAB_WINE_COMMAND_LOG'] = self.get_option('command_log') or ''
        env['LAB_WINE_COMMAND_BEFORE'] = json.dumps(dict(self.get_option('command_before') or {}))
        env[_lab_wine.OFFLINE_AFTER_ENV] = self.get_option('offline_after') or ''
        env[_lab_wine.RUN_AFTER_ENV] = json.dumps(self.get_option('run_after') or [])
        return env

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = True) -> tuple[int, bytes, bytes]:
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        self._connect()
        display.vvv('LAB EXEC (%s) %s' % (self.get_option('wine_prefix'), cmd), host=self._play_context.remote_addr)
        # The module's own stdout/stderr are pipes; every Wine call inside it writes to temp files,
        # so no wineserver ever holds these pipes open.
        self._latency()
        proc = subprocess.run(['/bin/sh', '-c', cmd], input=in_data or b'', capture_output=True,
                              env=self._environment(), check=False)
        self._kill_point()
        if os.path.exists(os.path.join(self.get_option('wine_prefix'), _lab_wine.OFFLINE_MARKER)):
            # offline_after: the command ran, and its answer never comes back
            raise AnsibleConnectionFailure('lab host %s is unreachable (fault injected by offline_after)'
                                           % self._play_context.remote_addr)
        return proc.returncode, self._inject_output_fault(proc.stdout), proc.stderr

    def _latency(self) -> None:
        seconds = float(self.get_option('latency') or 0)
        if seconds > 0:
            time.sleep(seconds)

    def _inject_output_fault(self, stdout: bytes) -> bytes:
        """fetch_fault applied to the base64 blocks in a module result's stdout (see the option)."""
        fault = self.get_option('fetch_fault')
        if fault == 'none' or _BEGIN.encode() not in stdout:
            return stdout
        try:
            result = json.loads(stdout)
        except ValueError:
            return stdout
        if not isinstance(result, dict) or not isinstance(result.get('stdout'), str):
            return stdout
        result['stdout'] = _damage_base64(result['stdout'], fault)
        return json.dumps(result).encode()

    def _map(self, windows_path: str) -> str:
        staged = _lab_wine.staged_path(windows_path, getattr(self._shell, 'tmpdir', None))
        if staged is not None:
            return staged  # ansible-core's own staging in the remote tmp dir (on the controller here)
        try:
            return _lab_wine.to_unix_path(windows_path, self.get_option('wine_prefix'))
        except _lab_wine.LabError as exc:
            raise AnsibleConnectionFailure(str(exc)) from exc

    def put_file(self, in_path: str, out_path: str) -> None:
        super().put_file(in_path, out_path)
        self._connect()
        self._latency()
        display.vvv('LAB PUT %s TO %s' % (in_path, out_path), host=self._play_context.remote_addr)
        if not os.path.isfile(in_path):
            raise AnsibleFileNotFound('file or module does not exist: %s' % in_path)
        target = self._map(out_path)
        if not os.path.isdir(os.path.dirname(target)):
            # winrm's put_file fails the same way when the parent folder is missing
            raise AnsibleConnectionFailure('failed to transfer file to %s: parent folder does not exist' % out_path)
        fd, staging = tempfile.mkstemp(dir=os.path.dirname(target))
        os.close(fd)
        shutil.copyfile(in_path, staging)
        os.replace(staging, target)
        self._kill_point()

    def fetch_file(self, in_path: str, out_path: str) -> None:
        super().fetch_file(in_path, out_path)
        self._connect()
        self._latency()
        display.vvv('LAB FETCH %s TO %s' % (in_path, out_path), host=self._play_context.remote_addr)
        source = self._map(in_path)
        if os.path.isdir(source):
            return  # winrm writes nothing for a directory
        if not os.path.isfile(source):
            raise AnsibleFileNotFound('remote file does not exist: %s' % in_path)
        with open(source, 'rb') as src:
            data = src.read()
        with open(to_bytes(out_path), 'wb') as dst:
            dst.write(self._inject_fault(data))
        self._kill_point()

    def _inject_fault(self, data: bytes) -> bytes:
        fault = self.get_option('fetch_fault')
        if fault == 'truncate':
            return data[:len(data) // 2]
        if fault == 'corrupt':
            middle = len(data) // 2
            return data[:middle] + bytes(b ^ 0x5A for b in data[middle:middle + 16]) + data[middle + 16:]
        return data

    def close(self) -> None:
        self._connected = False

    def reset(self) -> None:
        self.close()
