# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The controller side of the Linux RDP clients' licence files: decoding, the result shape, the backups.

Where the files are and how they are read, removed and written is ``module_utils._linux_license_files``
(it runs on the thin client too); this module decodes what the host sent and keeps the backups:
``<backup root>/<host folder>/<stamp>-<client>-<user>-<file name>.cal`` with a manifest ``.cal.json`` beside
it (host, user, home, client, layout, path, client hostname, mode, owner, sha256), in the same backup root and
host folder as the Windows ``.reg`` backups (which a Windows restore picks by their ``.reg`` name only).

No Ansible imports; nothing here touches a host.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import typing as t

from ..module_utils import _linux_license_files as _files
from ..module_utils._linux_license_files import MAX_LICENSE_BYTES, hostname_candidates
from . import _client_license, _license_decoder, _private_files, _transfer

BACKUP_SUFFIX = '.cal'
MANIFEST_SUFFIX = '.json'
MAX_MANIFEST = 64 * 1024
MANIFEST_KIND = 'linux_client_license'
_MANIFEST_FIELDS = ('host', 'user', 'home', 'client', 'layout', 'path', 'mode', 'uid', 'gid', 'sha256')


class LinuxStoreError(Exception):
    """A backup that may not be trusted or written, or a host answer that cannot be used; nothing changes."""


# -- what the host sent -----------------------------------------------------------------------------------
def content_of(entry: t.Mapping[str, t.Any]) -> bytes:
    """The bytes of one scanned file, checked against the sha256 the host computed."""
    try:
        data = base64.b64decode(entry['content'], validate=True)
    except (KeyError, TypeError, binascii.Error):
        raise LinuxStoreError('the host sent no readable content for %s' % entry.get('path')) from None
    if len(data) > MAX_LICENSE_BYTES:
        raise LinuxStoreError('the host sent more than %d bytes for %s' % (MAX_LICENSE_BYTES, entry.get('path')))
    if hashlib.sha256(data).hexdigest() != entry.get('sha256'):
        raise LinuxStoreError('the content the host sent for %s does not match its sha256: the transfer is '
                              'corrupt' % entry.get('path'))
    return data


def store_view(entry: t.Mapping[str, t.Any], now: t.Any = None) -> dict[str, t.Any]:
    """One licence file in the shape of a ``client_license`` view (``present``, ``hardware_id``, ``licenses``
    with ``decoded``), so the outcome, report and ledger read Linux and Windows clients alike; plus where
    it is and whose it is."""
    view = {key: entry.get(key) for key in ('client', 'layout', 'user', 'home', 'path', 'client_hostname', 'mode',
                                            'uid', 'gid', 'owner', 'group', 'size', 'sha256')}
    view.update(present=True, hardware_id=None, licenses=[])
    if entry.get('error'):
        view['error'] = entry['error']
        view['decode_status'] = 'unreadable'
        return view
    data = content_of(entry)
    decoded = _license_decoder.decode_client_license(data, now)
    view['licenses'] = [{'name': entry.get('file_name') or os.path.basename(str(entry['path'])),
                         'decoded': decoded, 'client_license_sha256': entry['sha256']}]
    view['decode_status'] = decoded.get('status')
    for lic in decoded.get('licenses') or ():
        hwid = lic.get('hardware_id') or {}
        if hwid.get('hex'):
            view['hardware_id'] = hwid['hex']  # the client's hardware id, as the server recorded it
            break
    return view


def views(entries: t.Iterable[t.Mapping[str, t.Any]], now: t.Any = None) -> dict[str, dict[str, t.Any]]:
    """path -> ``store_view``: the path is what tells one user's FreeRDP store from another's."""
    return {str(entry['path']): store_view(entry, now) for entry in entries}


def discover_home(home: str, hostnames: t.Iterable[str] = (), *, xdg_config_home: str | None = None,
                  user: str | None = None, now: t.Any = None) -> list[dict[str, t.Any]]:
    """Every licence file the two clients keep under ``home`` (read here), decoded, sorted by path.

    Each entry: ``client`` (freerdp | rdesktop), ``layout`` (freerdp | rdesktop | rdesktop-legacy),
    ``home``, ``path``, ``client_hostname`` (None when no candidate hashes to the file name), ``mode``
    (octal text), ``uid``, ``gid``, ``size``, ``sha256`` and ``license`` (``decode_client_license``);
    or ``error`` instead of the last two when the file cannot be read safely.
    """
    candidates = hostname_candidates(hostnames)
    found = []
    for entry in _files.scan_home(home, xdg_config_home, user):
        entry['client_hostname'] = _files.client_hostname(entry['layout'], entry['file_name'], candidates)
        content = entry.pop('content', None)
        entry.pop('file_name', None)
        entry.pop('owner', None)
        entry.pop('group', None)
        if content is not None:
            entry['license'] = _license_decoder.decode_client_license(base64.b64decode(content), now)
        found.append(entry)
    return found


def discover(homes: t.Iterable[t.Mapping[str, t.Any]], hostnames: t.Iterable[str] = (), *,
             now: t.Any = None) -> list[dict[str, t.Any]]:
    """``discover_home`` over several users: each item of ``homes`` has ``home`` and optionally ``user``
    and ``xdg_config_home``."""
    found: list[dict[str, t.Any]] = []
    for item in homes:
        found.extend(discover_home(item['home'], hostnames, xdg_config_home=item.get('xdg_config_home'),
                                   user=item.get('user'), now=now))
    return found


