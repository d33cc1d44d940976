# TEST-ONLY LAB STAND-IN for ansible.windows.win_command - never shipped, never on a real host.
# Follows the upstream documented contract (ansible.windows 3.x plugins/modules/win_command.py):
# options _raw_params | cmd | argv (mutually exclusive, one required), chdir, creates, removes, stdin,
# output_encoding_override; no check mode support (skipped: true); rc != 0 fails with
# "non-zero return code" keeping rc/stdout/stderr; a program that cannot start fails with rc 2;
# returns cmd, rc, stdout, stderr, start, end (UTC, yyyy-MM-dd HH:mm:ss.ffffff), delta, changed: true.
# The program runs under Wine in the host's prefix (WINEPREFIX is set by the lab.wine.prefix connection).

from __future__ import annotations

import datetime
import glob
import json
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

    # reg.exe writes redirected output in the console (OEM) code page, as Windows does; upstream decodes it so
    encoding = params['output_encoding_override'] or 'cp437'
    start = datetime.datetime.now(datetime.timezone.utc)
    stdin = params['stdin'].encode('utf-8') if params['stdin'] is not None else None
    if os.environ.get(_lab_wine.FAIL_COMMAND_ENV) and re.search(os.environ[_lab_wine.FAIL_COMMAND_ENV], cmd):
        # Lab fault injection (the connection's fail_command): what reg.exe answers without the right.
        rc, out, err = 1, b'', b'ERROR: Access is denied.\r\n'
    else:
        rc, out, err = _lab_wine.run_wine([program] + argv[1:], stdin=stdin, cwd=cwd)
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
        stdout=out.decode(encoding, errors='replace'),
        stderr=err.decode(encoding, errors='replace'),
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
