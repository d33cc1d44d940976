# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Where Linux RDP clients keep their licence files, and the only code that reads, removes or writes them.

Runs on the thin client (in the ``linux_license_files`` module, standard library only) and on the controller
(names, hashes, the guard). Nothing here decodes a licence: the controller does (``_license_decoder``).

Where the clients keep them (read from their source, and checked by tests/integration/linux with the
Debian builds FreeRDP 2.11.7 and rdesktop 1.9.0 writing real files):

- FreeRDP: ``${XDG_CONFIG_HOME:-~/.config}/freerdp/licenses/<sha1 hex of the client hostname>.cal``;
  the client hostname is ``/client-hostname:`` or the host name, hashed as it is.
- rdesktop 1.9: ``~/.local/share/rdesktop/licenses/<sha1 hex>.cal`` (``XDG_DATA_HOME`` is ignored); the
  hash input is the client hostname (``-n``, else the host name) cut to 15 bytes and NUL-padded to 16,
  then a fixed 16-byte salt. Legacy: ``~/.rdesktop/license.<host>`` (still read by rdesktop 1.9) and
  ``~/.rdesktop/licence.<host>`` (older versions), named by the plain hostname.

The guard (``license_file``): a path may be removed or written only when it is directly inside one of the
licence folders of a user asked for, its name is a licence file name of that folder's client, no folder
between the user's home and the file is a symbolic link, and the file itself is not one.
"""

from __future__ import annotations

import base64
import hashlib
import os
import pwd
import grp
import re
import stat

FREERDP = 'freerdp'
RDESKTOP = 'rdesktop'
LAYOUTS = ('freerdp', 'rdesktop', 'rdesktop-legacy')
RDESKTOP_SALT = bytes.fromhex('b8822931c539d94454155e147138d54d')  # rdesktop.c g_static_rdesktop_salt_16
MAX_LICENSE_BYTES = 1024 * 1024
_HASHED_NAME = re.compile(r'^([0-9a-f]{40})\.cal$')
_LEGACY_NAME = re.compile(r'^(licen[cs]e)\.([A-Za-z0-9][A-Za-z0-9._-]{0,254})$')
# New folders of a restore: the clients' own folders hold licences, so only their user may list them.
FOLDER_MODE = 0o700


class LicenseFileError(Exception):
    """A path the guard refuses, a user that cannot be resolved, or a file that cannot be handled safely."""


def freerdp_file_name(hostname):
    """The FreeRDP licence file name for ``hostname`` (license.c computeCalHash)."""
    return '%s.cal' % hashlib.sha1(hostname.encode('utf-8')).hexdigest()


def rdesktop_file_name(hostname):
    """The rdesktop 1.9 licence file name for ``hostname`` (rdesktop.c save_licence)."""
    padded = hostname.encode('utf-8')[:15].ljust(16, b'\x00')
    return '%s.cal' % hashlib.sha1(padded + RDESKTOP_SALT).hexdigest()


def hostname_candidates(names):
    """``names`` with their lower-case, upper-case and short forms, in order, without repeats or blanks."""
    out = []
    for name in names:
        if not name:
            continue
        for form in (name, name.lower(), name.upper()):
            for variant in (form, form.split('.', 1)[0]):
                if variant and variant not in out:
                    out.append(variant)
    return out


def client_hostname(layout, file_name, candidates):
    """The client hostname a licence file is named after: the candidate that hashes to a hashed name (None
    when none does), or the name in a legacy file name."""
    if layout == 'rdesktop-legacy':
        legacy = _LEGACY_NAME.match(file_name)
        return legacy.group(2) if legacy else None
    name_of = freerdp_file_name if layout == 'freerdp' else rdesktop_file_name
    for candidate in candidates:
        if name_of(candidate) == file_name:
            return candidate
    return None


def is_license_name(layout, file_name):
    if layout == 'rdesktop-legacy':
        return bool(_LEGACY_NAME.match(file_name))
    return bool(_HASHED_NAME.match(file_name))


def store_folders(home, xdg_config_home=None):
    """Every folder one user's clients may keep licences in: ``client``, ``layout`` and ``path``.

    ``xdg_config_home`` is the user's ``XDG_CONFIG_HOME`` when known; the default ``~/.config`` is listed
    as well, since the same user may run FreeRDP with and without it.

    ``base`` is the folder the path starts from (the home, or a custom ``XDG_CONFIG_HOME``): nothing
    between it and the licence folder may be a symbolic link.
    """
    config_homes = [(home, os.path.join(home, '.config'))]
    if xdg_config_home and os.path.normpath(xdg_config_home) != os.path.normpath(config_homes[0][1]):
        xdg = os.path.normpath(xdg_config_home)
        config_homes.insert(0, (home if xdg.startswith(home.rstrip(os.sep) + os.sep) else xdg, xdg))
    folders = [{'client': FREERDP, 'layout': 'freerdp', 'base': base,
                'path': os.path.join(config, 'freerdp', 'licenses')} for base, config in config_homes]
    folders.append({'client': RDESKTOP, 'layout': 'rdesktop', 'base': home,
                    'path': os.path.join(home, '.local', 'share', 'rdesktop', 'licenses')})
    folders.append({'client': RDESKTOP, 'layout': 'rdesktop-legacy', 'base': home,
                    'path': os.path.join(home, '.rdesktop')})
    return folders


# -- users ----------------------------------------------------------------------------------------------
def _login_users():
    """Everyone who can have a home with licences: root and the regular accounts (uid 1000 and up, not
    nobody), whose home exists."""
    found = []
    for entry in pwd.getpwall():
        if (entry.pw_uid == 0 or 1000 <= entry.pw_uid < 65534) and os.path.isdir(entry.pw_dir):
            found.append({'name': entry.pw_name})
    return found


def resolve_users(users):
    """Each user asked for (``name``, optional ``home`` and ``xdg_config_home``) with ``home``, ``uid`` and
    ``gid`` from the host's user database; every regular user when ``users`` is empty."""
    resolved = []
    for item in users or _login_users():
        if isinstance(item, str):
            item = {'name': item}
        name = item.get('name')
        try:
            entry = pwd.getpwnam(name)
        except (KeyError, TypeError):
            raise LicenseFileError('the user %r does not exist on this host' % (name,))
        home = os.path.normpath(item.get('home') or entry.pw_dir)
        if not os.path.isabs(home):
            raise LicenseFileError('the home of %s is not an absolute path: %r' % (name, home))
        xdg = item.get('xdg_config_home')
        if xdg and not os.path.isabs(xdg):
            raise LicenseFileError('xdg_config_home of %s is not an absolute path: %r' % (name, xdg))
        resolved.append({'name': name, 'home': home, 'uid': entry.pw_uid, 'gid': entry.pw_gid,
                         'xdg_config_home': os.path.normpath(xdg) if xdg else None})
    return resolved


