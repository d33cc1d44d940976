#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: linux_license_files
short_description: The host side of linux_client_license (scan, remove or write FreeRDP and rdesktop licence files)
version_added: 0.1.0
description:
  - The only code of the collection that runs on a Linux client. It reads, removes or writes the licence files
    of FreeRDP and rdesktop in the homes of the users named, and nothing else; every decision (what to back up,
    what a licence holds, whether it may be removed) is made on the controller by
    M(tslicensing.cal.linux_client_license), which calls this module. Use that one.
  - Standard library only; no licence is decoded on the host.
  - A path to remove or write must be directly inside a licence folder of one of O(users), carry a licence file
    name of that folder's client, and be reached without a symbolic link; anything else fails the host with
    nothing changed.
options:
  operation:
    description:
      - V(scan) lists every licence file with its bytes (base64), sha256, owner and mode.
      - V(remove) removes each file of O(files) that still has its C(sha256), after renaming it aside
        within its folder so that what is hashed is what is removed.
      - V(restore) writes each file of O(files) with its bytes, owner and mode, creating missing folders
        (0700, owned by the user); an existing identical file is left, a different one fails.
    type: str
    choices: [scan, remove, restore]
    default: scan
  users:
    description:
      - The users whose homes hold the licence files, by name, optionally with C(home) and C(xdg_config_home).
        Empty means every account with uid 0 or 1000 and up whose home exists.
    type: list
    elements: raw
    default: []
  files:
    description:
      - For V(remove) the C(path) and C(sha256) of each file; for V(restore) also C(content) (base64), C(mode)
        (octal text), C(uid) and C(gid).
    type: list
    elements: dict
    default: []
  hostnames:
    description: Candidate client hostnames; the host's own names are added, and each file's C(client_hostname) is
      the one its name hashes.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
author:
  - tslicensing.cal contributors (@tslicensing)
notes:
  - Reading other users' homes needs root (C(become)).
attributes:
  check_mode:
    support: partial
    details: V(scan) only; the action plugin never sends V(remove) or V(restore) in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Use tslicensing.cal.linux_client_license instead; this is its host side
  tslicensing.cal.linux_license_files:
    operation: scan
    users: [kiosk]
"""

RETURN = r"""
files:
  description: The licence files found (V(scan)), or the outcome per file (V(remove), V(restore)).
  returned: always
  type: list
  elements: dict
users:
  description: The users as resolved on the host (name, home, uid, gid, xdg_config_home).
  returned: always
  type: list
  elements: dict
host_names:
  description: The host's own names (short and fully qualified).
  returned: always
  type: list
  elements: str
"""

import secrets
import socket

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.tslicensing.cal.plugins.module_utils import _linux_license_files as files


def _host_names():
    names = [socket.gethostname()]
    try:
        names.append(socket.getfqdn())
    except OSError:
        pass
    return [name for index, name in enumerate(names) if name and name not in names[:index]]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            operation=dict(type='str', default='scan', choices=['scan', 'remove', 'restore']),
            users=dict(type='list', elements='raw', default=[]),
            files=dict(type='list', elements='dict', default=[]),
            hostnames=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    operation = module.params['operation']
    if module.check_mode and operation != 'scan':
        module.fail_json(msg='operation=%s changes the host and is never run in check mode' % operation)
    host_names = _host_names()
    try:
        users = files.resolve_users(module.params['users'])
        candidates = files.hostname_candidates(list(module.params['hostnames']) + host_names)
        nonce = secrets.token_hex(8)
        if operation == 'scan':
            found = files.scan(users)
            for entry in found:
                entry['client_hostname'] = files.client_hostname(entry['layout'], entry['file_name'], candidates)
            module.exit_json(changed=False, files=found, users=users, host_names=host_names)
        # Every path is checked by the guard before the first one is touched.
        for item in module.params['files']:
            files.license_file(item.get('path'), users)
        if operation == 'remove':
            done = [files.remove(item['path'], item['sha256'], users, nonce) for item in module.params['files']]
            module.exit_json(changed=any(item['removed'] for item in done), files=done, users=users,
                             host_names=host_names)
        done = [files.restore(item, users, nonce) for item in module.params['files']]
        module.exit_json(changed=any(item['changed'] for item in done), files=done, users=users,
                         host_names=host_names)
    except files.LicenseFileError as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg='%s: %s' % (getattr(exc, 'filename', None) or operation, exc.strerror or exc))


if __name__ == '__main__':
    main()
