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

import dataclasses
import datetime
import hashlib
import json
import ntpath
import os
import re
import typing as t

from . import _license_decoder, _private_files, _regfile, _transfer

# Both views name the same logical key; /reg:32 reaches HKLM\SOFTWARE\Wow6432Node\... on 64-bit Windows,
# and an export made with /reg:32 names the logical path in its headers.
STORE_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing'
VIEWS = ('64', '32')
DEFAULT_REMOTE_BACKUP_DIR = 'C:\\ProgramData\\tslicensing.cal\\backups'
BACKUP_DIR_ENV = 'TSCAL_BACKUP_DIR'
DEFAULT_BACKUP_DIR = '~/.local/share/tslicensing.cal/backups'
MANIFEST_SUFFIX = '.json'
MAX_MANIFEST = 64 * 1024
_SHA256 = re.compile(r'^[0-9a-fA-F]{64}$')

# reg.exe exit codes are the same in every locale (its messages are not): decide on rc only.
RC_OK = 0
RC_NOT_FOUND = 1


class BackupError(Exception):
    """A backup that may not be trusted (or written); the store must stay untouched."""


@dataclasses.dataclass(frozen=True)
class RestoreSource:
    """A backup that passed every controller-side check, ready to go to the host."""

    path: str
    data: bytes
    doc: _regfile.RegDocument
    manifest: dict[str, t.Any] | None
    other_host: str | None
    """The host named by the manifest when it is not the target (accepted through restore_from_host)."""


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
    # A key under Store that is not LICENSEnnn (a name with '/' is legal in the registry) is listed, not decoded.
    report['decode_warnings'] = decoded['warnings'] + [
        'the license key %r has an unexpected name: listed, not decoded' % entry['name']
        for entry in report['licenses'] if entry['decoded'] is None and entry['name'].casefold() not in by_name]
    return report


def verify_export(data: bytes, source: str) -> _regfile.RegDocument:
    """Parse a backup and check that it holds exactly the MSLicensing tree and nothing to delete.

    Key paths compare ASCII case-insensitively (as the delete guard does): ``Micro\u017foft`` (long s) is
    another key to the registry, so a file naming it is not an MSLicensing export. Messages never quote
    the file's content.
    """
    if not data:
        raise BackupError('%s is empty' % source)
    try:
        doc = _regfile.parse_reg(data, source)
    except _regfile.RegFileError as exc:
        where = '' if exc.line is None else ' (line %d)' % exc.line
        raise BackupError('%s is not a valid .reg export%s: %s' % (source, where, exc.problem)) from None
    if not doc.keys or not _regfile.is_mslicensing_key(doc.keys[0].path) or \
            _regfile.relative_path(doc.keys[0].path, STORE_KEY) != '':
        raise BackupError('%s does not start with the key %s: not an MSLicensing export' % (source, STORE_KEY))
    outside = _regfile.only_under(doc, STORE_KEY)
    if outside:
        raise BackupError('%s holds %d key(s) outside %s (compared in ASCII, case-insensitively): not an '
                          'MSLicensing export' % (source, len(outside), STORE_KEY))
    deletions = [key.path for key in doc.keys if key.delete or any(v.type is None for v in key.values)]
    if deletions:
        raise BackupError('%s contains deletions (%d): an export never does, refusing it' % (source, len(deletions)))
    return doc


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the backups on the controller: <root>/<host folder>/<stamp>-reg<view>.reg plus a .json manifest --------

def backup_root(backup_dir: str | None) -> str:
    base = backup_dir or os.environ.get(BACKUP_DIR_ENV) or DEFAULT_BACKUP_DIR
    return os.path.abspath(os.path.expanduser(base))


def controller_backup_dir(backup_dir: str | None, host: str) -> str:
    """The host's backup folder: one folder under the root, named safely from the inventory name (which is
    data, not a path: ``../x``, ``..`` or ``/etc`` become ``..%2Fx``, ``%2E%2E``, ``%2Fetc``)."""
    root = backup_root(backup_dir)
    try:
        folder = _private_files.safe_name(host, 'the inventory host name')
        return _private_files.require_within(root, os.path.join(root, folder), 'the backup folder')
    except _private_files.PrivateFileError as exc:
        raise BackupError(str(exc)) from None


def prepare_backup_dir(path: str) -> None:
    """Create the backup root and the host's folder (both 0700 whatever the umask), check that the folder is
    still under the root (a symbolic link could lead elsewhere) and prove it is writable, before touching the host."""
    root = os.path.dirname(path)
    try:
        _private_files.make_private_dir(root)
        _private_files.make_private_dir(path)
        _private_files.require_within(root, path, 'the backup folder')
        probe = os.path.join(path, '.write-test')
        with open(probe, 'wb'):
            pass
        os.unlink(probe)
    except OSError as exc:
        raise BackupError('the backup folder %s is not writable: %s (set backup_dir, or the playbook\'s '
                          '*_backup_dir variable, to a folder this controller user can write)'
                          % (path, _private_files.describe(exc))) from None


