# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The audit's spool: one private folder per run on the controller, one file per host holding what that host's
query saw, so that the fleet's results never travel through Ansible variables.

Each host's step writes its own entry (in parallel across forks); the report and the ledger recording read the
spool once, one host at a time, in the order of the host names they are given. A host without an entry was not
reached. Entries hold only what the report and the observations read (see ``compact``), and are named by the
encoded host name (``_private_files.safe_name``), never by the raw one. The folder is 0700, the files 0600.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import typing as t

from .. import _private_files
from ._model import LICENSE_FIELDS, ReportError, not_reached_reason

SPOOL_PREFIX = 'tscal-audit-'
# The file that marks a folder as a spool: removing a spool never removes a folder without it.
MARKER = '.tscal-audit-spool'
ENTRY_SUFFIX = '.json'
# An entry is a few KiB per license; anything this large was not written by write_entry.
ENTRY_LIMIT = 16 * 1024 * 1024
# A host with no entry: its query never ran (the run stopped before its batch, or it left the play).
NO_ENTRY = {'unreachable': True, 'msg': 'not reached'}
_RESULT_FIELDS = ('unreachable', 'failed', 'skipped', 'msg', 'skip_reason')


def open_spool(base: str | None = None) -> str:
    """A new, empty spool folder (0700) under ``base`` (default: the system's temporary folder)."""
    if base:
        _private_files.make_private_dir(base)
    path = tempfile.mkdtemp(prefix=SPOOL_PREFIX, dir=base or None)  # mkdtemp: 0700, a name no one else has
    _private_files.write_private(os.path.join(path, MARKER), b'')
    return path


def _checked_spool(spool: t.Any) -> str:
    if not isinstance(spool, str) or not spool:
        raise ReportError('spool must be the path of an audit spool folder, not %r' % (spool,))
    if not os.path.isfile(os.path.join(spool, MARKER)):
        raise ReportError('%s is not an audit spool (no %s in it)' % (spool, MARKER))
    return spool


def entry_path(spool: str, host: str) -> str:
    try:
        return os.path.join(spool, _private_files.safe_name(host, 'inventory hostname') + ENTRY_SUFFIX)
    except _private_files.PrivateFileError as exc:
        raise ReportError(str(exc)) from None


def compact(result: t.Any) -> t.Any:
    """What the report and the observations read of a client_license query result, nothing more: a decoded
    license keeps LICENSE_FIELDS (its extensions, attributes and raw values stay out of the spool)."""
    if not_reached_reason(result) is not None:
        if not isinstance(result, t.Mapping):
            return result
        return {field: result[field] for field in _RESULT_FIELDS if field in result}
    views = {}
    for view, store in result['views'].items():
        if not isinstance(store, t.Mapping) or not isinstance(store.get('licenses'), list):
            views[view] = store  # malformed: left for the report to name
            continue
        views[view] = dict({k: store.get(k) for k in ('present', 'hardware_id')},
                           licenses=[_compact_entry(entry) for entry in store['licenses']])
    return {'views': views}


def _compact_entry(entry: t.Any) -> t.Any:
    if not isinstance(entry, t.Mapping):
        return entry
    decoded = entry.get('decoded')
    kept = {k: entry.get(k) for k in ('name', 'client_license_sha256')}
    if isinstance(decoded, t.Mapping):
        licenses = decoded.get('licenses') or []
        kept['decoded'] = {
            'warnings': decoded.get('warnings') or [],
            'licenses': [{k: lic.get(k) for k in LICENSE_FIELDS} if isinstance(lic, t.Mapping) else lic
                         for lic in licenses] if isinstance(licenses, list) else licenses,
        }
    return kept


def write_entry(spool: t.Any, host: t.Any, result: t.Any) -> str:
    """Keep ``host``'s result in the spool (replacing an earlier one of the same run); its path."""
    if not isinstance(host, str) or not host:
        raise ReportError('host must be an inventory hostname, not %r' % (host,))
    path = entry_path(_checked_spool(spool), host)
    # Not key-sorted: the order of the views is the order the report lists them in.
    data = json.dumps({'host': host, 'result': compact(result)}, ensure_ascii=False)
    try:
        _private_files.write_private(path, data.encode('utf-8'), replace=True)
    except OSError as exc:
        raise ReportError('cannot keep the result of %s in the spool %s: %s'
                          % (host, spool, _private_files.describe(exc))) from None
    return path


def read_entries(spool: t.Any, hosts: t.Iterable[t.Any]) -> t.Iterator[tuple[str, t.Any]]:
    """(host, result) for each of ``hosts``, read one at a time; NO_ENTRY for a host without one."""
    spool = _checked_spool(spool)
    for host in dict.fromkeys(hosts):  # a host named twice is one host
        if not isinstance(host, str) or not host:
            raise ReportError('hosts: every item must be an inventory hostname, not %r' % (host,))
        path = entry_path(spool, host)
        try:
            data = _private_files.read_limited(path, ENTRY_LIMIT, 'audit spool entry')
        except _private_files.PrivateFileError as exc:
            if not os.path.lexists(path):
                yield host, dict(NO_ENTRY)
                continue
            raise ReportError(str(exc)) from None
        try:
            entry = json.loads(data)
        except ValueError as exc:
            raise ReportError('the spool entry %s of %s is not JSON: %s' % (path, host, exc)) from None
        if not isinstance(entry, dict) or entry.get('host') != host:
            raise ReportError('the spool entry %s is not the one of %s' % (path, host))
        yield host, entry['result']


def remove_spool(spool: t.Any) -> bool:
    """Remove the spool folder and its entries; False when it was already gone."""
    if isinstance(spool, str) and spool and not os.path.lexists(spool):
        return False
    spool = _checked_spool(spool)
    shutil.rmtree(spool)
    return True