def license_ids(view: t.Mapping[str, t.Any]) -> list[str]:
    """The ledger identities (``_transfer.cal_id``) of the licences of one file's view."""
    found: list[str] = []
    for entry in view.get('licenses') or ():
        for lic in (entry.get('decoded') or {}).get('licenses') or ():
            identity = _transfer.cal_id(lic.get('license_server'), lic.get('serial'))
            if identity not in found:
                found.append(identity)
    return found


# -- the backups ------------------------------------------------------------------------------------------
def backup_name(stamp: str, view: t.Mapping[str, t.Any]) -> str:
    """``<stamp>-<client>-<user>-<file name>.cal``, every part made safe as one file name."""
    layout = str(view['layout'])
    user = _private_files.safe_name(str(view.get('user') or 'unknown'), 'the user name')
    file_name = _private_files.safe_name(os.path.basename(str(view['path'])), 'the licence file name')
    name = '%s-%s-%s-%s' % (stamp, layout, user, file_name)
    return name if name.endswith(BACKUP_SUFFIX) else name + BACKUP_SUFFIX


def manifest_path(backup_file: str) -> str:
    return backup_file + MANIFEST_SUFFIX


def write_backup(local_dir: str, stamp: str, host: str, view: t.Mapping[str, t.Any], data: bytes) -> dict[str, t.Any]:
    """Keep one licence file on the controller (0600) with its manifest, then read both back and check them."""
    path = os.path.join(local_dir, backup_name(stamp, view))
    manifest = {'kind': MANIFEST_KIND, 'host': host, 'created': stamp, 'sha256': hashlib.sha256(data).hexdigest(),
                'size': len(data), 'decode_status': view.get('decode_status')}
    manifest.update({key: view.get(key) for key in ('user', 'home', 'client', 'layout', 'path', 'client_hostname',
                                                    'mode', 'uid', 'gid', 'owner', 'group')})
    try:
        _client_license.write_private(path, data)
        _client_license.write_private(manifest_path(path), (json.dumps(manifest, indent=2, sort_keys=True) + '\n')
                                      .encode(), 'backup manifest')
    except _client_license.BackupError as exc:
        raise LinuxStoreError(str(exc)) from None
    stored, read_manifest_back = read_backup(path)
    if stored != data or read_manifest_back['sha256'] != manifest['sha256']:
        raise LinuxStoreError('the backup %s does not read back as written' % path)
    return dict(manifest, path=path, manifest=manifest_path(path), source_path=view['path'], view=view['path'])


def read_manifest(backup_file: str) -> dict[str, t.Any]:
    path = manifest_path(backup_file)
    try:
        manifest = json.loads(_private_files.read_limited(path, MAX_MANIFEST, 'the backup manifest'))
    except _private_files.PrivateFileError as exc:
        raise LinuxStoreError('%s: a Linux licence backup needs its manifest (owner, mode, path)' % exc) from None
    except (OSError, ValueError):
        raise LinuxStoreError('the backup manifest %s is not valid JSON (cut short?)' % path) from None
    if not isinstance(manifest, dict) or manifest.get('kind') != MANIFEST_KIND:
        raise LinuxStoreError('the backup manifest %s is not one of a Linux licence file' % path)
    missing = [field for field in _MANIFEST_FIELDS if manifest.get(field) in (None, '')]
    if missing:
        raise LinuxStoreError('the backup manifest %s lacks %s' % (path, ', '.join(missing)))
    return manifest


def read_backup(backup_file: str) -> tuple[bytes, dict[str, t.Any]]:
    """A backup's bytes and manifest, the bytes checked against the manifest's sha256."""
    manifest = read_manifest(backup_file)
    try:
        data = _private_files.read_limited(backup_file, MAX_LICENSE_BYTES, 'the backup')
    except OSError as exc:
        raise LinuxStoreError(str(exc)) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != str(manifest['sha256']).lower():
        raise LinuxStoreError('the backup %s does not match its manifest (sha256 %s, the manifest says %s): it was '
                              'cut short or changed after it was written; refusing to restore it'
                              % (backup_file, digest, manifest['sha256']))
    return data, manifest


def latest_backups(host_dir: str) -> tuple[dict[str, str], list[str]]:
    """The newest ``.cal`` backup of each licence file path in a host's backup folder (by the manifests'
    ``created``), and a warning for each backup whose manifest cannot be read."""
    newest: dict[str, tuple[str, str]] = {}
    warnings: list[str] = []
    try:
        names = sorted(os.listdir(host_dir))
    except OSError as exc:
        raise LinuxStoreError('no backups in %s: %s' % (host_dir, _private_files.describe(exc))) from None
    for name in names:
        if not name.endswith(BACKUP_SUFFIX):
            continue
        backup_file = os.path.join(host_dir, name)
        try:
            manifest = read_manifest(backup_file)
        except LinuxStoreError as exc:
            warnings.append('skipped the backup %s: %s' % (backup_file, exc))
            continue
        created, path = str(manifest.get('created', '')), str(manifest['path'])
        if path not in newest or created > newest[path][0]:
            newest[path] = (created, backup_file)
    return {path: found[1] for path, found in sorted(newest.items())}, warnings


def check_backup_host(manifest: t.Mapping[str, t.Any], host: str, accepted_host: str | None, backup_file: str) -> str | None:
    """None for this host's own backup; the other host's name when ``accepted_host`` names it; else refused."""
    try:
        return _client_license.check_backup_host(dict(manifest), host, accepted_host, backup_file)
    except _client_license.BackupError as exc:
        raise LinuxStoreError(str(exc)) from None