def write_private(path: str, data: bytes, what: str = 'backup') -> None:
    """Write a backup file (0600: backups hold license certificates) whole or not at all, never outside
    the backup root and never over an existing file."""
    try:
        _private_files.require_within(os.path.dirname(os.path.dirname(path)), path, 'the ' + what)
        _private_files.write_private(path, data)
    except OSError as exc:
        raise BackupError('cannot write the %s %s: %s' % (what, path, _private_files.describe(exc))) from None


def manifest_path(backup_file: str) -> str:
    return backup_file + MANIFEST_SUFFIX


def write_manifest(backup_file: str, manifest: dict[str, t.Any]) -> None:
    """The manifest says what the backup is: its sha256, registry view and the real inventory name of the
    host it came from (the folder name may be encoded)."""
    write_private(manifest_path(backup_file), (json.dumps(manifest, indent=2, sort_keys=True) + '\n').encode(),
                  'backup manifest')


def read_backup(path: str) -> bytes:
    """A backup file's bytes: a regular file of at most the size any .reg export can have."""
    try:
        return _private_files.read_limited(path, _regfile.MAX_INPUT, 'the backup')
    except OSError as exc:
        raise BackupError(str(exc) if isinstance(exc, _private_files.PrivateFileError)
                          else 'cannot read the backup %s: %s' % (path, _private_files.describe(exc))) from None


def read_manifest(backup_file: str) -> dict[str, t.Any] | None:
    """The backup's manifest, None when it has none; BackupError when it is unreadable or incomplete."""
    path = manifest_path(backup_file)
    if not os.path.lexists(path):
        return None
    try:
        manifest = json.loads(_private_files.read_limited(path, MAX_MANIFEST, 'the backup manifest'))
    except _private_files.PrivateFileError as exc:
        raise BackupError(str(exc)) from None
    except (OSError, ValueError):
        raise BackupError('the backup manifest %s is not valid JSON (cut short?)' % path) from None
    if not isinstance(manifest, dict) or str(manifest.get('view')) not in VIEWS:
        raise BackupError('the backup manifest %s names no registry view (64 or 32)' % path)
    if not isinstance(manifest.get('host'), str) or not manifest['host']:
        raise BackupError('the backup manifest %s names no host' % path)
    if not isinstance(manifest.get('sha256'), str) or not _SHA256.match(manifest['sha256']):
        raise BackupError('the backup manifest %s holds no sha256 of the backup' % path)
    return manifest


def check_backup(data: bytes, backup_file: str, manifest: dict[str, t.Any] | None) -> None:
    """The backup is exactly the file its manifest describes (a truncated or edited backup is refused)."""
    if manifest is not None and sha256(data) != manifest['sha256'].lower():
        raise BackupError('the backup %s does not match its manifest (sha256 %s, the manifest says %s): it was '
                          'cut short or changed after it was written; refusing to restore it'
                          % (backup_file, sha256(data), manifest['sha256'].lower()))


def check_backup_host(manifest: dict[str, t.Any] | None, host: str, accepted_host: str | None,
                      backup_file: str) -> str | None:
    """None when the backup is this host's own; the other host's name when ``accepted_host`` names it (a
    renamed host: the caller records that in the ledger); BackupError for any other host's backup."""
    if manifest is None or manifest['host'] == host:
        return None
    if accepted_host is not None and manifest['host'] == accepted_host:
        return manifest['host']
    raise BackupError('the backup %s is of the host %s, not %s: restoring it would copy that host\'s CAL onto '
                      'this one (refused; if %s is this computer under its old name, name it in restore_from_host)'
                      % (backup_file, manifest['host'], host, manifest['host']))


def latest_backups(host_dir: str, views: t.Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """The newest backup of each view in a host's backup folder, judged by the manifests, and a warning
    for each manifest that cannot be read (a half-written one beside a good backup is skipped)."""
    views = list(views)
    newest: dict[str, tuple[str, str]] = {}
    warnings: list[str] = []
    try:
        names = sorted(os.listdir(host_dir))
    except OSError as exc:
        raise BackupError('no backups in %s: %s' % (host_dir, _private_files.describe(exc))) from None
    for name in names:
        if not name.endswith('.reg'):
            continue
        path = os.path.join(host_dir, name)
        try:
            manifest = read_manifest(path)
        except BackupError as exc:
            warnings.append('skipped the backup %s: %s' % (path, exc))
            continue
        if manifest is None:
            continue
        view, created = str(manifest['view']), str(manifest.get('created', ''))
        if view in views and (view not in newest or created > newest[view][0]):
            newest[view] = (created, path)
    return {view: newest[view][1] for view in views if view in newest}, warnings


def license_ids(doc: _regfile.RegDocument) -> list[str]:
    """The ledger identities (``_transfer.cal_id``) of the licenses a store holds, temporary ones included."""
    decoded = _license_decoder.decode_store(doc)
    found: list[str] = []
    for entry in decoded['licenses']:
        for lic in (entry.get('decoded') or {}).get('licenses') or ():
            identity = _transfer.cal_id(lic.get('license_server'), lic.get('serial'))
            if identity not in found:
                found.append(identity)
    return found
