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

from . import _cmd_chain, _license_decoder, _regfile

# Both views name the same logical key; /reg:32 reaches HKLM\SOFTWARE\Wow6432Node\... on 64-bit Windows,
# and an export made with /reg:32 names the logical path in its headers.
STORE_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing'
# Its parent: readable in a view and listing no MSLicensing is the positive evidence that the store is absent.
PARENT_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft'
STORE_NAME = 'MSLicensing'
# PROCESSOR_ARCHITECTURE of the machine (not of the process): x86 means 32-bit Windows, where /reg:64 and
# /reg:32 open one key.
ENVIRONMENT_KEY = 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment'
ARCHITECTURE_VALUE = 'PROCESSOR_ARCHITECTURE'
VIEWS = ('64', '32')
# The parent of each run's own staging folder. Standard users may create folders in C:\Windows\Temp but
# cannot delete or rename other users' folders there, unlike in a folder under C:\ProgramData that a user
# may have created first and so own.
DEFAULT_REMOTE_BACKUP_DIR = 'C:\\Windows\\Temp'
STAGING_PREFIX = 'tscal-'
BACKUP_DIR_ENV = 'TSCAL_BACKUP_DIR'
DEFAULT_BACKUP_DIR = '~/.local/share/tslicensing.cal/backups'
MANIFEST_SUFFIX = '.json'

# reg.exe exit codes are the same in every locale (its messages are not): 0 success, 1 ANY failure (not
# found, access denied, a rejected switch...). Absence is decided from positive evidence only.
RC_OK = 0


class BackupError(Exception):
    """A backup that may not be trusted (or written); the store must stay untouched."""


def view_label(view: str) -> str:
    return '%s (view %s)' % (STORE_KEY, view)


def view_flag(view: str) -> str:
    return '/reg:' + view


def reg_query_parent(view: str) -> list[str]:
    return ['reg.exe', 'query', PARENT_KEY, view_flag(view)]


def reg_query_architecture() -> list[str]:
    return ['reg.exe', 'query', ENVIRONMENT_KEY, '/v', ARCHITECTURE_VALUE]


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


# -- reading the host in one program start (see _cmd_chain) --------------------------------------------------
class HostError(Exception):
    """What the host said cannot be trusted to decide anything: the host fails, with reg.exe's own words."""


def read_steps(views: t.Sequence[str]) -> list[_cmd_chain.Step]:
    """The architecture, then per view the parent key (the evidence of absence) and the store itself."""
    steps = [_cmd_chain.Step('arch', tuple(reg_query_architecture()))]
    for view in views:
        steps.append(_cmd_chain.Step('parent%s' % view, tuple(reg_query_parent(view))))
        steps.append(_cmd_chain.Step('store%s' % view, tuple(reg_query(view))))
    return steps


def _said(result: _cmd_chain.StepResult) -> str:
    text = ' '.join(line.strip() for line in result.output.splitlines() if line.strip())
    return text[:300] or 'no message'


def architecture(results: t.Mapping[str, _cmd_chain.StepResult]) -> str:
    """PROCESSOR_ARCHITECTURE from the 'arch' step (x86, AMD64, ARM64, IA64)."""
    result = results['arch']
    if not result.ok:
        raise HostError('cannot read %s\\%s, so it is unknown whether this is 32-bit Windows (one registry view) '
                        '(reg query rc %s: %s)' % (ENVIRONMENT_KEY, ARCHITECTURE_VALUE, result.rc, _said(result)))
    for line in result.output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].upper() == ARCHITECTURE_VALUE and parts[1] == 'REG_SZ':
            return parts[2]
    raise HostError('reg query printed no %s value: %s' % (ARCHITECTURE_VALUE, _said(result)))


def is_32bit(arch: str) -> bool:
    return arch.upper() == 'X86'


def distinct_views(views: t.Sequence[str], arch: str) -> list[str]:
    """The views that are distinct keys on this host: on 32-bit Windows both flags open one key, so the
    first view asked stands for it (it must never be backed up or deleted twice)."""
    return list(views[:1]) if is_32bit(arch) else list(views)


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = {code: code + 32 for code in range(ord('A'), ord('Z') + 1)}


