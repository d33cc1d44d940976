# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Find and decode the client access licences that Linux RDP clients keep in users' home folders.

Where the clients keep them (read from their source, and checked by tests/integration/linux with the
Debian builds FreeRDP 2.11.7 and rdesktop 1.9.0 writing real files):

- FreeRDP: ``${XDG_CONFIG_HOME:-~/.config}/freerdp/licenses/<sha1 hex of the client hostname>.cal``;
  the client hostname is ``/client-hostname:`` or the host name, hashed as it is.
- rdesktop 1.9: ``~/.local/share/rdesktop/licenses/<sha1 hex>.cal`` (``XDG_DATA_HOME`` is ignored); the
  hash input is the client hostname (``-n``, else the host name) cut to 15 bytes and NUL-padded to 16,
  then a fixed 16-byte salt. Legacy: ``~/.rdesktop/license.<host>`` (still read by rdesktop 1.9) and
  ``~/.rdesktop/licence.<host>`` (older versions), named by the plain hostname.

Each file holds the server's ``pbLicenseInfo`` unchanged, which ``_license_decoder`` reads. A hashed file
name gives the client hostname back only for a candidate that hashes to it: ``discover`` tries the names
it is given, with their lower-case, upper-case and short (before the first dot) forms.

No Ansible imports. Only regular files are read (symbolic links are reported, never followed), each at
most ``MAX_LICENSE_BYTES``; nothing is ever written.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import typing as t

from . import _license_decoder

FREERDP = 'freerdp'
RDESKTOP = 'rdesktop'
RDESKTOP_SALT = bytes.fromhex('b8822931c539d94454155e147138d54d')  # rdesktop.c g_static_rdesktop_salt_16
MAX_LICENSE_BYTES = 1024 * 1024
_HASHED_NAME = re.compile(r'^([0-9a-f]{40})\.cal$')
_LEGACY_NAME = re.compile(r'^(licen[cs]e)\.(.+)$')


def freerdp_file_name(hostname: str) -> str:
    """The FreeRDP licence file name for ``hostname`` (license.c computeCalHash)."""
    return '%s.cal' % hashlib.sha1(hostname.encode('utf-8')).hexdigest()


def rdesktop_file_name(hostname: str) -> str:
    """The rdesktop 1.9 licence file name for ``hostname`` (rdesktop.c save_licence)."""
    padded = hostname.encode('utf-8')[:15].ljust(16, b'\x00')
    return '%s.cal' % hashlib.sha1(padded + RDESKTOP_SALT).hexdigest()


def store_folders(home: str, xdg_config_home: str | None = None) -> list[dict[str, str]]:
    """Every folder one user's clients may keep licences in: ``client``, ``layout`` and ``path``.

    ``xdg_config_home`` is the user's ``XDG_CONFIG_HOME`` when known; the default ``~/.config`` is listed
    as well, since the same user may run FreeRDP with and without it.
    """
    config_homes = [os.path.join(home, '.config')]
    if xdg_config_home and os.path.normpath(xdg_config_home) != os.path.normpath(config_homes[0]):
        config_homes.insert(0, xdg_config_home)
    folders = [{'client': FREERDP, 'layout': 'freerdp', 'path': os.path.join(config, 'freerdp', 'licenses')}
               for config in config_homes]
    folders.append({'client': RDESKTOP, 'layout': 'rdesktop',
                    'path': os.path.join(home, '.local', 'share', 'rdesktop', 'licenses')})
    folders.append({'client': RDESKTOP, 'layout': 'rdesktop-legacy', 'path': os.path.join(home, '.rdesktop')})
    return folders


def hostname_candidates(names: t.Iterable[str]) -> list[str]:
    """``names`` with their lower-case, upper-case and short forms, in order, without repeats or blanks."""
    out: list[str] = []
    for name in names:
        if not name:
            continue
        for form in (name, name.lower(), name.upper()):
            for variant in (form, form.split('.', 1)[0]):
                if variant and variant not in out:
                    out.append(variant)
    return out


