# TEST-ONLY LAB STAND-IN for ansible.windows.win_file - never shipped, never on a real host.
# Follows the upstream contract (plugins/modules/win_file.ps1): path (aliases dest, name) required;
# state absent|directory|file|touch, guessed from the path when omitted (a trailing separator means a
# directory); absent removes recursively, changed only if something existed; directory creates missing
# parents and fails with "path X is not a directory" on a file; file never creates ("path X will not be
# created"); check mode supported; the result is only `changed` (and `msg` on failure).

from __future__ import annotations

import ntpath
import os
import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils import _lab_wine

DOCUMENTATION = r"""
module: win_file
short_description: Lab stand-in for ansible.windows.win_file (acts inside the Wine prefix)
options:
  path: {type: path, required: true, aliases: [dest, name]}
  state: {type: str, choices: [absent, directory, file, touch]}
  modification_time: {type: str}
  modification_time_format: {type: str}
  access_time: {type: str}
  access_time_format: {type: str}
"""


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True, aliases=['dest', 'name']),
            state=dict(type='str', choices=['absent', 'directory', 'file', 'touch']),
            modification_time=dict(type='str'),
            modification_time_format=dict(type='str', default='yyyy-MM-dd HH:mm:ss'),
            access_time=dict(type='str'),
            access_time_format=dict(type='str', default='yyyy-MM-dd HH:mm:ss'),
            # upstream's legacy Parse-Args ignores unknown options; ansible.builtin.copy sends these when
            # ansible-core rewrites its internal file module call to win_file (dest already up to date)
            _original_basename=dict(type='str'),
            recurse=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    if module.params['modification_time'] or module.params['access_time']:
        module.fail_json(msg='the lab stand-in does not implement modification_time/access_time')
    path = module.params['path']
    state = module.params['state'] or ('file' if ntpath.basename(path) else 'directory')
    target = _lab_wine.to_unix_path(path, _lab_wine.wine_prefix())
    check = module.check_mode
    exists = os.path.lexists(target)
    changed = False

    if state == 'absent':
        if exists:
            if not check:
                if os.path.isdir(target) and not os.path.islink(target):
                    shutil.rmtree(target)
                else:
                    os.unlink(target)
            changed = True
    elif state == 'directory':
        if exists and not os.path.isdir(target):
            module.fail_json(msg='path %s is not a directory' % path, changed=False)
        if not exists:
            if not check:
                try:
                    os.makedirs(target)
                except OSError as exc:
                    module.fail_json(msg=str(exc), changed=False)
            changed = True
    elif state == 'file':
        if not exists:
            module.fail_json(msg='path %s will not be created' % path, changed=False)
        if os.path.isdir(target):
            module.fail_json(msg='path %s is not a file' % path, changed=False)
    elif state == 'touch':
        if not check:
            with open(target, 'ab'):
                os.utime(target)
        changed = True
    module.exit_json(changed=changed)


if __name__ == '__main__':
    main()
