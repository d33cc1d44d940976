# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Controller-side rules of the client license store, with no Ansible imports.

The registry views, the key, the reg.exe command lines, the backup file layout and the checks a backup must
pass before anything may be deleted: one place for each.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import ntpath
import os
import typing as t

from . import _license_decoder, _regfile

# Both views name the same logical key; /reg:32 reaches HKLM\SOFTWARE\Wow6432Node\... on 64-bit Windows,
# and an export made with /reg:32 names the logical path in its headers.
STORE_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing'
VIEWS = ('64', '32')
DEFAULT_REMOTE_BACKUP_DIR = 'C:\\ProgramData\\tslicensing.cal\\backups'
BACKUP_DIR_ENV = 'TSCAL_BACKUP_DIR'
DEFAULT_BACKUP_DIR = '~/.local/share/tslicensing.cal/backups'
MANIFEST_SUFFIX = '.json'

# reg.exe exit codes are the same in every locale (its messages are not): decide on rc only.
RC_OK = 0
RC_NOT_FOUND = 1


class BackupError(Exception):
    """A backup that may not be trusted (or written); the store must stay untouched."""


def view_label(view: str) -> str:
    return '%s (view %s)' % (STORE_KEY, view)


def view_flag(view: str) -> str:
    return '/reg:' + view


def reg_query(view: str) -> list[str]:
    return ['reg.exe', 'query', STORE_KEY, '/s', view_flag(view)]


def reg_export(view: str, remote_file: str) -> list[str]:
    return ['reg.exe', 'export', STORE_KEY, remote_file, '/y', view_flag(view)]


def reg_import(view: str, remote_file: str) -> list[str]:
    return ['reg.exe', 'import', remote_file, view_flag(view)]


def reg_delete(view: str) -> list[str]:
    # The hard guard: whatever a caller builds, nothing outside the MSLicensing trees is ever deleted.
    key = _regfile.require_mslicensing_key(STORE_KEY)
    return ['reg.exe', 'delete', key, '/f', view_flag(view)]


def normalize_views(views: t.Iterable[t.Any]) -> list[str]:
    result: list[str] = []
    for view in views:
        text = str(view).strip().lower().removeprefix('/reg:')
        if text not in VIEWS:
            raise ValueError('registry_views: %r is not a registry view (use 64 and/or 32)' % (view,))
        if text not in result:
            result.append(text)
    if not result:
        raise ValueError('registry_views: name at least one registry view (64, 32)')
    return result


def timestamp(now: datetime.datetime | None = None) -> str:
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.strftime('%Y%m%dT%H%M%S') + '.%06dZ' % now.microsecond


def backup_name(stamp: str, view: str) -> str:
    return '%s-reg%s.reg' % (stamp, view)


def remote_path(remote_dir: str, name: str) -> str:
    return ntpath.join(remote_dir, name)


def store_from_query(stdout: str, view: str) -> _regfile.RegDocument:
    return _regfile.parse_reg_query(stdout, STORE_KEY, source='reg query /reg:%s' % view)


def render(doc: _regfile.RegDocument | None) -> str:
    """The tree as .reg text, for diffs."""
    if doc is None:
        return ''
    return _regfile.write_reg(doc, encoding='utf-8').decode('utf-8').replace('\r\n', '\n')


def same_tree(left: _regfile.RegDocument, right: _regfile.RegDocument) -> bool:
    return _regfile.relative_tree(left, STORE_KEY) == _regfile.relative_tree(right, STORE_KEY)


def summary(doc: _regfile.RegDocument | None) -> dict[str, t.Any]:
    """What a result reports of one view: the store's shape plus every license decoded on the controller."""
    if doc is None:
        return {'present': False, 'hardware_id': None, 'licenses': []}
    report = dict(present=True, **_regfile.mslicensing_summary(doc, STORE_KEY))
    decoded = _license_decoder.decode_store(doc)
    by_name = {entry['name'].casefold(): entry['decoded'] for entry in decoded['licenses']}
    for entry in report['licenses']:
        entry['decoded'] = by_name.get(entry['name'].casefold())
    report['hardware_id_decoded'] = decoded['hardware_ids'][0]['decoded'] if decoded['hardware_ids'] else None
    report['decode_status'] = decoded['status']
    report['decode_warnings'] = decoded['warnings']
    return report


