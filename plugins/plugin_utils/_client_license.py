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

from . import _cmd_chain, _defaults, _license_decoder, _private_files, _regfile, _time, _transfer

# Both views name the same logical key; /reg:32 reaches HKLM\SOFTWARE\Wow6432Node\... on 64-bit Windows,
# and an export made with /reg:32 names the logical path in its headers.
STORE_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing'
# Where the 32-bit view's store lies in the 64-bit registry: the only other tree this collection may change.
WOW64_STORE_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Wow6432Node\\Microsoft\\MSLicensing'
STORE_ROOTS: tuple[str, ...] = (STORE_KEY, WOW64_STORE_KEY)
# The store's layout below a root: Store\LICENSEnnn keys hold a ClientLicense value each, HardwareID holds
# ClientHWID. Names compare case-insensitively, as in the registry.
LICENSES_SUBKEY = 'Store'
LICENSE_KEY = re.compile(r'^%s\\(license\d+)$' % LICENSES_SUBKEY, re.IGNORECASE)
LICENSE_VALUE = 'ClientLicense'
HARDWARE_ID_SUBKEY = 'HardwareID'
HARDWARE_ID_VALUE = 'ClientHWID'
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
BACKUP_DIR_ENV = _defaults.BACKUP_DIR_ENV
DEFAULT_BACKUP_DIR = _defaults.DEFAULT_BACKUP_DIR
MANIFEST_SUFFIX = '.json'
MAX_MANIFEST = 64 * 1024
_SHA256 = re.compile(r'^[0-9a-fA-F]{64}$')

# reg.exe's exit codes are the same in every locale (its messages are not): 0 success, 1 ANY failure (not
# found, access denied, a rejected switch...). Absence is decided from positive evidence only (store_in_view).


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


def is_store_key(path: t.Any) -> bool:
    """True iff ``path`` is one of ``STORE_ROOTS`` or below one; never raises."""
    try:
        return any(_regfile.is_within(path, root) for root in STORE_ROOTS)
    except Exception:
        return False


def require_store_key(path: t.Any) -> str:
    """The normalized ``path``, or ValueError when it is outside the MSLicensing trees."""
    if not is_store_key(path):
        raise ValueError('refusing to touch %s: only the MSLicensing trees (%s) may be changed by this collection'
                         % (path if isinstance(path, str) and path.isprintable() and path.strip() else repr(path),
                            ', '.join(STORE_ROOTS)))
    return _regfile.normalize_key(path)


def reg_delete(view: str) -> list[str]:
    # The hard guard: whatever a caller builds, nothing outside the MSLicensing trees is ever deleted.
    key = require_store_key(STORE_KEY)
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
    now = now or _time.utc_now()
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


def store_summary(doc: _regfile.RegDocument, root: str) -> dict[str, t.Any]:
    """Hardware id and per-license value names, sizes and ClientLicense digest of the store under ``root``."""
    relative = _regfile.relative_tree(doc, root)
    hwid = _regfile.lookup(relative, HARDWARE_ID_SUBKEY, HARDWARE_ID_VALUE)
    licenses = []
    for path, values in relative.items():
        parts = path.split('\\')
        if len(parts) != 2 or parts[0].casefold() != LICENSES_SUBKEY.casefold():
            continue
        client_license = _regfile.lookup_value(values, LICENSE_VALUE)
        licenses.append({
            'name': parts[1],
            'values': sorted(values),
            'sizes': {name: _regfile.data_size(reg_type, data) for name, (reg_type, data) in values.items()},
            'client_license_sha256': hashlib.sha256(client_license).hexdigest()
            if isinstance(client_license, bytes) else None,
        })
    return {
        'hardware_id': hwid.hex() if isinstance(hwid, bytes) else None,
        'licenses': sorted(licenses, key=lambda item: item['name']),
    }


def summary(doc: _regfile.RegDocument | None) -> dict[str, t.Any]:
    """What a result reports of one view: the store's shape plus every license decoded on the controller."""
    if doc is None:
        return {'present': False, 'hardware_id': None, 'licenses': []}
    report = dict(present=True, **store_summary(doc, STORE_KEY))
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
    if not doc.keys or not is_store_key(doc.keys[0].path) or \
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
    return _defaults.backup_dir(backup_dir)


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


def backup_steps(name: str, view: str, remote_file: str, needs: t.Sequence[str] = ()) -> list[_cmd_chain.Step]:
    """Export one view to ``remote_file`` (step ``name``), hash the file (``<name>_hash``) and print its bytes
    (``<name>_encode``, ``<name>_show``), so that the backup comes back in the chain's own output."""
    return [_cmd_chain.Step(name, tuple(reg_export(view, remote_file)), needs=tuple(needs)),
            _cmd_chain.Step('%s_hash' % name, ('certutil.exe', '-hashfile', remote_file, 'SHA256'), needs=(name,))
            ] + _cmd_chain.encode_steps(name, remote_file, remote_file + '.b64', needs=(name,))


def returned_export(name: str, results: t.Mapping[str, _cmd_chain.StepResult], remote_file: str) -> bytes:
    """The bytes of the export the ``backup_steps`` called ``name`` made, as they came back in the output, checked
    against the SHA-256 the host computed of the file: BackupError unless they arrived whole."""
    hashed, encoded, shown = (results['%s%s' % (name, part)] for part in ('_hash', '_encode', '_show'))
    for step, result in (('certutil -hashfile', hashed), ('certutil -encode', encoded), ('type', shown)):
        if not result.ok:
            raise BackupError('%s of the export %s failed (rc %s: %s)' % (step, remote_file, result.rc, _said(result)))
    data = _cmd_chain.certutil_decoded(shown.output)
    on_host = _cmd_chain.certutil_sha256(hashed.output)
    if data is None or on_host is None or sha256(data) != on_host:
        raise BackupError('the bytes of the export %s did not come back intact (sha256 on the host %s, of what '
                          'came back %s)' % (remote_file, on_host or 'not printed',
                                             'nothing readable' if data is None else sha256(data)))
    return data


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


_WOW64_PREFIX = WOW64_STORE_KEY


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
