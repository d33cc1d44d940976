# TEST-ONLY LAB STAND-IN for ansible.windows.win_command - never shipped, never on a real host.
# Follows the upstream documented contract (ansible.windows 3.x plugins/modules/win_command.py):
# options _raw_params | cmd | argv (mutually exclusive, one required), chdir, creates, removes, stdin,
# output_encoding_override; no check mode support (skipped: true); rc != 0 fails with
# "non-zero return code" keeping rc/stdout/stderr; a program that cannot start fails with rc 2;
# returns cmd, rc, stdout, stderr, start, end (UTC, yyyy-MM-dd HH:mm:ss.ffffff), delta, changed: true.
# The program runs under Wine in the host's prefix (WINEPREFIX is set by the lab.wine.prefix connection).
#
# Output: upstream's Process.cs gives the process a console with code page 65001 and decodes stdout/stderr as
# UTF-8 unless output_encoding_override names another encoding. Wine's console programs write redirected
# output in the prefix's OEM code page (cp437) whatever the console code page, so the stand-in first turns
# Wine's bytes into the UTF-8 that Windows would have written, then decodes like upstream.
#
# Lab-only knobs (environment set by the lab.wine.prefix connection from host variables):
# - LAB_WINE_COMMAND_FAULTS (ansible_wine_command_faults): a JSON list of patterns; a reg.exe, icacls.exe or
#   certutil.exe command whose words include every word of a pattern (e.g. "reg delete /reg:32",
#   "reg query MSLicensing /reg:64", "reg query Microsoft") fails as real Windows does when access is denied:
#   rc 1 and "ERROR: Access is denied." on stderr, without running. Inside a cmd.exe chain, that one command
#   is replaced by a script that says and returns the same, so the other steps run for real.
# - LAB_WINE_COMMAND_BEFORE (ansible_wine_command_before): a JSON map of pattern -> argv; before a command
#   (or a chain holding a command) that matches the pattern runs, that argv runs under Wine once - e.g. a
#   reg add that stands for the RDP client writing into the store between the backup and the delete.
# - LAB_WINE_COMMAND_LOG (ansible_wine_command_log): a file that receives each argv as one JSON line, for
#   tests of the exact commands sent (Wine has no ACLs: what icacls is told is what a test can check).

from __future__ import annotations

import datetime
import glob
import json
import ntpath
import os
import re
import subprocess

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils import _lab_wine

DOCUMENTATION = r"""
module: win_command
short_description: Lab stand-in for ansible.windows.win_command (runs the program under Wine)
options:
  _raw_params: {type: str}
  cmd: {type: str}
  argv: {type: list, elements: str}
  chdir: {type: path}
  creates: {type: path}
  removes: {type: path}
  stdin: {type: str}
  output_encoding_override: {type: str}
"""

_NEEDS_QUOTES = re.compile(r'[\s"]')


def quote_argument(arg: str) -> str:
    """Win32 C argv quoting, as upstream's ConvertTo-EscapedArgument."""
    if arg and not _NEEDS_QUOTES.search(arg):
        return arg
    out, backslashes = ['"'], 0
    for char in arg:
        if char == '\\':
            backslashes += 1
            continue
        if char == '"':
            out.append('\\' * (backslashes * 2 + 1) + '"')
        else:
            out.append('\\' * backslashes + char)
        backslashes = 0
    out.append('\\' * (backslashes * 2) + '"')
    return ''.join(out)