def _hostname_index(candidates: list[str]) -> dict[str, dict[str, str]]:
    index: dict[str, dict[str, str]] = {'freerdp': {}, 'rdesktop': {}}
    for name in candidates:
        index['freerdp'].setdefault(freerdp_file_name(name), name)
        index['rdesktop'].setdefault(rdesktop_file_name(name), name)
    return index


def _read_regular_file(path: str) -> tuple[os.stat_result, bytes | None, str | None]:
    """lstat, then the bytes of a regular file opened without following a link; else a reason."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return info, None, 'symbolic link: not followed'
    if not stat.S_ISREG(info.st_mode):
        return info, None, 'not a regular file'
    if info.st_size > MAX_LICENSE_BYTES:
        return info, None, 'larger than %d bytes: not read' % MAX_LICENSE_BYTES
    descriptor = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0))
    with os.fdopen(descriptor, 'rb') as handle:
        return info, handle.read(MAX_LICENSE_BYTES + 1), None


def _entry(folder: dict[str, str], file_name: str, hostname: str | None, home: str, now: t.Any) -> dict[str, t.Any]:
    path = os.path.join(folder['path'], file_name)
    entry: dict[str, t.Any] = {'client': folder['client'], 'layout': folder['layout'], 'home': home,
                               'path': path, 'client_hostname': hostname}
    try:
        info, data, problem = _read_regular_file(path)
    except OSError as exc:
        entry['error'] = 'cannot read: %s' % (exc.strerror or exc)
        return entry
    entry.update(mode='%04o' % stat.S_IMODE(info.st_mode), uid=info.st_uid, gid=info.st_gid, size=info.st_size)
    if problem or data is None:
        entry['error'] = problem
        return entry
    if len(data) > MAX_LICENSE_BYTES:
        entry['error'] = 'grew past %d bytes while being read' % MAX_LICENSE_BYTES
        return entry
    entry['sha256'] = hashlib.sha256(data).hexdigest()
    entry['license'] = _license_decoder.decode_client_license(data, now)
    return entry


def discover_home(home: str, hostnames: t.Iterable[str] = (), *, xdg_config_home: str | None = None,
                  now: t.Any = None) -> list[dict[str, t.Any]]:
    """Every licence file the two clients keep under ``home``, decoded, sorted by path.

    Each entry: ``client`` (freerdp | rdesktop), ``layout`` (freerdp | rdesktop | rdesktop-legacy),
    ``home``, ``path``, ``client_hostname`` (None when no candidate hashes to the file name), ``mode``
    (octal text), ``uid``, ``gid``, ``size``, ``sha256`` and ``license`` (``decode_client_license``);
    or ``error`` instead of the last two when the file cannot be read safely. Missing folders are no
    error: most users have no store. Leftover ``.cal.new`` files (a client stopped while saving) are
    not licences the client would present, and are skipped.
    """
    index = _hostname_index(hostname_candidates(hostnames))
    entries: list[dict[str, t.Any]] = []
    for folder in store_folders(home, xdg_config_home):
        try:
            names = sorted(os.listdir(folder['path']))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for file_name in names:
            if folder['layout'] == 'rdesktop-legacy':
                legacy = _LEGACY_NAME.match(file_name)
                if legacy:
                    entries.append(_entry(folder, file_name, legacy.group(2), home, now))
                continue
            hashed = _HASHED_NAME.match(file_name)
            if hashed:
                entries.append(_entry(folder, file_name, index[folder['layout']].get(file_name), home, now))
    return sorted(entries, key=lambda entry: entry['path'])


def discover(homes: t.Iterable[t.Mapping[str, t.Any]], hostnames: t.Iterable[str] = (), *,
             now: t.Any = None) -> list[dict[str, t.Any]]:
    """``discover_home`` over several users: each item of ``homes`` has ``home`` and optionally ``user``
    and ``xdg_config_home``; ``user`` is copied into that home's entries."""
    candidates = hostname_candidates(hostnames)
    found: list[dict[str, t.Any]] = []
    for item in homes:
        for entry in discover_home(item['home'], candidates, xdg_config_home=item.get('xdg_config_home'), now=now):
            if item.get('user') is not None:
                entry['user'] = item['user']
            found.append(entry)
    return found
