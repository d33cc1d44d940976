# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# ======================================================================================================
# CONTRACT DOUBLE -- TEST ONLY. NOT the real ansible.windows.win_powershell.
#
# A Python stand-in that follows the documented contract of ansible.windows.win_powershell 3.x (options,
# $Ansible.Result/Changed/Failed, return keys, check-mode behaviour, error records) but, instead of running
# PowerShell, answers from a WMI scenario file: the path is taken from the environment variable
# TSCAL_WMI_SCENARIO (set it on the task/play with `environment:` or in the ansible-playbook environment).
#
# No RD Licensing WMI provider exists off Windows (nor in Wine), so this double is how the controller half of
# tslicensing.cal.license_server is exercised. It recognises the script it was sent by the marker comment
# `# tslicensing.cal:<name>` (plugins/plugin_utils/_license_server_scripts.py) and answers the way that
# script would against the scenario's instances. Revoke() changes the scenario file (under a lock), so a
# second run sees the CAL revoked.
#
# Scenario file (YAML or JSON), property names and shapes exactly as documented for the classes:
#   classes:
#     Win32_TSIssuedLicense: [ {LicenseId, KeyPackId, sIssuedToUser, sIssuedToComputer, LicenseStatus,
#                               IssueDate (CIM DATETIME), ExpirationDate, sHardwareId}, ... ]
#     Win32_TSLicenseKeyPack: [ {KeyPackId, Description, KeyPackType, ProductType, ProductVersion,
#                                ProductVersionID, TotalLicenses, IssuedLicenses, AvailableLicenses,
#                                ExpirationDate, TypeAndModel}, ... ]
#     Win32_TSLicenseServer: {ProductId, Version, VersionNumber, DatabasePath, ServerRole, ...}  # singleton
#   methods:
#     Win32_TSLicenseServer.GetActivationStatus: {ReturnValue, ActivationStatus}
#     Win32_TSIssuedLicense.Revoke: {RevokableCals: <allowance left>, NextRevokeAllowedOn: <DATETIME|null>,
#                                    LimitReturnValue: <code when the allowance is used up>,
#                                    NextRevokeAllowedOnAfterSuccess: <DATETIME|null, default null>}
#     NextRevokeAllowedOn is documented as valid only when Revoke() failed, yet the out parameter is there on
#     success too (jagilber's revoke script reads it after every call): a scenario may set what a successful
#     call leaves in it. A CIM DATETIME holds a date (yyyymmddHHMMSS.mmmmmm+UUU, a DateTime through the CIM
#     cmdlets) or an interval (ddddddddHHMMSS.mmmmmm:000, a TimeSpan, which win_powershell returns as the
#     struct's properties): both are rendered the way win_powershell returns them.
#   errors:        # a CIM error raised by any cmdlet call that touches the class
#     Win32_TSIssuedLicense: {hresult: '0x8004100E', message: 'Invalid namespace '}
#     Win32_TSIssuedLicense.Revoke: {hresult: '0x80041003', message: 'Access denied '}  # that method only
# ======================================================================================================

from __future__ import annotations

DOCUMENTATION = r'''
module: win_powershell
short_description: CONTRACT DOUBLE of ansible.windows.win_powershell answering from a WMI scenario file
description:
  - Test-only stand-in; see the comment block at the top of the file.
options:
  script: {type: str}
  path: {type: str}
  remote_src: {type: bool, default: false}
  parameters: {type: dict}
  sensitive_parameters: {type: list, elements: dict}
  error_action: {type: str, choices: [silently_continue, continue, stop], default: continue}
  depth: {type: int, default: 2}
  executable: {type: str}
  arguments: {type: list, elements: str}
  chdir: {type: str}
  creates: {type: str}
  removes: {type: str}
author: [tslicensing.cal lab]
'''

import contextlib
import datetime as dt
import fcntl
import os
import re
import tempfile
import typing as t

from ansible.module_utils.basic import AnsibleModule

try:
    import yaml
except ImportError:  # pragma: no cover - the lab venv has PyYAML
    yaml = None

NAMESPACE = 'root\\cimv2'
MARKER = re.compile(r'^\s*#\s*tslicensing\.cal:(\S+)', re.MULTILINE)
# win_powershell inspects the script's ParamBlock for [CmdletBinding(SupportsShouldProcess[=$true])].
SHOULD_PROCESS = re.compile(r'\[CmdletBinding\([^)]*SupportsShouldProcess(\s*=\s*\$true)?\s*[,)]', re.IGNORECASE)
# The scripts name the properties they keep in `$properties = @( 'A', 'B' ... )` for Select-Object -Property
# (`$packProperties`, `$issuedProperties` in the script that reads two classes).
SELECT_PROPERTIES = r'\$%s\s*=\s*@\(([^)]*)\)'
NAMESPACE_ARG = re.compile(r'-Namespace\s+(\S+)', re.IGNORECASE)
CIM_EXCEPTION_HRESULT = -2146233088  # .NET HResult of a CimException: generic, the WMI code is elsewhere


