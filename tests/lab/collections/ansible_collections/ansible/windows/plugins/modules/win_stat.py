# TEST-ONLY LAB STAND-IN for ansible.windows.win_stat - never shipped, never on a real host.
# Follows the upstream contract: path (aliases dest, name) required, get_checksum (default true),
# checksum_algorithm md5|sha1|sha256|sha384|sha512 (default sha1), follow; returns `stat` with
# exists, and for existing paths isdir, isreg, islnk, size, path, filename, extension and checksum;
# read-only, check mode supported, changed: false.

from __future__ import annotations

import hashlib
import ntpath
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils import _lab_wine

DOCUMENTATION = r"""
module: win_stat
short_description: Lab stand-in for ansible.windows.win_stat (reads inside the Wine prefix)
options:
  path: {type: path, required: true, aliases: [dest, name]}
  get_checksum: {type: bool, default: true}
  checksum_algorithm: {type: str, default: sha1, choices: [md5, sha1, sha256, sha384, sha512]}
  follow: {type: bool, default: false}
"""


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True, aliases=['dest', 'name']),
            get_checksum=dict(type='bool', default=True),
            checksum_algorithm=dict(type='str', default='sha1',
                                    choices=['md5', 'sha1', 'sha256', 'sha384', 'sha512']),
            follow=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    path = module.params['path']
    target = _lab_wine.to_unix_path(path, _lab_wine.wine_prefix())
    if not os.path.lexists(target):
        module.exit_json(changed=False, stat=dict(exists=False))
    info = os.stat(target) if module.params['follow'] else os.lstat(target)
    is_dir = os.path.isdir(target)
    stat = dict(exists=True, isdir=is_dir, isreg=not is_dir, islnk=os.path.islink(target), path=path,
                filename=ntpath.basename(path), size=0 if is_dir else info.st_size,
                lastwritetime=info.st_mtime, creationtime=info.st_ctime, lastaccesstime=info.st_atime)
    if not is_dir:
        stat['extension'] = ntpath.splitext(path)[1]
        if module.params['get_checksum']:
            digest = hashlib.new(module.params['checksum_algorithm'])
            with open(target, 'rb') as handle:
                for chunk in iter(lambda: handle.read(1 << 16), b''):
                    digest.update(chunk)
            stat['checksum'] = digest.hexdigest()
    module.exit_json(changed=False, stat=stat)


if __name__ == '__main__':
    main()