def verify_export(data: bytes, source: str) -> _regfile.RegDocument:
    """Parse a backup and check that it holds exactly the MSLicensing tree and nothing to delete."""
    if not data:
        raise BackupError('%s is empty' % source)
    try:
        doc = _regfile.parse_reg(data, source)
    except _regfile.RegFileError as exc:
        raise BackupError('%s is not a valid .reg export: %s' % (source, exc)) from exc
    if not doc.keys or _regfile.normalize_key(doc.keys[0].path).casefold() != STORE_KEY.casefold():
        raise BackupError('%s does not start with the key %s: not an MSLicensing export' % (source, STORE_KEY))
    outside = _regfile.only_under(doc, STORE_KEY)
    if outside:
        raise BackupError('%s holds keys outside %s (%s): not an MSLicensing export'
                          % (source, STORE_KEY, ', '.join(outside[:3])))
    deletions = [key.path for key in doc.keys if key.delete or any(v.type is None for v in key.values)]
    if deletions:
        raise BackupError('%s contains deletions (%s): an export never does, refusing it'
                          % (source, ', '.join(deletions[:3])))
    return doc


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def controller_backup_dir(backup_dir: str | None, host: str) -> str:
    base = backup_dir or os.environ.get(BACKUP_DIR_ENV) or DEFAULT_BACKUP_DIR
    return os.path.join(os.path.abspath(os.path.expanduser(base)), host)


def prepare_backup_dir(path: str) -> None:
    """Create the per-host backup folder (0700) and prove it is writable, before touching the host."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        probe = os.path.join(path, '.write-test')
        with open(probe, 'wb'):
            pass
        os.unlink(probe)
    except OSError as exc:
        raise BackupError('backup_dir %s is not writable: %s' % (path, exc.strerror or exc)) from exc


def write_private(path: str, data: bytes) -> None:
    """Write a file readable by its owner only (backups hold license certificates)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'wb') as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def manifest_path(backup_file: str) -> str:
    return backup_file + MANIFEST_SUFFIX


def write_manifest(backup_file: str, manifest: dict[str, t.Any]) -> None:
    write_private(manifest_path(backup_file), (json.dumps(manifest, indent=2, sort_keys=True) + '\n').encode())


def read_manifest(backup_file: str) -> dict[str, t.Any] | None:
    path = manifest_path(backup_file)
    if not os.path.exists(path):
        return None
    try:
        with open(path, 'rb') as handle:
            manifest = json.loads(handle.read())
    except (OSError, ValueError) as exc:
        raise BackupError('backup manifest %s is unreadable: %s' % (path, exc)) from exc
    if not isinstance(manifest, dict) or str(manifest.get('view')) not in VIEWS:
        raise BackupError('backup manifest %s names no registry view (64 or 32)' % path)
    return manifest


def latest_backups(host_dir: str, views: t.Iterable[str]) -> dict[str, str]:
    """The newest backup of each view in a host's backup folder, judged by the manifests."""
    newest: dict[str, tuple[str, str]] = {}
    try:
        names = os.listdir(host_dir)
    except OSError as exc:
        raise BackupError('no backups in %s: %s' % (host_dir, exc.strerror or exc)) from exc
    for name in names:
        if not name.endswith('.reg'):
            continue
        path = os.path.join(host_dir, name)
        manifest = read_manifest(path)
        if manifest is None:
            continue
        view, created = str(manifest['view']), str(manifest.get('created', ''))
        if view in views and (view not in newest or created > newest[view][0]):
            newest[view] = (created, path)
    return {view: newest[view][1] for view in views if view in newest}
