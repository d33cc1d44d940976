# TEST-ONLY LAB CODE - never shipped with tslicensing.cal, never on a real host.
#
# Shared by the lab connection plugin (lab.wine.prefix) and the Python stand-ins for ansible.windows
# modules in this folder: it maps Windows paths into a Wine prefix and runs Windows programs under Wine
# without falling into the traps measured in shared/docs/lab-notes.md:
# - wine hands its stderr to wineserver and helper processes that outlive it, so anyone reading a pipe
#   to EOF waits seconds: output goes to temporary files, never pipes;
# - a call with another TMPDIR starts a second wineserver on the same prefix and registry writes are
#   lost: TMPDIR comes from the host (LAB_TMPDIR) and is pinned for every call;
# - reg.exe prompts forever without /f or /y: every call has a safety timeout.

from __future__ import annotations

import ntpath
import os
import subprocess
import tempfile
import typing as t

PREFIX_ENV = 'WINEPREFIX'
TMPDIR_ENV = 'LAB_WINE_TMPDIR'
TIMEOUT_ENV = 'LAB_WINE_TIMEOUT'
# Fault injection (see the lab.wine.prefix connection's offline_after / run_after options).
OFFLINE_AFTER_ENV = 'LAB_WINE_OFFLINE_AFTER'
OFFLINE_MARKER = 'lab-offline'
RUN_AFTER_ENV = 'LAB_WINE_RUN_AFTER'
DEFAULT_TIMEOUT = 60.0
PATHEXT = ('.com', '.exe', '.bat', '.cmd')
SEARCH_DIRS = ('C:\\windows\\system32', 'C:\\windows')

# Exit codes of wine itself that mean "the program could not be started" (lab-notes: rc 1 for a bare
# name that is not found, 53 for a missing absolute path). Resolution happens before wine runs, so
# these only matter as a last resort.
RC_CANNOT_START = 2


class LabError(Exception):
    """A lab misconfiguration or a Windows path that cannot exist in a prefix."""


def wine_prefix(env: t.Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    prefix = env.get(PREFIX_ENV, '')
    if not prefix or not os.path.isdir(os.path.join(prefix, 'drive_c')):
        raise LabError('%s=%r is not a booted Wine prefix' % (PREFIX_ENV, prefix))
    return prefix


def _match_component(parent: str, name: str) -> str:
    """Windows paths are case-insensitive; find the existing entry, else keep the name as given."""
    if os.path.exists(os.path.join(parent, name)):
        return name
    try:
        entries = os.listdir(parent)
    except OSError:
        return name
    folded = name.casefold()
    for entry in entries:
        if entry.casefold() == folded:
            return entry
    return name


def to_unix_path(windows_path: str, prefix: str) -> str:
    """Map an absolute Windows path (``C:\\ProgramData\\x``) to its file inside the prefix."""
    path = windows_path.replace('/', '\\')
    drive, rest = ntpath.splitdrive(path)
    if len(drive) != 2 or drive[1] != ':' or not rest.startswith('\\'):
        raise LabError('not an absolute Windows path: %r' % windows_path)
    root = os.path.join(prefix, 'dosdevices', drive.lower())
    if not os.path.exists(root):
        raise LabError('drive %s does not exist in prefix %s' % (drive, prefix))
    root = os.path.realpath(root)
    current = root
    for part in rest.split('\\'):
        if part in ('', '.'):
            continue
        if part == '..':
            current = os.path.dirname(current) if current != root else root
            continue
        current = os.path.join(current, _match_component(current, part))
    return current


def staged_path(path: str, tmpdir: str | None) -> str | None:
    """``path`` itself when it lies in ansible-core's remote tmp dir, else None.

    The lab's remote shell is sh on the controller, so the remote tmp dir where ansible-core stages
    files (the copy action's ``.source`` file) is a controller path, not a ``C:\\`` path: it is used as is.
    """
    if not tmpdir or not path.startswith('/'):
        return None
    root = os.path.realpath(tmpdir)
    real = os.path.realpath(path)
    return path if real == root or real.startswith(root.rstrip('/') + '/') else None


def resolve_program(program: str, prefix: str) -> str | None:
    """Like Resolve-ExecutablePath: an absolute path must exist, a bare name is searched with PATHEXT."""
    names = [program] if ntpath.splitext(program)[1] else [program + ext for ext in PATHEXT]
    if ntpath.isabs(program):
        for name in names:
            if os.path.isfile(to_unix_path(name, prefix)):
                return name
        return None
    for folder in SEARCH_DIRS:
        for name in names:
            candidate = ntpath.join(folder, name)
            if os.path.isfile(to_unix_path(candidate, prefix)):
                return candidate
    return None


def wine_env(base: t.Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.setdefault('WINEDEBUG', '-all')
    tmpdir = env.get(TMPDIR_ENV)
    if tmpdir:
        env['TMPDIR'] = tmpdir
    return env


def run_wine(argv: t.Sequence[str], stdin: bytes | None = None, cwd: str | None = None,
             timeout: float | None = None) -> tuple[int, bytes, bytes]:
    """Run ``wine argv...`` with output in temporary files; returns (rc, stdout, stderr)."""
    env = wine_env()
    if timeout is None:
        timeout = float(env.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.run(['wine', *argv], input=stdin if stdin is not None else b'',
                                  stdout=out, stderr=err, env=env, cwd=cwd, timeout=timeout, check=False)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            rc = -1
            err.write(b'\nlab: killed after %.0f s (a reg.exe prompt without /f or /y never ends)' % timeout)
        out.seek(0)
        err.seek(0)
        return rc, out.read(), err.read()
