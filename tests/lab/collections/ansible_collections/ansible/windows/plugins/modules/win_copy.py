# TEST-ONLY LAB STAND-IN for the module side of ansible.windows.win_copy - never shipped.
# Upstream win_copy is an action plugin plus a module; the lab implements what reaches the module
# when the copy is host-local: dest (required), content or src with remote_src, force (default true).
# Returns dest, src, checksum (sha1), size, original_basename, changed; check mode supported.

from __future__ import annotations

import hashlib
import ntpath
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils import _lab_wine

DOCUMENTATION = r"""
module: win_copy
short_description: Lab stand-in for ansible.windows.win_copy (host-local copies in the Wine prefix)
options:
  dest: {type: path, required: true}
  src: {type: path}
  content: {type: str}
  remote_src: {type: bool, default: false}
  force: {type: bool, default: true}
"""


def _sha1(path: str) -> str:
    digest = hashlib.sha1()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b''):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type='path', required=True),
            src=dict(type='path'),
            content=dict(type='str'),
            remote_src=dict(type='bool', default=False),
            force=dict(type='bool', default=True),
            # sent by ansible.builtin.copy when ansible-core rewrites its copy module call to win_copy
            _original_basename=dict(type='str'),
            checksum=dict(type='str'),
            follow=dict(type='bool', default=False),
        ),
        mutually_exclusive=[('src', 'content')],
        required_one_of=[('src', 'content')],
        supports_check_mode=True,
    )
    prefix = _lab_wine.wine_prefix()
    params = module.params
    dest = _lab_wine.to_unix_path(params['dest'], prefix)
    basename = params['_original_basename'] or ntpath.basename(params['src'] or 'content')
    if os.path.isdir(dest):
        dest = os.path.join(dest, basename)
    with tempfile.NamedTemporaryFile(delete=False) as staging:
        if params['content'] is not None:
            staging.write(params['content'].encode('utf-8'))
        else:
            # a file ansible-core staged in the remote tmp dir, or a path on the host
            source = (_lab_wine.staged_path(params['src'], getattr(module, '_tmpdir', None))
                      or _lab_wine.to_unix_path(params['src'], prefix))
            if not os.path.isfile(source):
                os.unlink(staging.name)
                module.fail_json(msg='Cannot copy src file: %s as it does not exist' % params['src'])
            with open(source, 'rb') as handle:
                shutil.copyfileobj(handle, staging)
    checksum = _sha1(staging.name)
    changed = not os.path.exists(dest) or (params['force'] and _sha1(dest) != checksum)
    if changed and not module.check_mode:
        if not os.path.isdir(os.path.dirname(dest)):
            os.unlink(staging.name)
            module.fail_json(msg='Destination directory %s does not exist' % ntpath.dirname(params['dest']))
        shutil.move(staging.name, dest)
    else:
        os.unlink(staging.name)
    module.exit_json(changed=changed, dest=params['dest'], src=params['src'], checksum=checksum,
                     size=os.path.getsize(dest) if os.path.exists(dest) else None,
                     original_basename=params['_original_basename'] or ntpath.basename(params['src'] or params['dest']))


if __name__ == '__main__':
    main()