def _names(uid, gid):
    try:
        owner = pwd.getpwuid(uid).pw_name
    except KeyError:
        owner = None
    try:
        group = grp.getgrgid(gid).gr_name
    except KeyError:
        group = None
    return owner, group


# -- the guard ------------------------------------------------------------------------------------------
def _no_link_below(home, folder):
    """Every existing folder from ``home`` (exclusive) down to ``folder`` is a real folder, not a link."""
    relative = os.path.relpath(folder, home)
    if relative.startswith('..') or os.path.isabs(relative):
        raise LicenseFileError('%s is not inside the home %s' % (folder, home))
    current = home
    for part in relative.split(os.sep):
        current = os.path.join(current, part)
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return
        if stat.S_ISLNK(info.st_mode):
            raise LicenseFileError('%s is a symbolic link: licence files are never touched through one' % current)
        if not stat.S_ISDIR(info.st_mode):
            raise LicenseFileError('%s is not a folder' % current)


def license_file(path, users):
    """The user and folder a licence file path belongs to; LicenseFileError for any other path.

    This is the hard guard of removal and restore: only a file directly inside a licence folder of a user
    asked for, with a licence file name of that folder's client, reached without a symbolic link.
    """
    if not isinstance(path, str) or not os.path.isabs(path) or os.path.normpath(path) != path:
        raise LicenseFileError('refusing %r: it is not a normalised absolute path' % (path,))
    folder_path, file_name = os.path.split(path)
    for user in users:
        for folder in store_folders(user['home'], user['xdg_config_home']):
            if folder['path'] == folder_path and is_license_name(folder['layout'], file_name):
                _no_link_below(folder['base'], folder_path)
                return user, folder
    raise LicenseFileError('refusing %s: it is not a licence file in a FreeRDP or rdesktop licence folder of '
                           'the users %s' % (path, ', '.join(user['name'] for user in users) or '(none)'))


