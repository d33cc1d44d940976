# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Several Windows programs in one program start: one ``cmd.exe /d /v:on /c`` chain, as win_command argv.

Each round trip to a Windows host costs more than the reg.exe it runs, so the collection sends one chain of
steps per round trip. This is the only place that builds such a chain and reads its output back:

- every step is printed between markers that carry a per-run random nonce (no registry data can fake them),
  its output (stdout and stderr) in between, and its exit code read with delayed expansion right after it;
- a step can need earlier steps to have returned 0; it is skipped otherwise (reported as not run);
- no ``for`` loops and no pipes: Wine's cmd runs them wrongly inside a chain (for variables leak into the
  following steps), so a chain is a plain sequence of programs, each optionally depending on earlier ones;
- every variable part is validated: no cmd metacharacter, quote, percent or exclamation mark can reach the
  command line, and paths are plain absolute Windows paths without spaces.

win_command joins argv with the Win32 C rules (an element with a space is wrapped in double quotes); cmd's
own operators are separate, unquoted elements, so they stay operators, and no element ever holds a double
quote, which the C rules would escape in a way cmd does not understand.
"""

from __future__ import annotations

import binascii
import dataclasses
import re
import secrets
import typing as t

CMD = ('cmd.exe', '/d', '/v:on', '/c')
# Programs a chain may start, by the name in the step's argv; they run from <system root>\System32 so that
# nothing in the current folder or PATH can stand in for them. Builtins of cmd run as they are.
PROGRAMS = ('reg.exe', 'icacls.exe', 'certutil.exe')
BUILTINS = ('mkdir', 'rd', 'type')
SYSTEM_ROOT_VARIABLE = '%SystemRoot%'

_NAME = re.compile(r'[a-z][a-z0-9_]{0,30}\Z')
_NONCE = re.compile(r'[0-9a-f]{16}\Z')
# What may appear in an argument: no cmd metacharacter (& | < > ( ) ^), no quote, no % or ! (expansion),
# no control character. Spaces are allowed (win_command quotes the element), except in paths.
_UNSAFE = re.compile(r'[&|<>()^"%!\x00-\x1f\x7f]')
_PATH = re.compile(r'[A-Za-z]:\\(?:[A-Za-z0-9_.~$#@+\-]+\\)*[A-Za-z0-9_.~$#@+\-]+\Z')
# The one access rule of a staging folder: no inherited entries, full control for SYSTEM (S-1-5-18) and
# BUILTIN\Administrators (S-1-5-32-544) only, for the folder and everything in it. SIDs, not names: names
# are localized.
PROTECT_ARGS = ('/inheritance:r', '/grant:r', '*S-1-5-18:(OI)(CI)F', '*S-1-5-32-544:(OI)(CI)F')


class ChainError(ValueError):
    """A chain that must not be sent (a bad part), or output that does not read back as the chain sent."""


def new_nonce() -> str:
    return secrets.token_hex(8)


def validate_path(path: t.Any, what: str = 'path') -> str:
    """A plain absolute Windows path (drive, folders, name) with no space, quote or cmd metacharacter."""
    if not isinstance(path, str) or not _PATH.match(path) or '\\.\\' in path + '\\' or '\\..\\' in path + '\\':
        raise ChainError('%s %r is not a plain absolute Windows path (letters, digits and _ . ~ $ # @ + - only, '
                         'no spaces, no . or .. folders)' % (what, path))
    return path


def validate_argument(arg: t.Any) -> str:
    if arg in PROTECT_ARGS:
        return arg  # fixed here, never from a caller's data
    if not isinstance(arg, str) or not arg or _UNSAFE.search(arg) or arg != arg.strip() or arg.endswith('\\'):
        raise ChainError('%r cannot be passed safely through cmd.exe' % (arg,))
    return arg


@dataclasses.dataclass(frozen=True)
class Step:
    """One program of a chain. ``argv[0]`` is a name in PROGRAMS or BUILTINS."""

    name: str
    argv: tuple[str, ...]
    needs: tuple[str, ...] = ()


def staging_steps(folder: str, make: str = 'mkdir', protect: str = 'protect') -> list[Step]:
    """Create ``folder`` (mkdir fails when it exists: a folder this run did not create is never used) and
    restrict it to SYSTEM and Administrators before anything is written into it."""
    validate_path(folder, 'staging folder')
    return [Step(make, ('mkdir', folder)), Step(protect, ('icacls.exe', folder) + PROTECT_ARGS, needs=(make,))]


@dataclasses.dataclass(frozen=True)
class StepResult:
    rc: int | None
    """The exit code, or None when the step did not run (a step it needs failed)."""
    output: str

    @property
    def ran(self) -> bool:
        return self.rc is not None

    @property
    def ok(self) -> bool:
        return self.rc == 0


def _escape(arg: str) -> str:
    # Only fixed parts may hold parentheses (the icacls grants); inside a (...) block cmd needs them escaped.
    return arg.replace('(', '^(').replace(')', '^)')


def _program(name: str, system_root: str) -> str:
    if name in BUILTINS:
        return name
    if name not in PROGRAMS:
        raise ChainError('%r is not a program a chain may run (%s)' % (name, ', '.join(PROGRAMS + BUILTINS)))
    return '%s\\System32\\%s' % (system_root, name)


def _validate_system_root(system_root: str | None) -> str:
    if system_root is None:
        return SYSTEM_ROOT_VARIABLE
    return validate_path(system_root, 'system root')


_CERTUTIL_HASH = re.compile(r'(?:[0-9a-fA-F]{2} ?){32}')


def certutil_sha256(output: str) -> str | None:
    """The SHA-256 that ``certutil -hashfile FILE SHA256`` printed (Windows 7/8 put spaces between the bytes)."""
    for line in output.splitlines():
        text = line.strip()
        if _CERTUTIL_HASH.fullmatch(text):
            return text.replace(' ', '').lower()
    return None


_PEM_BEGIN = '-----BEGIN CERTIFICATE-----'
_PEM_END = '-----END CERTIFICATE-----'
_BASE64_LINE = re.compile(r'[A-Za-z0-9+/]{1,64}={0,2}')


def encode_steps(name: str, source: str, encoded: str, needs: t.Sequence[str] = ()) -> list[Step]:
    """The bytes of ``source`` in the chain's own output: ``certutil -encode`` writes their base64 to
    ``encoded`` (which must not exist yet), ``type`` prints it; read it back with ``certutil_decoded``."""
    validate_path(source, 'file to encode')
    validate_path(encoded, 'encoded file')
    return [Step('%s_encode' % name, ('certutil.exe', '-encode', source, encoded), needs=tuple(needs)),
            Step('%s_show' % name, ('type', encoded), needs=('%s_encode' % name,))]


def certutil_decoded(output: str) -> bytes | None:
    """The bytes whose ``certutil -encode`` file ``type`` printed: between the BEGIN and END CERTIFICATE
    lines, base64 in lines of at most 64 characters; None when the output is not exactly that."""
    lines = [line.strip() for line in output.replace('\r\n', '\n').split('\n')]
    try:
        begin, end = lines.index(_PEM_BEGIN), lines.index(_PEM_END)
    except ValueError:
        return None
    body = lines[begin + 1:end]
    if begin > end or any(line and not _BASE64_LINE.fullmatch(line) for line in body):
        return None
    try:
        return binascii.a2b_base64(''.join(body).encode('ascii'), strict_mode=True)
    except binascii.Error:
        return None


def _body(step: Step, nonce: str, system_root: str) -> list[str]:
    marker = '::tscal-%s:%s' % (nonce, step.name)
    tokens = ['echo', marker + ':begin', '&']
    if not step.argv:
        raise ChainError('step %s has no program' % step.name)
    tokens += [_program(step.argv[0], system_root)] + [_escape(validate_argument(a)) for a in step.argv[1:]]
    tokens += ['2>&1', '&', '(set', 'tscal_%s=!errorlevel!)' % step.name]
    tokens += ['&', 'echo', '%s:rc:!tscal_%s!' % (marker, step.name)]
    if step.needs:
        condition = 'x%s==x%s' % (''.join('!tscal_%s!' % need for need in step.needs), '0' * len(step.needs))
        # The body in its own block: Wine's cmd applies an unblocked if to its first command only.
        tokens = ['(if', condition, '('] + tokens + ['))']
    return tokens


def build(steps: t.Sequence[Step], nonce: str, system_root: str | None = None) -> list[str]:
    """The win_command argv of one chain running ``steps`` in order; the output ends with an end marker."""
    if not _NONCE.match(nonce):
        raise ChainError('%r is not a chain nonce' % nonce)
    root = _validate_system_root(system_root)
    argv, seen = list(CMD), []
    for step in steps:
        if not _NAME.match(step.name) or step.name in seen:
            raise ChainError('step name %r is not a unique lowercase identifier' % step.name)
        missing = [need for need in step.needs if need not in seen]
        if missing:
            raise ChainError('step %s needs %s, which do not run before it' % (step.name, ', '.join(missing)))
        argv += _body(step, nonce, root) + ['&']
        seen.append(step.name)
    return argv + ['echo', '::tscal-%s:end' % nonce]


_MARK = re.compile(r'::tscal-([0-9a-f]{16}):(?:([a-z][a-z0-9_]*):(begin|rc:(-?\d*))|(end))\s*\Z')


def parse(stdout: str, steps: t.Sequence[Step], nonce: str) -> dict[str, StepResult]:
    """Each step's exit code and output. Raises ChainError when the chain did not run to its end."""
    results: dict[str, StepResult] = {}
    current: str | None = None
    lines: list[str] = []
    ended = False
    for line in stdout.replace('\r\n', '\n').split('\n'):
        match = _MARK.match(line.strip())
        if not match or match.group(1) != nonce:
            if current is not None:
                lines.append(line)
            continue
        if match.group(5):
            ended = True
            break
        name, kind = match.group(2), match.group(3)
        if kind == 'begin':
            current, lines = name, []
        elif name == current:
            rc = match.group(4)
            results[name] = StepResult(int(rc) if rc not in ('', '-') else None, '\n'.join(lines).strip('\n'))
            current = None
    if not ended:
        raise ChainError('the command chain stopped before its end (%s)'
                         % ('in step %s' % current if current else 'no step marker read'))
    for step in steps:
        results.setdefault(step.name, StepResult(None, ''))
    return results
