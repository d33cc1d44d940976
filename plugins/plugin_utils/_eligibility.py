# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Which Windows clients a KB 315262 TS/RDS CAL transfer applies to, and what OS a client runs.

Pure Python (no Ansible imports) so the action plugin, the filter and the unit tests share one policy.

* ``ELIGIBILITY_MATRIX`` is THE table: every decision comes from one of its rows, and every row names its
  sources. Admins read it here and override it with rows of the same shape (``matrix_override``), which are
  matched before the built-in rows.
* ``parse_current_version`` turns the values of ``HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion``
  into an OS descriptor; ``os_from_declared`` does the same for hosts that exist only as inventory records
  (Windows 2000/XP cannot be reached by Ansible).
* ``decide`` combines a descriptor with the licensing context. Bad or missing data never raises: it gives
  ``'unknown'`` with a reason. Only an invalid admin override raises ``MatrixError`` (a configuration bug).
"""

from __future__ import annotations

import re
import typing as t

UNKNOWN = 'unknown'
Tristate = t.Union[bool, str]  # True, False or UNKNOWN

LICENSING_MODES: tuple[str, ...] = ('per_device', 'per_user')
PRODUCT_TYPES: tuple[str, ...] = ('client', 'server')


class OsRow(t.NamedTuple):
    """One OS family: everything the collection knows about it, in one row of ``OS_FAMILIES``."""
    family: str
    name: str
    product_type: str  # 'client', 'server' or 'other' (thin clients, non-Windows)
    # CurrentVersion of the NT release; None where the CurrentVersion key cannot tell (pre-NT, non-Windows).
    nt_version: t.Optional[str] = None
    # NT 10.0 releases share one version: a server's build, or the first build of a client release.
    build: t.Optional[int] = None
    # How people write the product name in inventory declarations (a regular expression, lower case).
    declared_name: t.Optional[str] = None
    # The license server generation a server of this family is, as admins name it (-e ..._license_server=2019).
    generation: t.Optional[str] = None


# THE table of OS families and license server generations: adding an OS or a generation is one row here;
# the family lists, names, detection, declared-name matching and the matrix's server lists derive from it.
# The pre-NT-5 families and the non-Windows ones cannot be detected from the CurrentVersion key (9x has no
# "Windows NT" key, thin clients no registry we read); they come from inventory declarations only.
OS_FAMILIES: tuple[OsRow, ...] = (
    OsRow('windows_3x', 'Windows 3.x', 'client', declared_name=r'windows\s*(3\.\d+|for\s+workgroups)'),
    OsRow('windows_9x', 'Windows 9x', 'client', declared_name=r'windows\s*(95|98|me|millennium)\b'),
    OsRow('windows_nt4', 'Windows NT 4.0', 'client', '4.0', declared_name=r'windows\s*nt\s*4'),
    OsRow('windows_2000', 'Windows 2000', 'client', '5.0', declared_name=r'windows\s*2000', generation='2000'),
    OsRow('windows_xp', 'Windows XP', 'client', '5.1', declared_name=r'windows\s*xp'),
    OsRow('windows_vista', 'Windows Vista', 'client', '6.0', declared_name=r'windows\s*vista'),
    OsRow('windows_7', 'Windows 7', 'client', '6.1', declared_name=r'windows\s*7\b'),
    OsRow('windows_8', 'Windows 8', 'client', '6.2', declared_name=r'windows\s*8\b(?!\.\d)'),
    OsRow('windows_8_1', 'Windows 8.1', 'client', '6.3', declared_name=r'windows\s*8\.1'),
    OsRow('windows_10', 'Windows 10', 'client', '10.0', 0, r'windows\s*10\b'),
    # Windows 11 keeps ProductName "Windows 10 ..." on real machines: only the build tells.
    OsRow('windows_11', 'Windows 11', 'client', '10.0', 22000, r'windows\s*11\b'),
    OsRow('windows_server_2003', 'Windows Server 2003', 'server', '5.2', declared_name=r'server\s*2003',
          generation='2003'),
    OsRow('windows_server_2008', 'Windows Server 2008', 'server', '6.0',
          declared_name=r'server\s*\(?r?\)?\s*2008(?!\s*r2)', generation='2008'),
    OsRow('windows_server_2008_r2', 'Windows Server 2008 R2', 'server', '6.1',
          declared_name=r'server\s*\(?r?\)?\s*2008\s*r2', generation='2008R2'),
    OsRow('windows_server_2012', 'Windows Server 2012', 'server', '6.2',
          declared_name=r'server\s*2012(?!\s*r2)', generation='2012'),
    OsRow('windows_server_2012_r2', 'Windows Server 2012 R2', 'server', '6.3',
          declared_name=r'server\s*2012\s*r2', generation='2012R2'),
    OsRow('windows_server_2016', 'Windows Server 2016', 'server', '10.0', 14393, r'server\s*2016', '2016'),
    OsRow('windows_server_2019', 'Windows Server 2019', 'server', '10.0', 17763, r'server\s*2019', '2019'),
    OsRow('windows_server_2022', 'Windows Server 2022', 'server', '10.0', 20348, r'server\s*2022', '2022'),
    OsRow('windows_server_2025', 'Windows Server 2025', 'server', '10.0', 26100, r'server\s*2025', '2025'),
    # An NT 10.0 server whose build is none of the above.
    OsRow('windows_server', 'Windows Server', 'server'),
    OsRow('windows_ce', 'Windows CE', 'other', declared_name=r'windows\s*(ce|embedded\s+compact)'),
    OsRow('non_windows', 'non-Windows client', 'other'),
    # Linux thin clients (FreeRDP, rdesktop): every one needs a purchased CAL, none has a built-in one.
    OsRow('linux', 'Linux thin client', 'other', declared_name=r'\blinux\b'),
)


def _nt(version: t.Optional[str]) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split('.')) if version else ()


LICENSE_SERVER_GENERATIONS: tuple[str, ...] = tuple(row.generation for row in OS_FAMILIES if row.generation)
CLIENT_FAMILIES: tuple[str, ...] = tuple(row.family for row in OS_FAMILIES if row.product_type == 'client')
SERVER_FAMILIES: tuple[str, ...] = tuple(row.family for row in OS_FAMILIES if row.product_type == 'server')
OTHER_FAMILIES: tuple[str, ...] = tuple(row.family for row in OS_FAMILIES if row.product_type == 'other')
FAMILIES: tuple[str, ...] = CLIENT_FAMILIES + SERVER_FAMILIES + OTHER_FAMILIES

# Remote Desktop Services (NT 6.0, Windows Server 2008) and later.
_MODERN_SERVERS = tuple(row.generation for row in OS_FAMILIES if row.generation and _nt(row.nt_version) >= (6,))
# Windows Server 2003 (NT 5.2, no desktop OS equivalency) and later.
_SERVERS_FROM_2003 = tuple(row.generation for row in OS_FAMILIES
                           if row.generation and _nt(row.nt_version) >= (5, 2))
_NT6_AND_LATER_CLIENTS = tuple(row.family for row in OS_FAMILIES
                               if row.product_type == 'client' and _nt(row.nt_version) >= (6,))
_PRE_W2K_AND_NON_WINDOWS = tuple(row.family for row in OS_FAMILIES
                                 if row.product_type == 'other'
                                 or (row.product_type == 'client' and _nt(row.nt_version) < (5,)))

# Source names, written once so every row cites them the same way.
KB_315262 = 'KB 315262 (How to transfer Terminal Services CAL from one client computer to another)'
KB_248430 = 'KB 248430 (Windows 2000: How to transfer Terminal Services CAL from one computer to another)'
KB_823313 = 'KB 823313 (Windows Server 2003 Terminal Server licensing issues and requirements)'
TS_TRANSITION_BRIEF = 'Microsoft brief "Terminal Server Licensing and Transition Plan" (Jan 2005)'
PROFESSOR_WINDOWS_2001 = 'Microsoft "Professor Windows" on Terminal Services licensing (Jun 2001)'
RDS_CAL_DOC = 'MicrosoftDocs windowsserverdocs rds-client-access-license.md (License RDS with CALs)'
NOT_CONFIRMED = ('not confirmed: KB 315262 and KB 823313 name only the Windows 2000-era client OSes, and no '
                 'Microsoft source covers this client with a Windows 2000 license server')

# ---------------------------------------------------------------------------------------------------------
# THE eligibility matrix; each row names its sources. First matching row wins, so narrow rows precede wide ones.
# Match keys ('families', 'editions', 'product_types', 'servers', 'modes') are lists; a missing key matches
# anything. 'editions' values are normalized editions ('home', 'professional', ...) or UNKNOWN.
# ---------------------------------------------------------------------------------------------------------
ELIGIBILITY_MATRIX: tuple[dict[str, t.Any], ...] = (
    {
        'id': 'w2k-ts-per-user',
        'servers': ['2000'], 'modes': ['per_user'],
        'cal_required': UNKNOWN, 'built_in_license': UNKNOWN, 'transfer_applicable': UNKNOWN,
        'reason': 'Windows 2000 Terminal Services licensing is per-device only; a per-user context for a '
                  'Windows 2000 server is contradictory',
        'references': [TS_TRANSITION_BRIEF],
    },
    {
        'id': 'per-user',
        'servers': list(_SERVERS_FROM_2003), 'modes': ['per_user'],
        'cal_required': True, 'built_in_license': False, 'transfer_applicable': False,
        'reason': 'per-user licensing: the CAL belongs to the user, not the device, so nothing in MSLicensing '
                  'is worth transferring',
        'references': [RDS_CAL_DOC, KB_823313],
    },
    {
        'id': 'w2k-ts/windows-2000',
        'families': ['windows_2000'], 'servers': ['2000'], 'modes': ['per_device'],
        'cal_required': False, 'built_in_license': True, 'transfer_applicable': False,
        'reason': 'a TS CAL is included with every version of Windows 2000, so a Windows 2000 license server '
                  'issues no purchased CAL to transfer',
        'references': [KB_315262, KB_248430],
    },
    {
        'id': 'w2k-ts/xp-professional',
        'families': ['windows_xp'], 'editions': ['professional'], 'servers': ['2000'], 'modes': ['per_device'],
        'cal_required': False, 'built_in_license': True, 'transfer_applicable': False,
        'reason': 'Windows XP Professional includes a TS CAL against a Windows 2000 license server; the '
                  'transfer procedure is not necessary',
        'references': [KB_315262],
    },
    {
        'id': 'w2k-ts/xp-home',
        'families': ['windows_xp'], 'editions': ['home'], 'servers': ['2000'], 'modes': ['per_device'],
        'cal_required': True, 'built_in_license': False, 'transfer_applicable': True,
        'reason': 'Windows XP Home Edition requires a purchased TS CAL, which KB 315262 lets you transfer once',
        'references': [KB_315262],
    },
    {
        'id': 'w2k-ts/xp-other-edition',
        'families': ['windows_xp'], 'servers': ['2000'], 'modes': ['per_device'],
        'cal_required': UNKNOWN, 'built_in_license': UNKNOWN, 'transfer_applicable': UNKNOWN,
        'reason': 'KB 315262 treats Windows XP Home (needs a TS CAL) and Professional (built-in) differently '
                  'and this edition is neither or not known; declare the edition',
        'references': [KB_315262],
    },
    {
        'id': 'w2k-ts/pre-w2k-and-non-windows',
        'families': list(_PRE_W2K_AND_NON_WINDOWS), 'servers': ['2000'], 'modes': ['per_device'],
        'cal_required': True, 'built_in_license': False, 'transfer_applicable': True,
        'reason': 'clients older than Windows 2000 and non-Windows clients get no built-in license from a '
                  'Windows 2000 license server and consume a purchased per-device TS CAL',
        'references': [PROFESSOR_WINDOWS_2001, TS_TRANSITION_BRIEF],
    },
    {
        'id': 'w2k-ts/nt6-clients',
        'families': list(_NT6_AND_LATER_CLIENTS), 'servers': ['2000'], 'modes': ['per_device'],
        'cal_required': UNKNOWN, 'built_in_license': UNKNOWN, 'transfer_applicable': UNKNOWN,
        'reason': 'no source says whether Windows Vista and later get a built-in license from a Windows 2000 '
                  'license server ("corresponding or later Professional OS" is vague, Home editions unclear)',
        'references': [TS_TRANSITION_BRIEF, NOT_CONFIRMED],
    },
    {
        'id': 'w2k-ts/server-2003-and-later-clients',
        'families': list(SERVER_FAMILIES), 'servers': ['2000'], 'modes': ['per_device'],
        'cal_required': UNKNOWN, 'built_in_license': UNKNOWN, 'transfer_applicable': UNKNOWN,
        'reason': 'no source says whether Windows Server 2003 or later, used as a client, gets a built-in '
                  'license from a Windows 2000 license server',
        'references': [NOT_CONFIRMED],
    },
    {
        'id': 'ws2003-ts/per-device',
        'servers': ['2003'], 'modes': ['per_device'],
        'cal_required': True, 'built_in_license': False, 'transfer_applicable': True,
        'reason': 'from Windows Server 2003 on every device needs a purchased TS CAL whatever its OS (desktop '
                  'OS equivalency ended), so its per-device CAL can be transferred',
        'references': [KB_823313, TS_TRANSITION_BRIEF, KB_315262],
    },
    {
        'id': 'rds-2008-and-later/per-device',
        'servers': list(_MODERN_SERVERS), 'modes': ['per_device'],
        'cal_required': True, 'built_in_license': False, 'transfer_applicable': True,
        'reason': 'Remote Desktop Services issues a purchased per-device RDS CAL to every device whatever its OS',
        'references': [RDS_CAL_DOC, KB_823313],
    },
)

_MATCH_KEYS = ('families', 'editions', 'product_types', 'servers', 'modes')
_DECISION_KEYS = ('cal_required', 'built_in_license', 'transfer_applicable')
_ROW_KEYS = frozenset(('id', 'reason', 'references') + _MATCH_KEYS + _DECISION_KEYS)


class MatrixError(ValueError):
    """An override row is malformed: a configuration error to report, not a client fact."""


# ---------------------------------------------------------------------------------------------------------
# Policy
# ---------------------------------------------------------------------------------------------------------

def _tristate(value: t.Any, where: str) -> Tristate:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ('unknown', 'true', 'false', 'yes', 'no'):
        word = value.strip().lower()
        return UNKNOWN if word == 'unknown' else word in ('true', 'yes')
    raise MatrixError('%s must be true, false or "unknown", got %r' % (where, value))


def validate_row(row: t.Mapping[str, t.Any], where: str = 'matrix row') -> dict[str, t.Any]:
    """Return a normalized copy of a matrix row, or raise MatrixError saying what is wrong with it."""
    if not isinstance(row, t.Mapping):
        raise MatrixError('%s must be a mapping, got %r' % (where, row))
    extra = set(row) - _ROW_KEYS
    if extra:
        raise MatrixError('%s has unknown keys %s (allowed: %s)' % (where, sorted(extra), sorted(_ROW_KEYS)))
    missing = [key for key in _DECISION_KEYS + ('reason',) if key not in row]
    if missing:
        raise MatrixError('%s lacks %s' % (where, ', '.join(missing)))
    allowed = {'families': FAMILIES + (UNKNOWN,), 'editions': None, 'product_types': PRODUCT_TYPES + (UNKNOWN,),
               'servers': LICENSE_SERVER_GENERATIONS, 'modes': LICENSING_MODES}
    normalized: dict[str, t.Any] = {'id': str(row.get('id') or where), 'reason': str(row['reason'])}
    for key in _MATCH_KEYS:
        if key not in row or row[key] is None:
            continue
        values = row[key]
        if isinstance(values, str) or not isinstance(values, t.Iterable):
            values = [values]
        values = [_normalize_generation(v) if key == 'servers' else str(v).strip().lower() for v in values]
        choices = allowed[key]
        bad = [v for v in values if choices is not None and v not in choices]
        if bad:
            raise MatrixError('%s: %s %s not in %s' % (where, key, bad, list(choices or ())))
        normalized[key] = tuple(values)
    for key in _DECISION_KEYS:
        normalized[key] = _tristate(row[key], '%s %s' % (where, key))
    references = row.get('references') or []
    normalized['references'] = tuple(str(r) for r in ([references] if isinstance(references, str) else references))
    return normalized


def effective_matrix(matrix_override: t.Optional[t.Sequence[t.Mapping[str, t.Any]]] = None
                     ) -> tuple[dict[str, t.Any], ...]:
    """Override rows (matched first) followed by the built-in rows, all validated."""
    if isinstance(matrix_override, (t.Mapping, str)):
        raise MatrixError('matrix_override must be a list of rows, got %s' % type(matrix_override).__name__)
    overrides = list(matrix_override or [])
    rows = [validate_row(row, 'matrix_override[%d]' % i) for i, row in enumerate(overrides)]
    rows += [validate_row(row, 'built-in row %s' % row.get('id')) for row in ELIGIBILITY_MATRIX]
    return tuple(rows)


def _normalize_generation(value: t.Any) -> str:
    # Admins write 2012 (an int in YAML), '2012 R2', '2012r2' ...; one spelling inside.
    return re.sub(r'\s+', '', str(value)).upper()


def license_server_generation(value: t.Any, variable: str = 'license_server') -> dict[str, str | None]:
    """``{'generation': '2012R2' | None, 'error': '' | why not}`` for an admin's spelling of a server generation
    (None and blank are "not set")."""
    text = '' if value is None else str(value).strip()
    generation = _normalize_generation(text)
    if generation in LICENSE_SERVER_GENERATIONS:
        return {'generation': generation, 'error': ''}
    return {'generation': None,
            'error': '%s is %s: give the license server generation, one of %s, e.g. -e %s=2019'
                     % (variable, "'%s'" % text if text else 'not set', ', '.join(LICENSE_SERVER_GENERATIONS),
                        variable)}


def _row_matches(row: t.Mapping[str, t.Any], facts: t.Mapping[str, str]) -> bool:
    for key, fact in (('families', 'family'), ('editions', 'edition'), ('product_types', 'product_type'),
                      ('servers', 'server'), ('modes', 'mode')):
        if key in row and facts[fact] not in row[key]:
            return False
    return True


def _unknown_decision(reason: str, os_info: t.Mapping[str, t.Any],
                      references: t.Sequence[str] = (), rule: t.Optional[str] = None) -> dict[str, t.Any]:
    return {'cal_required': UNKNOWN, 'built_in_license': UNKNOWN, 'transfer_applicable': UNKNOWN,
            'reason': reason, 'references': list(references), 'rule': rule, 'os': dict(os_info)}


def decide(os_info: t.Mapping[str, t.Any], license_server: t.Any = None, licensing_mode: t.Any = None,
           matrix_override: t.Optional[t.Sequence[t.Mapping[str, t.Any]]] = None) -> dict[str, t.Any]:
    """Decide whether a CAL transfer applies to a client described by ``os_info`` (a descriptor).

    Returns cal_required, built_in_license, transfer_applicable (True/False/'unknown'), reason, references,
    rule (the matrix row id, or None) and os. Raises MatrixError only for a malformed ``matrix_override``.
    """
    rows = effective_matrix(matrix_override)
    os_info = dict(os_info or {})
    family = str(os_info.get('family') or UNKNOWN)
    if family == UNKNOWN or family not in FAMILIES:
        return _unknown_decision('client OS unknown: %s' % (os_info.get('reason') or 'no OS facts'), os_info)
    if license_server is None or str(license_server).strip() == '':
        return _unknown_decision('license server generation not given (one of %s)'
                                 % ', '.join(LICENSE_SERVER_GENERATIONS), os_info)
    server = _normalize_generation(license_server)
    if server not in LICENSE_SERVER_GENERATIONS:
        return _unknown_decision('license server generation %r is not one of %s'
                                 % (license_server, ', '.join(LICENSE_SERVER_GENERATIONS)), os_info)
    mode = str(licensing_mode or '').strip().lower().replace('-', '_')
    if mode not in LICENSING_MODES:
        return _unknown_decision('licensing mode %r is not one of %s' % (licensing_mode, ', '.join(LICENSING_MODES)),
                                 os_info)
    facts = {'family': family, 'edition': str(os_info.get('edition') or UNKNOWN),
             'product_type': str(os_info.get('product_type') or UNKNOWN), 'server': server, 'mode': mode}
    for row in rows:
        if _row_matches(row, facts):
            decision = {key: row[key] for key in _DECISION_KEYS}
            decision.update(reason=row['reason'], references=list(row['references']), rule=row['id'], os=os_info)
            return decision
    return _unknown_decision('no eligibility matrix row covers %s %s against a %s license server in %s mode'
                             % (family, facts['edition'], server, mode), os_info)


# ---------------------------------------------------------------------------------------------------------
# OS detection
# ---------------------------------------------------------------------------------------------------------

_FAMILY_NAMES = {row.family: row.name for row in OS_FAMILIES}
# NT 6.x: (version, product type) -> family, for the releases told apart by version alone.
_NT6_FAMILIES = {(row.nt_version, row.product_type): row.family for row in OS_FAMILIES
                 if _nt(row.nt_version)[:1] == (6,)}
# NT 10.0 servers are told apart by build only (all report 10.0); clients by the first build of a release.
_NT10_SERVER_BUILDS = {row.build: row.family for row in OS_FAMILIES
                       if row.nt_version == '10.0' and row.product_type == 'server'}
_NT10_CLIENT_FIRST_BUILDS = sorted((row.build or 0, row.family) for row in OS_FAMILIES
                                   if row.nt_version == '10.0' and row.product_type == 'client')


def _nt10_client(build: int) -> str:
    """The latest NT 10.0 client release whose first build ``build`` reaches (the first one for older builds)."""
    family = _NT10_CLIENT_FIRST_BUILDS[0][1]
    for first, name in _NT10_CLIENT_FIRST_BUILDS:
        if build >= first:
            family = name
    return family


CURRENT_VERSION_VALUES = ('ProductName', 'EditionID', 'CurrentVersion', 'CurrentBuild', 'CurrentBuildNumber',
                          'CSDVersion', 'InstallationType', 'CurrentMajorVersionNumber', 'CurrentMinorVersionNumber')


def unknown_os(reason: str, **known: t.Any) -> dict[str, t.Any]:
    descriptor = _descriptor(UNKNOWN, edition=UNKNOWN, product_type=UNKNOWN, **known)
    descriptor['reason'] = reason
    return descriptor


def _descriptor(family: str, edition: str, product_type: str, version: t.Optional[str] = None,
                build: t.Optional[int] = None, service_pack: t.Optional[str] = None,
                product_name: t.Optional[str] = None, edition_id: t.Optional[str] = None,
                installation_type: t.Optional[str] = None, source: str = 'registry') -> dict[str, t.Any]:
    return {'family': family, 'name': _FAMILY_NAMES.get(family, UNKNOWN), 'edition': edition,
            'product_type': product_type, 'version': version, 'build': build, 'service_pack': service_pack,
            'product_name': product_name, 'edition_id': edition_id, 'installation_type': installation_type,
            'source': source, 'reason': '', 'computer_name': None, 'architecture': None}


def _text(value: t.Any) -> t.Optional[str]:
    if value is None or isinstance(value, (bytes, bytearray, list, tuple, dict)):
        return None
    text = str(value).strip()
    return text or None


def _number(value: t.Any) -> t.Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = _text(value)
    if text is not None and re.fullmatch(r'(0x[0-9a-fA-F]+|\d+)', text):
        return int(text, 0) if text.lower().startswith('0x') else int(text)
    return None


def _edition(edition_id: t.Optional[str], product_name: t.Optional[str]) -> str:
    """Normalized edition: 'home' and 'professional' are what the KB rules distinguish."""
    eid = (edition_id or '').lower()
    name = (product_name or '').lower()
    # EditionID 'Core*' is Windows 8+ Home; Vista/7 say 'HomeBasic'/'HomePremium'.
    if eid.startswith(('core', 'home')) or (not eid and re.search(r'\bhome\b', name)):
        return 'home'
    if eid.startswith('professional') or (not eid and re.search(r'\b(professional|pro)\b', name)):
        return 'professional'
    if eid:
        return re.sub(r'^server', '', eid) or eid
    return UNKNOWN


def _is_server(edition_id: t.Optional[str], product_name: t.Optional[str],
               installation_type: t.Optional[str]) -> t.Optional[bool]:
    """True/False when some value says so, None when nothing does."""
    if installation_type:
        return 'server' in installation_type.lower()  # 'Server', 'Server Core', 'Nano Server'; else 'Client'
    if edition_id and edition_id.lower().startswith('server'):
        return True
    if product_name and 'server' in product_name.lower():
        return True
    if edition_id:  # Vista+ always has an EditionID; a non-Server* one is a client edition
        return False
    return None


def parse_current_version(values: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """OS descriptor from the values of ``HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion``.

    ``values`` maps value names to their data (REG_SZ str, REG_DWORD int). Never raises: malformed or
    missing data gives family 'unknown' with a reason.
    """
    if not isinstance(values, t.Mapping):
        return unknown_os('CurrentVersion values must be a mapping, got %s' % type(values).__name__)
    # Value names are case-insensitive in the registry.
    by_name = {str(k).lower(): v for k, v in values.items()}
    product_name = _text(by_name.get('productname'))
    edition_id = _text(by_name.get('editionid'))
    installation_type = _text(by_name.get('installationtype'))
    service_pack = _text(by_name.get('csdversion'))
    raw_build = by_name.get('currentbuildnumber', by_name.get('currentbuild'))
    build = _number(raw_build)
    major = _number(by_name.get('currentmajorversionnumber'))
    minor = _number(by_name.get('currentminorversionnumber'))
    raw_version = _text(by_name.get('currentversion'))
    known = {'product_name': product_name, 'edition_id': edition_id, 'installation_type': installation_type,
             'service_pack': service_pack, 'build': build}

    # Windows 10/11 keep CurrentVersion '6.3' for old programs; the DWORDs carry the real version.
    if major is not None:
        version = '%d.%d' % (major, minor or 0)
    elif raw_version and re.fullmatch(r'\d+\.\d+', raw_version):
        version = raw_version
    else:
        return unknown_os('CurrentVersion %r is missing or not "major.minor"' % (raw_version,), **known)
    if raw_build is not None and build is None:
        return unknown_os('CurrentBuildNumber %r is not a number' % (raw_build,), version=version, **known)

    server = _is_server(edition_id, product_name, installation_type)
    edition = _edition(edition_id, product_name)
    name = (product_name or '').lower()

    if version == '4.0':
        family, product_type = 'windows_nt4', 'server' if server else ('client' if server is False else UNKNOWN)
    elif version == '5.0':
        # Windows 2000's CurrentVersion key does not say Professional vs Server (that is in ProductOptions);
        # the policy treats every Windows 2000 product alike, so the product type stays unknown unless named.
        family, product_type = 'windows_2000', 'server' if server else UNKNOWN
        if edition == UNKNOWN and 'professional' in name:
            edition = 'professional'
    elif version == '5.1':
        family, product_type = 'windows_xp', 'client'
    elif version == '5.2':
        # XP Professional x64 and Server 2003 share 5.2/3790; only the product name tells them apart.
        if 'xp' in name:
            family, product_type, edition = 'windows_xp', 'client', 'professional'
        elif 'server' in name or (edition_id or '').lower().startswith('server'):
            family, product_type = 'windows_server_2003', 'server'
        else:
            return unknown_os('version 5.2 is XP x64 or Server 2003 and ProductName %r says neither'
                              % (product_name,), version=version, **known)
    elif (version, 'client') in _NT6_FAMILIES:
        if server is None:
            return unknown_os('version %s: no InstallationType, EditionID or ProductName says client or server'
                              % version, version=version, **known)
        product_type = 'server' if server else 'client'
        family = _NT6_FAMILIES[(version, product_type)]
    elif version == '10.0':
        if build is None:
            return unknown_os('version 10.0 without a build number: %s differ only by build'
                              % ', '.join(_FAMILY_NAMES[release] for _build, release in _NT10_CLIENT_FIRST_BUILDS
                                          + sorted(_NT10_SERVER_BUILDS.items())), version=version, **known)
        if server is None:
            return unknown_os('version 10.0: no InstallationType, EditionID or ProductName says client or server',
                              version=version, **known)
        if server:
            family, product_type = _NT10_SERVER_BUILDS.get(build, 'windows_server'), 'server'
        else:
            family, product_type = _nt10_client(build), 'client'
    else:
        return unknown_os('Windows NT version %s is not one this collection knows' % version,
                          version=version, **known)

    if product_type == 'server' and edition in ('home', 'professional'):
        edition = UNKNOWN  # a server edition is never Home/Professional; a stray word in a name misled us
    return _descriptor(family, edition=edition, product_type=product_type, version=version, **known)


# Declared (inventory) hosts: the product names people write. Releases of one line exclude each other in
# their patterns (8 / 8.1, 2008 / 2008 R2); servers are tried first, as their names may also name a client.
_DECLARED_NAME_PATTERNS: tuple[tuple[str, str], ...] = tuple(
    (row.declared_name, row.family) for row in sorted(OS_FAMILIES, key=lambda row: row.product_type != 'server')
    if row.declared_name)
_DECLARED_KEYS = frozenset(('family', 'edition', 'product_type', 'product_name', 'version', 'build',
                            'service_pack', 'name', 'edition_id', 'installation_type', 'source', 'reason',
                            'computer_name', 'architecture'))


def _family_from_name(product_name: str) -> t.Optional[str]:
    lowered = product_name.lower()
    for pattern, family in _DECLARED_NAME_PATTERNS:
        if re.search(pattern, lowered):
            return family
    return None


def os_from_declared(decl: t.Any) -> dict[str, t.Any]:
    """OS descriptor from an inventory declaration (for hosts Ansible cannot reach, such as 2000/XP).

    Accepts ``{'product_name': 'Windows XP Home Edition'}``, ``{'family': 'windows_xp', 'edition': 'home'}``
    (optionally ``product_type``), a descriptor returned earlier (idempotent), or the raw CurrentVersion
    values (``{'ProductName': ..., 'CurrentVersion': ...}``). Never raises.
    """
    if not isinstance(decl, t.Mapping) or not decl:
        return unknown_os('declared OS must be a non-empty mapping, got %r' % (decl,), source='declared')
    if any(str(k) in CURRENT_VERSION_VALUES for k in decl):
        descriptor = parse_current_version(decl)
        descriptor['source'] = 'declared'
        return descriptor
    unknown_keys = sorted(str(k) for k in decl if str(k) not in _DECLARED_KEYS)
    if unknown_keys:
        return unknown_os('declared OS has unknown keys %s (use family/edition/product_type or product_name)'
                          % unknown_keys, source='declared')

    product_name = _text(decl.get('product_name'))
    family = _text(decl.get('family'))
    if family is not None:
        family = family.lower().replace(' ', '_').replace('-', '_')
        if family == UNKNOWN:  # an unknown descriptor passed through again keeps its reason
            return unknown_os(str(decl.get('reason') or 'declared family is unknown'), source='declared')
        if family not in FAMILIES:
            return unknown_os('declared family %r is not one of %s' % (family, ', '.join(FAMILIES)),
                              source='declared')
    elif product_name is not None:
        family = _family_from_name(product_name)
        if family is None:
            return unknown_os('declared product name %r names no Windows version this collection knows'
                              % product_name, source='declared', product_name=product_name)
    else:
        return unknown_os('declared OS gives neither family nor product_name', source='declared')

    edition = _text(decl.get('edition'))
    edition = edition.lower() if edition else _edition(_text(decl.get('edition_id')), product_name)
    if edition == 'pro':
        edition = 'professional'
    product_type = (_text(decl.get('product_type')) or '').lower()
    if product_type and product_type not in PRODUCT_TYPES + (UNKNOWN,):
        return unknown_os('declared product_type %r is not client or server' % product_type, source='declared')
    if not product_type:
        if family in SERVER_FAMILIES or (family == 'windows_2000' and product_name and 'server' in product_name.lower()):
            product_type = 'server'
        elif family in CLIENT_FAMILIES and family not in ('windows_2000', 'windows_nt4'):
            product_type = 'client'
        elif family == 'windows_2000' and edition == 'professional':
            product_type = 'client'
        else:
            product_type = UNKNOWN
    if family == 'windows_xp' and product_name and 'x64' in product_name.lower():
        edition = 'professional'  # "Windows XP Professional x64 Edition" is the only XP x64 edition
    version = _text(decl.get('version'))
    descriptor = _descriptor(family, edition=edition, product_type=product_type, version=version,
                             build=_number(decl.get('build')), service_pack=_text(decl.get('service_pack')),
                             product_name=product_name, edition_id=_text(decl.get('edition_id')),
                             installation_type=_text(decl.get('installation_type')), source='declared')
    # a declared OS may name the computer (e.g. for license-server matching of hosts Ansible cannot reach)
    descriptor.update(computer_name=_text(decl.get('computer_name')), architecture=_text(decl.get('architecture')))
    return descriptor


def os_from_any(value: t.Any) -> dict[str, t.Any]:
    """Descriptor from whatever the filter is given: a client_os_info result, a descriptor, CurrentVersion
    values, or a declaration."""
    if isinstance(value, t.Mapping) and isinstance(value.get('os'), t.Mapping):
        value = value['os']  # the whole registered result of client_os_info
    if isinstance(value, t.Mapping) and value.get('source') == 'registry' and 'family' in value:
        return dict(value)  # already a detected descriptor: keep it as detected
    return os_from_declared(value)