# -- reading --------------------------------------------------------------------------------------------
def _read_regular_file(path):
    """lstat, then the bytes of a regular file opened without following a link; else a reason."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return info, None, 'symbolic link: not followed'
    if not stat.S_ISREG(info.st_mode):
        return info, None, 'not a regular file'
    if info.st_size > MAX_LICENSE_BYTES:
        return info, None, 'larger than %d bytes: not read' % MAX_LICENSE_BYTES
    descriptor = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_NONBLOCK', 0))
    with os.fdopen(descriptor, 'rb') as handle:
        data = handle.read(MAX_LICENSE_BYTES + 1)
    if len(data) > MAX_LICENSE_BYTES:
        return info, None, 'grew past %d bytes while being read' % MAX_LICENSE_BYTES
    return info, data, None


def read_entry(folder, file_name, home, user=None):
    """One licence file as the controller needs it: where, whose, mode, and its bytes (base64) with sha256;
    or ``error`` instead of the bytes when it cannot be read safely."""
    path = os.path.join(folder['path'], file_name)
    entry = {'client': folder['client'], 'layout': folder['layout'], 'home': home, 'path': path,
             'file_name': file_name}
    if user is not None:
        entry['user'] = user
    try:
        info, data, problem = _read_regular_file(path)
    except OSError as exc:
        entry['error'] = 'cannot read: %s' % (exc.strerror or exc)
        return entry
    owner, group = _names(info.st_uid, info.st_gid)
    entry.update(mode='%04o' % stat.S_IMODE(info.st_mode), uid=info.st_uid, gid=info.st_gid, owner=owner,
                 group=group, size=info.st_size)
    if problem or data is None:
        entry['error'] = problem
        return entry
    entry['sha256'] = hashlib.sha256(data).hexdigest()
    entry['content'] = base64.b64encode(data).decode('ascii')
    return entry


def scan_home(home, xdg_config_home=None, user=None):
    """Every licence file the two clients keep under ``home`` (``read_entry`` each), sorted by path.

    Missing folders are no error: most users have no store. Leftover ``.cal.new`` files (a client stopped
    while saving) are not licences the client would present, and are skipped.
    """
    entries = []
    for folder in store_folders(home, xdg_config_home):
        try:
            names = sorted(os.listdir(folder['path']))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for file_name in names:
            if is_license_name(folder['layout'], file_name):
                entries.append(read_entry(folder, file_name, home, user))
    return sorted(entries, key=lambda entry: entry['path'])


def scan(users):
    """``scan_home`` of every resolved user, and the users as resolved (for the controller's record)."""
    entries = []
    for user in users:
        entries.extend(scan_home(user['home'], user['xdg_config_home'], user['name']))
    return entries


# -- removing -------------------------------------------------------------------------------------------
def remove(path, sha256, users, nonce):
    """Remove one licence file, only when it still holds exactly the bytes backed up (``sha256``).

    The file is first renamed within its folder (atomic), so what is hashed is what is removed: a client
    writing a new licence meanwhile writes a new file, which stays. A mismatch puts the file back.
    Returns ``removed`` (bool) and, when not removed, ``reason``.
    """
    user, folder = license_file(path, users)
    del user, folder
    info = os.lstat(path) if os.path.lexists(path) else None
    if info is None:
        return {'path': path, 'removed': False, 'reason': 'absent'}
    if not stat.S_ISREG(info.st_mode):
        raise LicenseFileError('%s is not a regular file: not removed' % path)
    aside = os.path.join(os.path.dirname(path), '.tscal-remove-%s-%s' % (nonce, os.path.basename(path)))
    os.rename(path, aside)
    try:
        _info, data, problem = _read_regular_file(aside)
        digest = hashlib.sha256(data).hexdigest() if data is not None else None
    except OSError as exc:
        problem, digest = 'cannot read: %s' % (exc.strerror or exc), None
    if problem or digest != sha256:
        if os.path.lexists(path):
            # the client wrote a new licence meanwhile: keep it, and keep the old one beside it, named
            return {'path': path, 'removed': False, 'kept_as': aside,
                    'reason': 'a new file appeared while the old one was being removed'}
        os.rename(aside, path)
        return {'path': path, 'removed': False,
                'reason': problem or 'changed since the backup (sha256 %s): not removed' % digest}
    os.unlink(aside)
    if os.path.lexists(path) or os.path.lexists(aside):
        return {'path': path, 'removed': False, 'reason': 'still present after the removal'}
    return {'path': path, 'removed': True}


# -- restoring ------------------------------------------------------------------------------------------
def _make_folders(user, folder):
    """The folders from the base (the home) down to the licence folder, the missing ones made 0700 and owned
    by the user."""
    folder_path = folder['path']
    if not os.path.isdir(folder['base']):
        raise LicenseFileError('%s does not exist: nothing is restored below it' % folder['base'])
    relative = os.path.relpath(folder_path, folder['base'])
    current = folder['base']
    made = []
    for part in relative.split(os.sep):
        current = os.path.join(current, part)
        if os.path.lexists(current):
            continue
        os.mkdir(current, FOLDER_MODE)
        os.chown(current, user['uid'], user['gid'])
        os.chmod(current, FOLDER_MODE)
        made.append(current)
    _no_link_below(folder['base'], folder_path)
    return made


def restore(item, users, nonce):
    """Write one backed-up licence file back: exactly its bytes, owner and mode, never over another file.

    ``item``: ``path``, ``content`` (base64), ``sha256``, ``mode`` (octal text), ``uid``, ``gid``. Returns
    ``changed``, ``folders_made`` and the file as ``read_entry`` sees it afterwards.
    """
    user, folder = license_file(item['path'], users)
    data = base64.b64decode(item['content'])
    if hashlib.sha256(data).hexdigest() != item['sha256']:
        raise LicenseFileError('the content sent for %s does not match its sha256: nothing written' % item['path'])
    mode = int(item['mode'], 8)
    if mode & ~0o777:
        raise LicenseFileError('mode %s of %s is not a file permission' % (item['mode'], item['path']))
    path = item['path']
    if os.path.lexists(path):
        current = read_entry(folder, os.path.basename(path), user['home'], user['name'])
        same = current.get('sha256') == item['sha256'] and current.get('mode') == '%04o' % mode and \
            current.get('uid') == item['uid'] and current.get('gid') == item['gid']
        if same:
            return {'changed': False, 'folders_made': [], 'file': current}
        raise LicenseFileError('%s exists and differs from the backup: remove it first (state=absent backs it up)'
                               % path)
    made = _make_folders(user, folder)
    temporary = os.path.join(folder['path'], '.tscal-restore-%s' % nonce)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0), 0o600)
    try:
        with os.fdopen(descriptor, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fchown(handle.fileno(), item['uid'], item['gid'])
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.link(temporary, path)  # fails if a file appeared meanwhile: nothing is overwritten
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)
    return {'changed': True, 'folders_made': made,
            'file': read_entry(folder, os.path.basename(path), user['home'], user['name'])}