def parent_lists_store(output: str) -> bool:
    """Whether ``reg query HKLM\\SOFTWARE\\Microsoft`` lists an MSLicensing subkey (compared ASCII-only, as
    the registry does; the Wow6432Node spelling of the path under /reg:32 is accepted too)."""
    for line in output.splitlines():
        if line[:1].isspace() or not line.strip():
            continue
        parts = line.strip().split('\\')
        if len(parts) >= 2 and _ascii_lower(parts[-1]) == _ascii_lower(STORE_NAME) and \
                _ascii_lower(parts[-2]) == 'microsoft':
            return True
    return False


_WOW64_PREFIX = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Wow6432Node\\Microsoft\\MSLicensing'


def logical_paths(text: str) -> str:
    """The Wow6432Node spelling of the store's path (which reg.exe may print under /reg:32) as the logical one."""
    lines = []
    for line in text.split('\n'):
        body = line.lstrip('[')
        if _ascii_lower(body[:len(_WOW64_PREFIX)]) == _ascii_lower(_WOW64_PREFIX):
            line = line[:len(line) - len(body)] + STORE_KEY + body[len(_WOW64_PREFIX):]
        lines.append(line)
    return '\n'.join(lines)


def logical_export(data: bytes) -> bytes:
    """An export with the logical path in its headers, for checking only (the backup keeps reg.exe's bytes)."""
    for encoding, bom in (('utf-16-le', b'\xff\xfe'), ('utf-8', b'')):
        if data.startswith(bom) and (bom or b'\x00' not in data[:64]):
            try:
                text = data[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                return data
            fixed = logical_paths(text)
            return data if fixed == text else bom + fixed.encode(encoding)
    return data


def store_in_view(results: t.Mapping[str, _cmd_chain.StepResult], view: str) -> _regfile.RegDocument | None:
    """The store that one view's query showed, or None only on positive evidence that it is absent."""
    query, parent = results['store%s' % view], results['parent%s' % view]
    if query.ok:
        try:
            return store_from_query(logical_paths(query.output), view)
        except _regfile.RegFileError as exc:
            raise HostError('reg query of %s printed what cannot be read: %s' % (view_label(view), exc)) from None
    if not query.ran:
        raise HostError('reg query of %s did not run' % view_label(view))
    if not parent.ok:
        raise HostError('reg query of %s failed (rc %s: %s), and so did the query of %s in view %s (rc %s: %s): '
                        'cannot tell whether the store is there' % (
                            view_label(view), query.rc, _said(query), PARENT_KEY, view, parent.rc, _said(parent)))
    if parent_lists_store(parent.output):
        raise HostError('reg query of %s failed (rc %s: %s) although %s lists it' % (
            view_label(view), query.rc, _said(query), PARENT_KEY))
    return None


def _comparable(doc: _regfile.RegDocument) -> dict[str, dict[str, tuple[int, t.Any]]]:
    # reg query /s may list keys without values or leave them out: compare the keys that hold values.
    return {path: values for path, values in _regfile.relative_tree(doc, STORE_KEY).items() if values}


def export_matches_query(export: _regfile.RegDocument, queried: _regfile.RegDocument) -> bool:
    """Whether an export (the truth: the file reg.exe writes) shows what the query showed a moment earlier,
    allowing the documented differences of reg query: keys without values listed or not, and long binary
    data printed truncated (a prefix of the exported data)."""
    left, right = _comparable(export), _comparable(queried)
    if left.keys() != right.keys():
        return False
    for path, values in left.items():
        if values.keys() != right[path].keys():
            return False
        for name, (reg_type, data) in values.items():
            seen_type, seen = right[path][name]
            if seen_type != reg_type:
                return False
            if seen != data and not (isinstance(data, bytes) and isinstance(seen, bytes) and len(seen) >= 16
                                     and len(seen) < len(data) and data.startswith(seen)):
                return False
    return True


def staging_folder(parent: str, nonce: str) -> str:
    """``<parent>\\tscal-<nonce>``: a name no one can guess before this run, validated for the chain."""
    return _cmd_chain.validate_path(ntpath.join(_cmd_chain.validate_path(parent, 'remote_backup_dir'),
                                                STAGING_PREFIX + nonce), 'staging folder')
