# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Registry text formats, pure Python: the ``.reg`` codec and a ``reg query /s`` parser (the MSLicensing layout
and the delete guard are the client store's, in ``_client_license``).

- ``parse_reg`` / ``write_reg``: ``.reg`` files exactly as ``reg export`` writes them (UTF-16LE with BOM,
  CRLF, hex data wrapped with ``,\\`` at reg.exe's width), so a parsed export is written back byte for byte.
- ``parse_reg_query``: the stdout of ``reg query <root> /s`` (Windows and Wine).
- ``normalize_key`` / ``is_within`` / ``relative_path``: key paths, compared ASCII case-insensitively.
- ``tree`` / ``relative_tree`` / ``only_under``: comparable views of a document.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

(REG_NONE, REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_LINK, REG_MULTI_SZ,
 REG_RESOURCE_LIST, REG_FULL_RESOURCE_DESCRIPTOR, REG_RESOURCE_REQUIREMENTS_LIST, REG_QWORD) = range(12)

TYPE_NAMES: dict[int, str] = {
    REG_NONE: 'REG_NONE',
    REG_SZ: 'REG_SZ',
    REG_EXPAND_SZ: 'REG_EXPAND_SZ',
    REG_BINARY: 'REG_BINARY',
    REG_DWORD: 'REG_DWORD',
    REG_DWORD_BIG_ENDIAN: 'REG_DWORD_BIG_ENDIAN',
    REG_LINK: 'REG_LINK',
    REG_MULTI_SZ: 'REG_MULTI_SZ',
    REG_RESOURCE_LIST: 'REG_RESOURCE_LIST',
    REG_FULL_RESOURCE_DESCRIPTOR: 'REG_FULL_RESOURCE_DESCRIPTOR',
    REG_RESOURCE_REQUIREMENTS_LIST: 'REG_RESOURCE_REQUIREMENTS_LIST',
    REG_QWORD: 'REG_QWORD',
}
TYPE_NUMBERS: dict[str, int] = {name: number for number, name in TYPE_NAMES.items()}

HEADER_V5 = 'Windows Registry Editor Version 5.00'
HEADER_V4 = 'REGEDIT4'
HEADERS = (HEADER_V5, HEADER_V4)
MAX_INPUT = 16 * 1024 * 1024
MAX_HEX_LINE = 77
"""reg.exe wraps hex data once a line holds this many characters (before the ``\\``); continuation
lines start with two spaces. Measured on Wine 8's ``reg export``."""

HIVES: dict[str, str] = {
    'HKLM': 'HKEY_LOCAL_MACHINE',
    'HKCU': 'HKEY_CURRENT_USER',
    'HKCR': 'HKEY_CLASSES_ROOT',
    'HKU': 'HKEY_USERS',
    'HKCC': 'HKEY_CURRENT_CONFIG',
}
_HIVE_BY_NAME: dict[str, str] = {**HIVES, **{long_name: long_name for long_name in HIVES.values()}}

Data = t.Union[str, int, bytes]


class RegFileError(ValueError):
    """A ``.reg`` file or ``reg query`` output that cannot be read, with the 1-based line of the problem."""

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        self.source = source
        self.line = line
        self.problem = problem
        where = source if line is None else '%s:%d' % (source, line)
        super().__init__('%s: %s' % (where, problem))


@dataclasses.dataclass(frozen=True)
class RegValue:
    name: str
    """'' for the default value (``@``)."""
    type: int | None
    """REG_* number; None means a deletion (``"name"=-``)."""
    data: Data | None
    """str for quoted strings (REG_SZ), int for ``dword:``, bytes for ``hex:``/``hex(n):``, None for deletions."""


@dataclasses.dataclass(frozen=True)
class RegKey:
    path: str
    """As written, e.g. ``HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing``."""
    values: tuple[RegValue, ...] = ()
    delete: bool = False
    """``[-path]``."""


@dataclasses.dataclass(frozen=True)
class RegDocument:
    keys: tuple[RegKey, ...]
    version: str = HEADER_V5


# ---------------------------------------------------------------------------------------------------------
# Key paths
# ---------------------------------------------------------------------------------------------------------

_CONTROL = re.compile('[\x00-\x1f\x7f]')


def _components(path: str) -> list[str]:
    """The validated components of a key path, hive in its long form first."""
    if not isinstance(path, str):
        raise ValueError('a registry key path must be a string, got %s' % type(path).__name__)
    if not path:
        raise ValueError('empty registry key path')
    if _CONTROL.search(path):
        raise ValueError('registry key path %r contains a control character' % path)
    parts = (path[:-1] if path.endswith('\\') else path).split('\\')
    # '/' is a legal character of a key name (a license key may hold one), never a separator; in the hive
    # it can only be a mistaken separator.
    if '/' in parts[0]:
        raise ValueError('registry key path %r contains a forward slash (use backslashes)' % path)
    if any(not part for part in parts):
        raise ValueError('registry key path %r has an empty component' % path)
    if any(part in ('.', '..') for part in parts):
        raise ValueError('registry key path %r has a relative component (. or ..)' % path)
    hive = _HIVE_BY_NAME.get(parts[0].upper()) if parts[0].isascii() else None
    if hive is None:
        raise ValueError('registry key path %r starts with an unknown hive %r (expected one of %s)'
                         % (path, parts[0], ', '.join(sorted(_HIVE_BY_NAME))))
    return [hive] + parts[1:]


def normalize_key(path: str) -> str:
    """``HKLM\\Software\\X\\`` -> ``HKEY_LOCAL_MACHINE\\Software\\X``; ValueError when not a usable path."""
    return '\\'.join(_components(path))


def _is_within(path: str, root: str, same_name: t.Callable[[str, str], bool]) -> bool:
    parts, root_parts = _components(path), _components(root)
    return len(parts) >= len(root_parts) and all(same_name(a, b) for a, b in zip(parts, root_parts))


def _ascii_equal(a: str, b: str) -> bool:
    # Strict on purpose: Unicode case folding maps e.g. 'ſ' (long s) to 's', Windows' upcase table may not.
    return a.isascii() and b.isascii() and a.lower() == b.lower()


def is_within(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or below it; ValueError when either is not a usable path."""
    return _is_within(path, root, _ascii_equal)


# ---------------------------------------------------------------------------------------------------------
# .reg reader
# ---------------------------------------------------------------------------------------------------------

_HEX_PREFIX = re.compile(r'hex(?:\(([0-9a-fA-F]{1,8})\))?:', re.IGNORECASE)
_DWORD = re.compile(r'dword:([0-9a-fA-F]{1,8})\s*', re.IGNORECASE)
_HEX_BYTE = re.compile(r'[0-9a-fA-F]{1,2}')
# What reg.exe and regedit write: two digits per byte, commas, no blanks (checked in one regex pass).
_HEX_BYTES_EXPORTED = re.compile(r'[0-9a-fA-F]{2}(?:,[0-9a-fA-F]{2})*')


def _decode(data: bytes | str, source: str) -> str:
    if isinstance(data, str):
        if len(data) > MAX_INPUT:
            raise RegFileError(source, None, 'not a .reg file: larger than %d characters' % MAX_INPUT)
        return data[1:] if data.startswith('\ufeff') else data
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise RegFileError(source, None, 'not a .reg file: expected bytes or str, got %s' % type(data).__name__)
    raw = bytes(data)
    if len(raw) > MAX_INPUT:
        raise RegFileError(source, None, 'not a .reg file: larger than %d bytes' % MAX_INPUT)
    try:
        if raw.startswith(b'\xff\xfe'):
            return raw[2:].decode('utf-16-le')
        if raw.startswith(b'\xfe\xff'):
            raise RegFileError(source, None, 'not a .reg file: UTF-16BE is not supported')
        return raw[3:].decode('utf-8') if raw.startswith(b'\xef\xbb\xbf') else raw.decode('utf-8')
    except UnicodeDecodeError:
        raise RegFileError(source, None, 'not a .reg file: neither UTF-16 (with BOM) nor UTF-8 text') from None


def _physical_lines(text: str) -> list[str]:
    return [line[:-1] if line.endswith('\r') else line for line in text.split('\n')]


def _read_header(lines: list[str], source: str) -> tuple[str, int]:
    """The version and the index of the first line after the header."""
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        header = line.strip()
        if header not in HEADERS:
            # Never quote the line: a file given as a backup by mistake may hold anything.
            raise RegFileError(source, index + 1, 'not a .reg file: the first line must be %r or %r'
                               % (HEADER_V5, HEADER_V4))
        return header, index + 1
    raise RegFileError(source, 1, 'not a .reg file: no %r header' % HEADER_V5)


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + '...'


def _read_quoted(text: str, start: int) -> tuple[str, int] | None:
    """The unescaped string opened by the quote at ``text[start]`` and the index after its closing quote."""
    out = []
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == '"':
            return ''.join(out), i + 1
        if c == '\\' and i + 1 < len(text) and text[i + 1] in '\\"':
            i += 1
            c = text[i]
        out.append(c)
        i += 1
    return None


def _parse_hex_bytes(text: str) -> bytes:
    """``aa,bb,...`` -> bytes; ValueError naming the first bad item."""
    if _HEX_BYTES_EXPORTED.fullmatch(text):
        return bytes.fromhex(text.replace(',', ''))
    if not text.strip():
        return b''
    items = [item.strip() for item in text.split(',')]
    for item in items:
        if not _HEX_BYTE.fullmatch(item):
            raise ValueError('bad hex byte %r' % _shorten(item))
    return bytes(int(item, 16) for item in items)


class _Reader:
    """Walks the lines after the header, building keys."""

    def __init__(self, lines: list[str], start: int, source: str) -> None:
        self.lines = lines
        self.index = start
        self.source = source
        self.keys: list[RegKey] = []
        self.values: list[RegValue] | None = None
        self.key_line = 0

    def error(self, line_no: int, problem: str) -> RegFileError:
        return RegFileError(self.source, line_no, problem)

    def run(self) -> tuple[RegKey, ...]:
        while self.index < len(self.lines):
            line_no = self.index + 1
            line = self.lines[self.index].strip(' \t')
            self.index += 1
            if not line or line.startswith(';'):
                continue
            if line.startswith('['):
                self.read_key(line, line_no)
            elif line.startswith('"') or line.startswith('@'):
                self.read_value(line, line_no)
            else:
                raise self.error(line_no, 'expected a [key], a "value"= line or a ; comment, got %r'
                                 % _shorten(line))
        self.close_key()
        return tuple(self.keys)

    def close_key(self) -> None:
        if self.values is not None:
            last = self.keys[-1]
            self.keys[-1] = dataclasses.replace(last, values=tuple(self.values))
        self.values = None

    def read_key(self, line: str, line_no: int) -> None:
        line = line.rstrip()
        if not line.endswith(']'):
            raise self.error(line_no, "key line does not end with ']'")
        delete = line.startswith('[-')
        path = line[2:-1] if delete else line[1:-1]
        try:
            _components(path)
        except ValueError as e:
            raise self.error(line_no, 'bad key: %s' % e) from None
        self.close_key()
        self.keys.append(RegKey(path=path, delete=delete))
        self.values = None if delete else []

    def read_value(self, line: str, line_no: int) -> None:
        if not self.keys:
            raise self.error(line_no, 'value outside any key')
        if self.values is None:
            raise self.error(line_no, 'value under the deleted key [-%s]' % self.keys[-1].path)
        name, rest = self.read_name(line, line_no)
        rest = rest.lstrip(' \t')
        if not rest.startswith('='):
            raise self.error(line_no, "expected '=' after the value name %r" % _shorten(name))
        self.values.append(self.read_data(name, rest[1:].lstrip(' \t'), line_no))

    def read_name(self, line: str, line_no: int) -> tuple[str, str]:
        if line.startswith('@'):
            return '', line[1:]
        quoted = _read_quoted(line, 0)
        if quoted is None:
            raise self.error(line_no, 'unterminated value name')
        name, end = quoted
        return name, line[end:]

    def read_data(self, name: str, text: str, line_no: int) -> RegValue:
        if text.rstrip() == '-':
            return RegValue(name, None, None)
        if text.startswith('"'):
            return RegValue(name, REG_SZ, self.read_string(text, line_no))
        dword = _DWORD.fullmatch(text)
        if dword:
            return RegValue(name, REG_DWORD, int(dword.group(1), 16))
        hex_prefix = _HEX_PREFIX.match(text)
        if hex_prefix:
            reg_type = REG_BINARY if hex_prefix.group(1) is None else int(hex_prefix.group(1), 16)
            data = self.read_continued(text[hex_prefix.end():])
            try:
                return RegValue(name, reg_type, _parse_hex_bytes(data))
            except ValueError as e:
                raise self.error(line_no, '%s in value %r' % (e, _shorten(name))) from None
        raise self.error(line_no, 'unrecognised data %r for value %r' % (_shorten(text), _shorten(name)))

    def read_string(self, text: str, line_no: int) -> str:
        quoted = _read_quoted(text, 0)
        if quoted is None:
            raise self.error(line_no, 'unterminated string')
        value, end = quoted
        if text[end:].strip():
            raise self.error(line_no, 'unexpected text after the string: %r' % _shorten(text[end:].strip()))
        return value

    def read_continued(self, data: str) -> str:
        """Hex data with its ``\\`` continuation lines joined."""
        first_line = self.index
        data = data.rstrip()
        while data.endswith('\\'):
            if self.index >= len(self.lines) or not self.lines[self.index].strip():
                raise self.error(first_line, 'hex data continues past the end of the value (blank line or end '
                                             'of file after a trailing backslash)')
            data = data[:-1] + self.lines[self.index].strip()
            self.index += 1
        return data


def parse_reg(data: bytes | str, source: str = '<reg>') -> RegDocument:
    """Read a ``.reg`` file (UTF-16LE with BOM, or UTF-8 with or without BOM; v5 or REGEDIT4)."""
    lines = _physical_lines(_decode(data, source))
    version, start = _read_header(lines, source)
    return RegDocument(keys=_Reader(lines, start, source).run(), version=version)


# ---------------------------------------------------------------------------------------------------------
# .reg writer
# ---------------------------------------------------------------------------------------------------------

_FORBIDDEN_IN_TEXT = re.compile('[\r\n\x00]')


def _escape(text: str, what: str) -> str:
    if _FORBIDDEN_IN_TEXT.search(text):
        raise ValueError('%s %r contains CR, LF or NUL, which a .reg string cannot hold' % (what, text))
    return text.replace('\\', '\\\\').replace('"', '\\"')


def _utf16_len(text: str) -> int:
    return len(text.encode('utf-16-le', 'surrogatepass')) // 2


def _hex_data(prefix_len: int, data: bytes) -> str:
    """Bytes as reg.exe writes them: ``aa,bb,...`` wrapped with ``,\\`` CRLF and two spaces."""
    pieces = []
    line_len = prefix_len
    for i, byte in enumerate(data):
        pieces.append('%02x' % byte)
        if i == len(data) - 1:
            break
        pieces.append(',')
        line_len += 3
        if line_len >= MAX_HEX_LINE:
            pieces.append('\\\r\n  ')
            line_len = 2
    return ''.join(pieces)


def _value_line(value: RegValue, key_path: str) -> str:
    name = '@=' if value.name == '' else '"%s"=' % _escape(value.name, 'value name')
    reg_type, data = value.type, value.data
    if reg_type is None and data is None:
        return name + '-'
    if isinstance(data, str) and reg_type == REG_SZ:
        return name + '"%s"' % _escape(data, 'string')
    if isinstance(data, int) and not isinstance(data, bool) and reg_type == REG_DWORD:
        if not 0 <= data <= 0xFFFFFFFF:
            raise ValueError('dword %r of value %r in [%s] is out of range' % (data, value.name, key_path))
        return name + 'dword:%08x' % data
    if isinstance(data, bytes) and isinstance(reg_type, int) and 0 <= reg_type <= 0xFFFFFFFF:
        prefix = name + ('hex:' if reg_type == REG_BINARY else 'hex(%x):' % reg_type)
        return prefix + _hex_data(_utf16_len(prefix), data)
    raise ValueError('value %r in [%s] cannot be written: type %r with %s data (str needs REG_SZ, int needs '
                     'REG_DWORD, bytes any type, None None)' % (value.name, key_path, reg_type, type(data).__name__))


def _key_block(key: RegKey) -> str:
    _components(key.path)
    if key.delete:
        if key.values:
            raise ValueError('deleted key [-%s] cannot hold values' % key.path)
        return '\r\n[-%s]\r\n' % key.path
    lines = ['', '[%s]' % key.path] + [_value_line(value, key.path) for value in key.values]
    return '\r\n'.join(lines) + '\r\n'


def write_reg(doc: RegDocument, encoding: str = 'utf-16') -> bytes:
    """The document as reg.exe exports it: 'utf-16' = UTF-16LE with BOM (reg export), 'utf-8' = no BOM; CRLF.

    Give ``reg import`` the 'utf-16' form: Wine 8 reads a file without BOM as ANSI, so non-ASCII text turns
    into mojibake and hex(2)/hex(7) data gets widened byte by byte.
    """
    if doc.version not in HEADERS:
        raise ValueError('unknown .reg version %r' % doc.version)
    text = doc.version + '\r\n' + ''.join(_key_block(key) for key in doc.keys) + '\r\n'
    if encoding == 'utf-16':
        return b'\xff\xfe' + text.encode('utf-16-le')
    if encoding == 'utf-8':
        return text.encode('utf-8')
    raise ValueError("encoding must be 'utf-16' or 'utf-8', not %r" % encoding)


# ---------------------------------------------------------------------------------------------------------
# reg query /s output
# ---------------------------------------------------------------------------------------------------------

_QUERY_VALUE = re.compile(r'    (.*?)    (REG_[A-Z_]+)(?:    (.*))?')
_HEX_STRING = re.compile(r'(?:[0-9a-fA-F]{2})*')
_NUMBER = re.compile(r'0[xX][0-9a-fA-F]+')


def _query_data(reg_type: int, text: str) -> Data:
    """Data as reg query prints it -> str, int or bytes. A number reg cannot print (Wine 8 prints REG_QWORD
    as ``(null)``) stays the raw str."""
    if reg_type in (REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_LINK):
        return text
    if reg_type in (REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_QWORD):
        return int(text, 16) if _NUMBER.fullmatch(text) else text
    if not _HEX_STRING.fullmatch(text):
        raise ValueError('bad hex data %r' % _shorten(text))
    return bytes.fromhex(text)


def parse_reg_query(text: str, root: str, source: str = '<reg query>', *,
                    default_name: str | None = None) -> RegDocument:
    """Read the stdout of ``reg query <root> /s``; ``root`` (normalized) is always the first key.

    Value names are kept literally: the unnamed value appears as ``(Default)`` (or its localized form) unless
    ``default_name`` names that spelling, which is then mapped to ''.
    """
    try:
        root_path = normalize_key(root)
        if not isinstance(text, str):
            raise ValueError('reg query output must be str, got %s' % type(text).__name__)
    except ValueError as e:
        raise RegFileError(source, None, str(e)) from None
    keys: list[tuple[str, list[RegValue]]] = []
    for line_no, line in enumerate(_physical_lines(text), start=1):
        if not line.strip() or line.startswith('End of search'):
            continue
        if not line[0].isspace():
            keys.append((_query_key(line.rstrip(), source, line_no), []))
            continue
        if not keys:
            raise RegFileError(source, line_no, 'value outside any key')
        keys[-1][1].append(_query_value(line, source, line_no, default_name))
    if not keys or not _ascii_equal(keys[0][0], root_path):
        keys.insert(0, (root_path, []))
    return RegDocument(keys=tuple(RegKey(path, tuple(values)) for path, values in keys))


def _query_key(path: str, source: str, line_no: int) -> str:
    try:
        _components(path)
    except ValueError as e:
        raise RegFileError(source, line_no, 'bad key: %s' % e) from None
    return path


def _query_value(line: str, source: str, line_no: int, default_name: str | None) -> RegValue:
    match = _QUERY_VALUE.fullmatch(line)
    if not match or match.group(2) not in TYPE_NUMBERS:
        raise RegFileError(source, line_no, 'expected "    <name>    <REG_TYPE>    <data>", got %r' % _shorten(line))
    name, reg_type = match.group(1), TYPE_NUMBERS[match.group(2)]
    try:
        data = _query_data(reg_type, match.group(3) or '')
    except ValueError as e:
        raise RegFileError(source, line_no, '%s in value %r' % (e, _shorten(name))) from None
    return RegValue('' if default_name is not None and name == default_name else name, reg_type, data)


# ---------------------------------------------------------------------------------------------------------
# Comparable views
# ---------------------------------------------------------------------------------------------------------

def _utf16_text(data: bytes) -> str | None:
    if len(data) % 2:
        return None
    try:
        return data.decode('utf-16-le')
    except UnicodeDecodeError:
        return None


def _canonical(reg_type: int, data: Data) -> Data:
    """One form per content, whether it came from an export or a query: SZ/EXPAND_SZ -> str up to the first
    NUL, MULTI_SZ -> items joined by a literal ``\\0`` (as reg query prints them), DWORD/QWORD -> int."""
    if not isinstance(data, bytes):
        return data
    if reg_type in (REG_SZ, REG_EXPAND_SZ):
        text = _utf16_text(data)
        return data if text is None else text.split('\0', 1)[0]
    if reg_type == REG_MULTI_SZ:
        text = _utf16_text(data)
        return data if text is None else '\\0'.join(item for item in text.rstrip('\0').split('\0'))
    if reg_type == REG_DWORD and len(data) == 4 or reg_type == REG_QWORD and len(data) == 8:
        return int.from_bytes(data, 'little')
    return data


def tree(doc: RegDocument) -> dict[str, dict[str, tuple[int, Data]]]:
    """``normalize_key(path)`` -> {value name: (type, data)} for the keys the document sets (not ``[-key]``);
    repeated keys merge, ``"v"=-`` removes. Two exports of the same content give equal trees."""
    result: dict[str, dict[str, tuple[int, Data]]] = {}
    for key in doc.keys:
        if key.delete:
            continue
        values = result.setdefault(normalize_key(key.path), {})
        for value in key.values:
            if value.type is None or value.data is None:
                values.pop(value.name, None)
            else:
                values[value.name] = (value.type, _canonical(value.type, value.data))
    return result


def relative_path(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` ('' for root itself), None when outside it or unparsable. The root's
    components compare ASCII case-insensitively, as the guard does: ``Micro\u017foft`` is another key."""
    try:
        if not _is_within(path, root, _ascii_equal):
            return None
    except ValueError:
        return None
    return '\\'.join(_components(path)[len(_components(root)):])


def relative_tree(doc: RegDocument, root: str) -> dict[str, dict[str, tuple[int, Data]]]:
    """``tree(doc)`` restricted to ``root`` with paths relative to it ('' for root)."""
    normalize_key(root)
    result = {}
    for path, values in tree(doc).items():
        relative = relative_path(path, root)
        if relative is not None:
            result[relative] = values
    return result


def only_under(doc: RegDocument, root: str) -> list[str]:
    """The key paths of ``doc`` that are NOT inside ``root`` (empty: the document holds only that tree)."""
    normalize_key(root)
    return [key.path for key in doc.keys if relative_path(key.path, root) is None]


def data_size(reg_type: int, data: Data) -> int:
    if isinstance(data, bytes):
        return len(data)
    if isinstance(data, str):
        return len(data.encode('utf-16-le', 'surrogatepass')) + 2
    return 8 if reg_type == REG_QWORD else 4


def lookup_value(values: dict[str, tuple[int, Data]], name: str) -> Data | None:
    for value_name, (_reg_type, data) in values.items():
        if value_name.casefold() == name.casefold():
            return data
    return None


def lookup(relative: dict[str, dict[str, tuple[int, Data]]], path: str, name: str) -> Data | None:
    for key_path, values in relative.items():
        if key_path.casefold() == path.casefold():
            return lookup_value(values, name)
    return None