def split_command_line(line: str) -> list[str]:
    """CommandLineToArgvW rules (enough for the documented cmd/_raw_params forms)."""
    args, current, in_quotes, backslashes, has_arg = [], [], False, 0, False
    for char in line:
        if char == '\\':
            backslashes += 1
            continue
        if char == '"':
            current.append('\\' * (backslashes // 2))
            if backslashes % 2:
                current.append('"')
            else:
                in_quotes = not in_quotes
            backslashes, has_arg = 0, True
            continue
        current.append('\\' * backslashes)
        backslashes = 0
        if char.isspace() and not in_quotes:
            if has_arg or current and ''.join(current):
                args.append(''.join(current))
            current, has_arg = [], False
        else:
            current.append(char)
            has_arg = True
    current.append('\\' * backslashes)
    if has_arg or ''.join(current):
        args.append(''.join(current))
    return args


def _exists(pattern: str, prefix: str) -> bool:
    return bool(glob.glob(_lab_wine.to_unix_path(pattern, prefix)))


WINE_CONSOLE_CODEPAGE = 'cp437'
FAULTS_ENV = 'LAB_WINE_COMMAND_FAULTS'
LOG_ENV = 'LAB_WINE_COMMAND_LOG'
FAULT_PROGRAMS = ('reg.exe', 'icacls.exe', 'certutil.exe')
ACCESS_DENIED = 'ERROR: Access is denied.'
DENIED_SCRIPT = 'C:\\windows\\lab-access-denied.cmd'
_CHAIN_END = ('2>&1', '&', '&&', '||', '|', ')', '))')


def _words(token: str) -> set[str]:
    name = ntpath.basename(token).lower()
    return {token.lower(), name, name[:-4] if name.endswith('.exe') else name}


def _matches(segment: list[str], pattern: str) -> bool:
    words = set().union(*(_words(token) for token in segment))
    return all(word.lower() in words for word in pattern.split())


def _faults() -> list[str]:
    return list(json.loads(os.environ.get(FAULTS_ENV) or '[]'))


def _inject_faults(argv: list[str], prefix: str) -> tuple[list[str], bool]:
    """(argv to run, whether the program itself is to fail with access denied)."""
    faults = _faults()
    if not faults:
        return argv, False
    if ntpath.basename(argv[0]).lower() in FAULT_PROGRAMS:
        return argv, any(_matches(argv, pattern) for pattern in faults)
    result, index = [], 0
    while index < len(argv):
        token = argv[index]
        if index and ntpath.basename(token).lower() in FAULT_PROGRAMS:
            end = index + 1
            while end < len(argv) and argv[end] not in _CHAIN_END:
                end += 1
            if any(_matches(argv[index:end], pattern) for pattern in faults):
                script = _lab_wine.to_unix_path(DENIED_SCRIPT, prefix)
                with open(script, 'w', newline='') as handle:
                    handle.write('@echo %s 1>&2\r\n@exit /b 1\r\n' % ACCESS_DENIED)
                result.append(DENIED_SCRIPT)
                index = end
                continue
        result.append(token)
        index += 1
    return result, False


def _run_before(argv: list[str]) -> None:
    hooks = json.loads(os.environ.get('LAB_WINE_COMMAND_BEFORE') or '{}')
    for pattern, extra in hooks.items():
        if _matches(argv, pattern):
            _lab_wine.run_wine(list(extra))


def _log(argv: list[str]) -> None:
    path = os.environ.get(LOG_ENV)
    if path:
        with open(path, 'a', encoding='utf-8') as handle:
            handle.write(json.dumps(argv) + '\n')


def _decode(data: bytes, encoding: str) -> str:
    as_windows = data.decode(WINE_CONSOLE_CODEPAGE).encode('utf-8')
    return as_windows.decode(encoding, errors='replace')


def _timestamp(moment: datetime.datetime) -> str:
    return moment.strftime('%Y-%m-%d %H:%M:%S.%f')


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            _raw_params=dict(type='str'),
            cmd=dict(type='str'),
            argv=dict(type='list', elements='str'),
            chdir=dict(type='path'),
            creates=dict(type='path'),
            removes=dict(type='path'),
            stdin=dict(type='str'),
            output_encoding_override=dict(type='str'),
        ),
        mutually_exclusive=[('_raw_params', 'cmd', 'argv')],
        required_one_of=[('_raw_params', 'cmd', 'argv')],
        supports_check_mode=False,
    )
    params = module.params
    prefix = _lab_wine.wine_prefix()
    if params['argv']:
        argv = list(params['argv'])
        cmd = ' '.join(quote_argument(a) for a in argv)
    else:
        cmd = (params['cmd'] or params['_raw_params']).strip()
        argv = split_command_line(cmd)

    if params['creates'] and _exists(params['creates'], prefix):
        module.exit_json(msg='skipped, since %s exists' % params['creates'], cmd=cmd, changed=False, skipped=True, rc=0)
    if params['removes'] and not _exists(params['removes'], prefix):
        module.exit_json(msg='skipped, since %s does not exist' % params['removes'], cmd=cmd, changed=False,
                         skipped=True, rc=0)

    program = _lab_wine.resolve_program(argv[0], prefix) if argv else None
    if program is None:
        module.fail_json(msg="Failed to run: '%s': The system cannot find the file specified." % cmd,
                         cmd=cmd, rc=_lab_wine.RC_CANNOT_START, changed=False)
    cwd = None
    if params['chdir']:
        cwd = _lab_wine.to_unix_path(params['chdir'], prefix)
        if not os.path.isdir(cwd):
            module.fail_json(msg="Failed to run: '%s': The directory name is invalid." % cmd, cmd=cmd,
                             rc=267, changed=False)

    encoding = params['output_encoding_override'] or 'utf-8'  # upstream's default (see the header)
    start = datetime.datetime.now(datetime.timezone.utc)
    stdin = params['stdin'].encode('utf-8') if params['stdin'] is not None else None
    _log(argv)
    _run_before(argv)
    run_argv, denied = _inject_faults([program] + argv[1:], prefix)
    if denied:
        rc, out, err = 1, b'', (ACCESS_DENIED + '\r\n').encode()
    else:
        rc, out, err = _lab_wine.run_wine(run_argv, stdin=stdin, cwd=cwd)
    if os.environ.get(_lab_wine.OFFLINE_AFTER_ENV) and re.search(os.environ[_lab_wine.OFFLINE_AFTER_ENV], cmd):
        # Lab fault injection (the connection's offline_after): the host drops off after this command ran.
        open(os.path.join(prefix, _lab_wine.OFFLINE_MARKER), 'w').close()
    run_after = json.loads(os.environ.get(_lab_wine.RUN_AFTER_ENV) or '[]')
    if run_after and re.search(run_after[0], cmd):
        # Lab fault injection (the connection's run_after): something happens on the controller right now.
        subprocess.run([str(a) for a in run_after[1]], capture_output=True, check=False, timeout=120)
    end = datetime.datetime.now(datetime.timezone.utc)
    delta = end - start
    result = dict(
        changed=True,
        cmd=cmd,
        rc=rc,
        stdout=_decode(out, encoding),
        stderr=_decode(err, encoding),
        start=_timestamp(start),
        end=_timestamp(end),
        delta='%d:%02d:%02d.%06d' % (delta.seconds // 3600, delta.seconds // 60 % 60, delta.seconds % 60,
                                     delta.microseconds),
    )
    if rc != 0:
        module.fail_json(msg='non-zero return code', **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
