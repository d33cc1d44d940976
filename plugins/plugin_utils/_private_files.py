# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Private files and folders on the controller: the one place that creates them (0600 / 0700 whatever the
umask), writes them whole or not at all, keeps every write under its root, and reads them with a size limit.

Backups hold license certificates and the ledger's exports and reports name every client, so nothing here
is ever world-readable, half-written or outside the folder the operator chose. Pure Python: no Ansible imports.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import urllib.parse

FILE_MODE = 0o600
DIR_MODE = 0o700
# Host names are mostly DNS names or IP addresses: those stay readable as folder names, anything else is
# percent-encoded (so no separator, NUL, '.' or '..' can reach a path, and no two names share a folder).
_SAFE_NAME_CHARS = frozenset('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.@')
_MAX_NAME_BYTES = 255


class PrivateFileError(OSError):
    """A private file or folder that cannot be made, written, kept under its root or read; ``str()`` is a
    complete sentence for an operator (no bare ``[Errno N]``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else 'private file error'


def describe(exc: OSError) -> str:
    """An OSError as words: the disk-full and permission cases say what to do."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return 'the disk is full (%s); free space and run again' % os.strerror(exc.errno)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return 'permission denied (%s)' % os.strerror(exc.errno)
    if isinstance(exc, PrivateFileError) or not exc.errno:
        return str(exc)
    return exc.strerror or os.strerror(exc.errno)


def safe_name(name: str, what: str = 'name') -> str:
    """``name`` as one folder name that cannot leave its parent: readable for DNS names and addresses,
    percent-encoded otherwise (``../x`` -> ``..%2Fx``, ``..`` -> ``%2E%2E``). The real name belongs in
    the files' own metadata; this is only where they are kept."""
    if not isinstance(name, str) or not name:
        raise PrivateFileError('%s is empty: it cannot name a folder' % what)
    if '\x00' in name:
        raise PrivateFileError('%s %r contains a NUL character: it cannot name a folder' % (what, name))
    if name in ('.', '..'):
        encoded = name.replace('.', '%2E')
    else:
        encoded = ''.join(c if c in _SAFE_NAME_CHARS else urllib.parse.quote(c, safe='') for c in name)
    if len(encoded.encode()) > _MAX_NAME_BYTES:
        raise PrivateFileError('%s %r is too long to name a folder' % (what, name))
    return encoded


def require_within(root: str, path: str, what: str = 'path') -> str:
    """``path`` (absolute), or PrivateFileError when it - symbolic links resolved - is not inside ``root``."""
    real_root = os.path.realpath(root)
    real_path = os.path.realpath(path)
    if real_path != real_root and not real_path.startswith(real_root.rstrip(os.sep) + os.sep):
        raise PrivateFileError('refusing to write %s %s: it is outside %s' % (what, path, root))
    return os.path.abspath(path)


def make_private_dir(path: str) -> bool:
    """Create ``path`` (missing parents as usual) with mode 0700 whatever the umask; True when created.
    An existing folder is left as it is (its owner chose its mode)."""
    path = os.path.abspath(path)
    if os.path.isdir(path):
        return False
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        if os.path.isdir(path):
            return False
        raise
    os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
    return True


def write_private(path: str, data: bytes, replace: bool = False) -> None:
    """Write ``path`` (0600) whole or not at all: the data goes to a temporary file beside it, is flushed to
    disk, and only then gets its name, so a full disk or a crash never leaves a half-written file. Without
    ``replace`` an existing file is never overwritten (FileExistsError)."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temp_path = tempfile.mkstemp(prefix='.tscal-', suffix='.part', dir=directory)  # mkstemp: 0600
    try:
        with os.fdopen(handle, 'wb') as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp_path, FILE_MODE)
        if replace:
            os.replace(temp_path, path)
        else:
            os.link(temp_path, path)  # fails if the name exists: nothing is overwritten
            os.unlink(temp_path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_path)
        raise


def read_limited(path: str, limit: int, what: str = 'file') -> bytes:
    """The bytes of the regular file ``path``, refusing anything else (a device, a FIFO, a folder) and
    anything larger than ``limit`` bytes without reading more than ``limit + 1`` of it."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0))
    except OSError as exc:
        raise PrivateFileError('cannot read %s %s: %s' % (what, path, describe(exc))) from None
    with os.fdopen(fd, 'rb') as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PrivateFileError('%s %s is not a regular file' % (what, path))
        if info.st_size > limit:
            raise PrivateFileError('%s %s is larger than %d bytes' % (what, path, limit))
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise PrivateFileError('%s %s is larger than %d bytes' % (what, path, limit))
    return data