class ScriptFailed(Exception):
    """A terminating error inside the emulated script (error_action stop, or a parameter binding error)."""

    def __init__(self, record: dict[str, t.Any], result: dict[str, t.Any], changed: bool) -> None:
        super().__init__(record['exception']['message'])
        self.record = record
        self.result = result
        self.changed = changed


# --- Rendering like win_powershell's Convert-OutputObject ---------------------------------------------

_DMTF = re.compile(r'^(\d{14})\.(\d{6})([+-])(\d{3})$')


def cim_datetime_to_output(value: str) -> str:
    """A CIM DATETIME as the CIM cmdlets + win_powershell give it: a DateTime of kind Local, 'o' format."""
    match = _DMTF.match(value)
    if not match:
        return value
    stamp, micro, sign, minutes = match.groups()
    offset = dt.timedelta(minutes=int(minutes)) * (-1 if sign == '-' else 1)
    try:
        moment = dt.datetime.strptime(stamp, '%Y%m%d%H%M%S').replace(
            microsecond=int(micro), tzinfo=dt.timezone(offset))
    except ValueError:
        return value  # WMI's zero date and the like: no DateTime holds it, the text stays as it came
    total = int(offset.total_seconds() // 60)
    return '%s.%s0%s%02d:%02d' % (moment.strftime('%Y-%m-%dT%H:%M:%S'), '%06d' % moment.microsecond,
                                  '-' if total < 0 else '+', abs(total) // 60, abs(total) % 60)


_DMTF_INTERVAL = re.compile(r'^(\d{8})(\d{2})(\d{2})(\d{2})\.(\d{6}):000$')


def cim_interval_to_output(value: str) -> dict[str, t.Any] | None:
    """A CIM interval as the CIM cmdlets + win_powershell give it: a TimeSpan is a value type, so
    Convert-OutputObject passes it on as is and the module's JSON serializer writes its public properties
    (.NET Framework's TimeSpan: no Microseconds/Nanoseconds)."""
    match = _DMTF_INTERVAL.match(value)
    if not match:
        return None
    days, hours, minutes, seconds, micro = (int(part) for part in match.groups())
    span = dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds, microseconds=micro)
    ticks = (span.days * 86400 + span.seconds) * 10_000_000 + span.microseconds * 10
    return {'Ticks': ticks, 'Days': span.days, 'Hours': hours, 'Minutes': minutes, 'Seconds': seconds,
            'Milliseconds': micro // 1000, 'TotalDays': ticks / 864e9, 'TotalHours': ticks / 36e9,
            'TotalMinutes': ticks / 6e8, 'TotalSeconds': ticks / 1e7, 'TotalMilliseconds': ticks / 1e4}


def convert_output(value: t.Any, depth: int) -> t.Any:
    """Convert-OutputObject: value types and strings survive any depth; containers past it become text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        interval = cim_interval_to_output(value)
        return interval if interval is not None else cim_datetime_to_output(value)
    if depth < 0:
        return 'System.Collections.Hashtable' if isinstance(value, dict) else 'System.Object[]'
    if isinstance(value, dict):
        return {key: convert_output(item, depth - 1) for key, item in value.items()}
    return [convert_output(item, depth - 1) for item in value]


# --- Scenario state -----------------------------------------------------------------------------------

def load_scenario(path: str) -> dict[str, t.Any]:
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    if yaml is not None:
        return yaml.safe_load(text) or {}
    import json
    return json.loads(text)


def save_scenario(path: str, scenario: dict[str, t.Any]) -> None:
    # Write beside, then rename: a reader never sees half a file.
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix='.scenario-')
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        if yaml is not None:
            yaml.safe_dump(scenario, handle, sort_keys=False)
        else:
            import json
            json.dump(scenario, handle, indent=2)
    os.replace(temp, path)


@contextlib.contextmanager
def locked(path: str) -> t.Iterator[None]:
    # Several forks may answer for the same scenario; the lock serialises read-modify-write of Revoke().
    with open(path + '.lock', 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# --- Emulated CIM calls --------------------------------------------------------------------------------

def error_record(message: str, fqid: str, category: str, hresult: int = CIM_EXCEPTION_HRESULT,
                 exception_type: str = 'Microsoft.Management.Infrastructure.CimException') -> dict[str, t.Any]:
    return {
        'output': message,
        'error_details': None,
        'exception': {'message': message, 'type': exception_type, 'help_link': None,
                      'source': 'Microsoft.Management.Infrastructure', 'hresult': hresult,
                      'inner_exception': None},
        'target_object': None,
        'category_info': {'category': category, 'category_id': 0, 'activity': '', 'reason': '',
                          'target_name': '', 'target_type': ''},
        'fully_qualified_error_id': fqid,
        'script_stack_trace': 'at <ScriptBlock>, <No file>: line 1',
        'pipeline_iteration_info': [],
    }


class Emulator:
    def __init__(self, module: AnsibleModule, script: str, scenario: dict[str, t.Any]) -> None:
        self.module = module
        self.script = script
        self.scenario = scenario
        self.errors: list[dict[str, t.Any]] = []
        self.error_action = module.params['error_action']

    def cim_call(self, class_name: str, cmdlet: str, changed_so_far: bool, result_so_far: dict[str, t.Any]) -> bool:
        """Raise the scenario's CIM error for the class the way error_action handles it; True if one fired."""
        namespaces = {ns.lower() for ns in NAMESPACE_ARG.findall(self.script)}
        spec = (self.scenario.get('errors') or {}).get(class_name)
        if namespaces - {NAMESPACE}:
            # The classes are only registered in root\CIMV2: elsewhere the class is not found.
            spec = {'hresult': '0x80041010', 'message': 'Invalid class '}
        if not spec:
            return False
        code = int(str(spec['hresult']), 0) & 0xFFFFFFFF
        record = error_record(spec.get('message', 'WMI error'),
                              'HRESULT 0x%08x,Microsoft.Management.Infrastructure.CimCmdlets.%sCommand'
                              % (code, cmdlet.replace('-', '')),
                              spec.get('category', 'NotSpecified'))
        if self.error_action == 'stop':
            raise ScriptFailed(record, result_so_far, changed_so_far)
        if self.error_action == 'continue':
            self.errors.append(record)
        return True

    def selected(self, class_name: str, variable: str = 'properties') -> list[str]:
        # The real Select-Object keeps only the listed properties: answer with exactly those.
        found = re.search(SELECT_PROPERTIES % variable, self.script, re.IGNORECASE)
        if not found:
            self.module.fail_json(msg='contract double: no $%s = @(...) list in the %s script' % (variable, class_name))
        return re.findall(r"'(\w+)'", found.group(1))

    def instances(self, class_name: str) -> list[dict[str, t.Any]]:
        value = (self.scenario.get('classes') or {}).get(class_name) or []
        return value if isinstance(value, list) else [value]

    def project(self, instance: dict[str, t.Any], names: list[str]) -> dict[str, t.Any]:
        return {name: instance.get(name) for name in names}

    # Each handler returns ($Ansible.Result, $Ansible.Changed) as the script would leave them.

    def list_class(self, class_name: str) -> tuple[dict[str, t.Any], bool]:
        if self.cim_call(class_name, 'Get-CimInstance', False, {}):
            return {'Instances': []}, False
        names = self.selected(class_name)
        return {'Instances': [self.project(i, names) for i in self.instances(class_name)]}, False

    def list_cals(self) -> tuple[dict[str, t.Any], bool]:
        # In the script's order; with error_action stop the first CIM error ends it with $Ansible.Result unset.
        result: dict[str, t.Any] = {}
        for key, class_name, variable in (('KeyPacks', 'Win32_TSLicenseKeyPack', 'packProperties'),
                                          ('Issued', 'Win32_TSIssuedLicense', 'issuedProperties')):
            if self.cim_call(class_name, 'Get-CimInstance', False, {}):
                result[key] = []
                continue
            names = self.selected(class_name, variable)
            result[key] = [self.project(i, names) for i in self.instances(class_name)]
        return result, False

    def activation(self) -> tuple[dict[str, t.Any], bool]:
        if self.cim_call('Win32_TSLicenseServer', 'Invoke-CimMethod', False, {}):
            return {'ReturnValue': None, 'ActivationStatus': None, 'Server': None}, False
        status = (self.scenario.get('methods') or {}).get('Win32_TSLicenseServer.GetActivationStatus') or {}
        servers = self.instances('Win32_TSLicenseServer')
        server = self.project(servers[0], self.selected('Win32_TSLicenseServer')) if servers else None
        return {'ReturnValue': status.get('ReturnValue', 0), 'ActivationStatus': status.get('ActivationStatus'),
                'Server': server}, False

    def revoke(self, parameters: dict[str, t.Any], path: str) -> tuple[dict[str, t.Any], bool]:
        missing = [name for name in ('LicenseId', 'KeyPackId') if parameters.get(name) is None]
        if missing:
            record = error_record('Cannot process command because of one or more missing mandatory parameters: '
                                  + ' '.join(missing) + '.',
                                  'MissingMandatoryParameter', 'InvalidArgument', hresult=-2146233087,
                                  exception_type='System.Management.Automation.ParameterBindingException')
            raise ScriptFailed(record, {}, True)
        license_id, key_pack_id = int(parameters['LicenseId']), int(parameters['KeyPackId'])
        with locked(path):
            scenario = load_scenario(path)  # re-read under the lock: another fork may have revoked meanwhile
            self.scenario = scenario
            if self.cim_call('Win32_TSIssuedLicense', 'Get-CimInstance', True, {}):
                return {'Found': False}, True
            match = [cal for cal in self.instances('Win32_TSIssuedLicense')
                     if cal.get('LicenseId') == license_id and cal.get('KeyPackId') == key_pack_id]
            if not match:
                return {'Found': False}, True
            if self.cim_call('Win32_TSIssuedLicense.Revoke', 'Invoke-CimMethod', True, {'Found': True}):
                return {'Found': True}, True
            policy = scenario.setdefault('methods', {}).setdefault('Win32_TSIssuedLicense.Revoke', {})
            allowance = int(policy.get('RevokableCals', 0))
            if allowance <= 0:
                return {'Found': True, 'ReturnValue': int(str(policy.get('LimitReturnValue', '0x80041001')), 0),
                        'RevokableCals': 0, 'NextRevokeAllowedOn': policy.get('NextRevokeAllowedOn')}, True
            match[0]['LicenseStatus'] = 4
            policy['RevokableCals'] = allowance - 1
            save_scenario(path, scenario)
            return {'Found': True, 'ReturnValue': 0, 'RevokableCals': allowance - 1,
                    'NextRevokeAllowedOn': policy.get('NextRevokeAllowedOnAfterSuccess')}, True


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            script=dict(type='str'),
            path=dict(type='str'),
            remote_src=dict(type='bool', default=False),
            parameters=dict(type='dict'),
            sensitive_parameters=dict(type='list', elements='dict', no_log=True),
            error_action=dict(type='str', choices=['silently_continue', 'continue', 'stop'], default='continue'),
            depth=dict(type='int', default=2),
            executable=dict(type='str'),
            arguments=dict(type='list', elements='str'),
            chdir=dict(type='str'),
            creates=dict(type='str'),
            removes=dict(type='str'),
        ),
        mutually_exclusive=[('script', 'path')],
        required_one_of=[('script', 'path')],
        supports_check_mode=True,
    )
    result: dict[str, t.Any] = {
        'changed': False, 'result': {}, 'host_out': '', 'host_err': '', 'output': [], 'error': [],
        'warning': [], 'verbose': [], 'debug': [], 'information': [],
    }
    params = module.params
    if params['creates'] and os.path.exists(params['creates']):
        module.exit_json(msg='skipped, since %s exists' % params['creates'], **result)
    if params['removes'] and not os.path.exists(params['removes']):
        module.exit_json(msg='skipped, since %s does not exist' % params['removes'], **result)

    script = params['script']
    if script is None:
        with open(params['path'], encoding='utf-8-sig') as handle:  # the real action reads `path` on the controller
            script = handle.read()

    if module.check_mode and not SHOULD_PROCESS.search(script):
        result['changed'] = True
        module.exit_json(msg='skipped, running in check mode', **result)

    marker = MARKER.search(script)
    if not marker:
        module.fail_json(msg='contract double: the script carries no "# tslicensing.cal:<name>" marker; the '
                             'double only answers the collection\'s own scripts', **result)
    path = os.environ.get('TSCAL_WMI_SCENARIO')
    if not path or not os.path.isfile(path):
        module.fail_json(msg='contract double: TSCAL_WMI_SCENARIO must name a scenario file (got %r)' % path, **result)

    emulator = Emulator(module, script, load_scenario(path))
    name = marker.group(1)
    handlers: dict[str, t.Callable[[], tuple[dict[str, t.Any], bool]]] = {
        'list_cals': emulator.list_cals,
        'list_keypacks': lambda: emulator.list_class('Win32_TSLicenseKeyPack'),
        'activation': emulator.activation,
        'revoke_issued': lambda: emulator.revoke(params['parameters'] or {}, path),
    }
    if name not in handlers:
        module.fail_json(msg='contract double: no answer for script %r' % name, **result)

    failed = False
    try:
        ansible_result, changed = handlers[name]()
    except ScriptFailed as failure:
        # A terminating error: win_powershell sets failed and appends the ErrorRecord; $Ansible keeps
        # whatever the script had set before the failing line.
        ansible_result, changed, failed = failure.result, failure.changed, True
        emulator.errors.append(failure.record)

    result['result'] = convert_output(ansible_result, params['depth'])
    result['changed'] = changed
    result['error'] = emulator.errors
    # Like the real module, a failed script reports failed: true without any msg; the details are in error.
    module.exit_json(failed=failed, **result)


if __name__ == '__main__':
    main()
