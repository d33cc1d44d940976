# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Where the ledger lives: one URL, resolved, parsed and masked (the password never leaves this module
except to the database driver)."""

from __future__ import annotations

import dataclasses
import typing as t
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from .. import _defaults

ENV_VAR = _defaults.LEDGER_URL_ENV
DEFAULT_SQLITE_PATH = _defaults.DEFAULT_LEDGER_PATH
MASK = '***'
SQLITE = 'sqlite'
POSTGRESQL = 'postgresql'
_POSTGRES_SCHEMES = ('postgresql', 'postgres')
# Our own URL parameter, taken out before the URL reaches a driver.
TIMEOUT_PARAM = 'timeout'


class LedgerError(Exception):
    """Any ledger failure; the message names the ledger by its masked URL and never holds a password."""


def default_url() -> str:
    """The URL used when none is given: ``$TSCAL_LEDGER_URL``, else the per-user SQLite file."""
    return _defaults.ledger_url()


def mask_url(url: str) -> str:
    """``url`` with any password (in the userinfo or a ``password=`` parameter) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return '<unparsable ledger URL>'
    has_password_param = any(k.lower() == 'password' for k, _v in parse_qsl(parts.query))
    if not parts.password and not has_password_param:
        return url  # nothing to hide; rebuilding would also turn sqlite:///x into sqlite:/x
    netloc = parts.netloc
    if '@' in netloc:
        userinfo, _sep, hostinfo = netloc.rpartition('@')
        user, has_password, _password = userinfo.partition(':')
        netloc = '%s%s@%s' % (user, ':' + MASK if has_password else '', hostinfo)
    query = [(k, MASK if k.lower() == 'password' else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe='*/:'), parts.fragment))


@dataclasses.dataclass(frozen=True)
class LedgerLocation:
    """A parsed ledger URL. ``repr`` and ``display`` are masked; only ``driver_url`` holds the secret."""

    scheme: str
    display: str
    driver_url: str = dataclasses.field(repr=False)
    path: str | None = None
    timeout: float | None = None
    secrets: tuple[str, ...] = dataclasses.field(default=(), repr=False)

    def scrub(self, text: str) -> str:
        """Remove this URL's secrets from a driver message (drivers sometimes echo connection strings)."""
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, MASK)
        return text


def parse_url(url: str | None) -> LedgerLocation:
    """Parse ``url`` (``None`` or empty: :func:`default_url`)."""
    url = url or default_url()
    display = mask_url(url)
    if '\x00' in url:
        # Neither SQLite's file names nor libpq's connection strings can hold one ("embedded null byte").
        raise LedgerError('invalid ledger URL %s: it contains a NUL character' % display.replace('\x00', '\\0'))
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise LedgerError('invalid ledger URL %s: %s' % (display, exc)) from None
    params = parse_qsl(parts.query, keep_blank_values=True)
    timeout = _timeout_of(params, display)
    rest = [(k, v) for k, v in params if k != TIMEOUT_PARAM]
    if parts.scheme == SQLITE:
        return _sqlite_location(parts.netloc, parts.path, rest, timeout, display)
    if parts.scheme in _POSTGRES_SCHEMES:
        driver_url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), parts.fragment))
        secrets = _secrets_of(parts.password, rest)
        return LedgerLocation(POSTGRESQL, display, driver_url, timeout=timeout, secrets=secrets)
    raise LedgerError('unsupported ledger URL %s: use sqlite:///absolute/path or postgresql://...' % display)


def _timeout_of(params: list[tuple[str, str]], display: str) -> float | None:
    values = [v for k, v in params if k == TIMEOUT_PARAM]
    if not values:
        return None
    try:
        timeout = float(values[-1])
    except ValueError:
        raise LedgerError('invalid timeout in ledger URL %s' % display) from None
    if timeout < 0:
        raise LedgerError('negative timeout in ledger URL %s' % display)
    return timeout


def _sqlite_location(netloc: str, path: str, rest: list[tuple[str, str]], timeout: float | None,
                     display: str) -> LedgerLocation:
    if netloc or not path.startswith('/') or rest:
        raise LedgerError('invalid SQLite ledger URL %s: use sqlite:///absolute/path/ledger.sqlite3 '
                          '(optionally ?timeout=SECONDS)' % display)
    path = unquote(path)
    return LedgerLocation(SQLITE, display, path, path=path, timeout=timeout)


def _secrets_of(password: str | None, params: list[tuple[str, str]]) -> tuple[str, ...]:
    found = [password] if password else []
    found += [v for k, v in params if k.lower() == 'password' and v]
    # Both spellings: drivers may echo either the decoded or the percent-encoded form.
    return tuple({s for p in found for s in (p, unquote(p), quote(unquote(p), safe=''))})


def location_for_display(url: str | None) -> str:
    """The masked form of ``url`` (or of the default), for messages and results."""
    try:
        return parse_url(url).display
    except LedgerError:
        return mask_url(url or default_url())


__all__: t.Sequence[str] = ('ENV_VAR', 'DEFAULT_SQLITE_PATH', 'LedgerError', 'LedgerLocation', 'default_url',
                            'mask_url', 'parse_url', 'location_for_display')
