# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Every decision about the RD license server, in pure Python (no Ansible imports).

The PowerShell side (``_license_server_scripts``) only reads raw WMI properties of ``root\\CIMV2``
``Win32_TSIssuedLicense``, ``Win32_TSLicenseKeyPack`` and ``Win32_TSLicenseServer`` and calls
``Win32_TSIssuedLicense.Revoke()``. This module names the numeric codes, normalises dates, matches issued
CALs to a client, plans a revocation, judges each ``Revoke()`` outcome and turns WMI error codes into
messages. Sources: Microsoft's TlsWmiProv class pages (Win32_TSIssuedLicense, Win32_TSLicenseKeyPack,
Win32_TSLicenseServer); values that Microsoft does not document are marked as such where they are defined.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import re
import typing as t

from . import _time

# --- Names for the numeric codes -----------------------------------------------------------------------

LICENSE_STATUS_NAMES: dict[int, str] = {
    0: 'unknown', 1: 'temporary', 2: 'active', 3: 'upgrade', 4: 'revoked', 5: 'pending', 6: 'concurrent',
}
STATUS_ACTIVE = 2
STATUS_REVOKED = 4

KEYPACK_TYPE_NAMES: dict[int, str] = {
    0: 'unknown', 1: 'retail', 2: 'volume', 3: 'concurrent', 4: 'temporary', 5: 'open', 6: 'not_supported',
}

# 3 is not in Microsoft's docs; Checkmk's sample rows show it on the built-in Windows 2000 pack.
PRODUCT_TYPE_NAMES: dict[int, str] = {0: 'per_device', 1: 'per_user', 2: 'invalid', 3: 'built_in'}
PRODUCT_TYPE_PER_DEVICE = 0

# Documented: 2 = WS2008, 3 = WS2008 R2, 4 = WS2012 (0/1 "not supported").
# NOT documented by Microsoft, seen in the wild (Checkmk rds_licenses): 5 = 2016, 6 = 2019, 7 = 2022.
PRODUCT_VERSION_NAMES: dict[int, str] = {2: '2008', 3: '2008R2', 4: '2012', 5: '2016', 6: '2019', 7: '2022'}

ACTIVATION_STATUS_NAMES: dict[int, str] = {0: 'activated', 1: 'not_activated', 2: 'unknown'}
SERVER_ROLE_NAMES: dict[int, str] = {0: 'workgroup', 1: 'domain', 2: 'forest'}

# TotalLicenses of the built-in and temporary packs is -1 ("unlimited"); a uint32 read raw may show it as
# 2**32 - 1 instead, so both mean "no limit".
UNLIMITED_COUNTS = frozenset({-1, 0xFFFFFFFF})


def code_name(names: t.Mapping[int, str], value: t.Any) -> str:
    """Name of a numeric WMI code; an unlisted or missing value stays visible instead of being guessed."""
    number = as_int(value)
    if number is None:
        return 'missing'
    return names.get(number, 'unrecognized_%d' % number)


def as_int(value: t.Any) -> int | None:
    """WMI integers arrive as int, or as str when a serializer flattened them; None stays None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip(), 0)
    except ValueError:
        return None


def license_count(value: t.Any) -> int | None:
    """A key-pack licence count; None means unlimited (built-in and temporary packs) or unknown."""
    number = as_int(value)
    if number is None or number in UNLIMITED_COUNTS:
        return None
    return number


# --- Dates ----------------------------------------------------------------------------------------------

# CIM DATETIME: yyyymmddHHMMSS.mmmmmmsUUU, UUU = offset from UTC in minutes.
_DMTF = re.compile(r'^(\d{14})\.(\d{6})([+-])(\d{3})$')
# .NET DateTime.ToString('o') (what win_powershell makes of a DateTime): 7 fractional digits.
_ISO_FRACTION = re.compile(r'^(.*T\d{2}:\d{2}:\d{2})\.(\d+)(.*)$')
# /Date(1714557600000)/ is what ConvertTo-Json of Windows PowerShell 5.1 makes of a DateTime.
_JSON_DATE = re.compile(r'^/Date\((-?\d+)([+-]\d{4})?\)/$')


def parse_wmi_datetime(value: t.Any) -> dt.datetime | None:
    """A WMI date in any shape it reaches the controller as, in UTC; None when absent or a WMI null date.

    Shapes: CIM DATETIME strings (``20240501100000.000000+120``), ISO 8601 with 7 fractional digits and
    an offset or Z (win_powershell's rendering of a .NET DateTime), /Date(ms)/ JSON dates.
    A date without any offset is taken as UTC, because that is what win_powershell emits for a DateTime
    of kind Utc or Unspecified.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = str(value).strip()
        if not text or text.startswith('00000000') or text.startswith('0001-01-01'):
            return None  # WMI's and .NET's "no date"
        parsed = _parse_date_text(text)
    return _time.as_utc(parsed)


def _parse_date_text(text: str) -> dt.datetime:
    dmtf = _DMTF.match(text)
    if dmtf:
        stamp, micro, sign, minutes = dmtf.groups()
        offset = dt.timedelta(minutes=int(minutes)) * (-1 if sign == '-' else 1)
        base = dt.datetime.strptime(stamp, '%Y%m%d%H%M%S').replace(microsecond=int(micro))
        return base.replace(tzinfo=dt.timezone(offset))
    json_date = _JSON_DATE.match(text)
    if json_date:
        return dt.datetime.fromtimestamp(int(json_date.group(1)) / 1000, tz=dt.timezone.utc)
    fraction = _ISO_FRACTION.match(text)
    if fraction:
        # Python 3.11 accepts any number of fraction digits, 3.9/3.10 only 3 or 6: cut to microseconds.
        head, digits, tail = fraction.groups()
        text = '%s.%s%s' % (head, digits[:6].ljust(6, '0'), tail)
    if text.endswith('Z'):
        text = text[:-1] + '+00:00'
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError('not a WMI/ISO 8601 date: %r' % text) from None


def iso_utc(value: t.Any) -> str | None:
    """A WMI date as ISO 8601 UTC (``2024-05-01T08:00:00Z``), or None."""
    parsed = parse_wmi_datetime(value)
    if parsed is None:
        return None
    return _time.iso_utc(parsed)


# --- Matching issued CALs to a client -------------------------------------------------------------------

def _short_name(name: str) -> str:
    return name.split('.', 1)[0]


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip('[]'))
    except ValueError:
        return False
    return True


def computer_matches(issued_to: t.Any, wanted: str) -> bool:
    """Does ``sIssuedToComputer`` name the wanted computer?

    sIssuedToComputer is the client name at issue time, normally the NetBIOS name, while inventories often
    hold FQDNs: compare case-insensitively, and on the short (first) label unless both sides are FQDNs.
    An IP address is never cut to its first label (``10.0.0.5`` is not the computer ``10``).
    """
    if not issued_to or not wanted:
        return False
    have = str(issued_to).strip().casefold()
    want = wanted.strip().casefold()
    if ('.' in have and '.' in want) or _is_ip_address(have) or _is_ip_address(want):
        return have == want
    return _short_name(have) == _short_name(want)


def computer_names(computer: str | t.Sequence[str] | None) -> list[str]:
    """The names a client may be recorded under, as a list (one name given as a string is one name)."""
    if computer is None:
        return []
    return [computer] if isinstance(computer, str) else list(computer)


def matched_names(cals: t.Sequence[IssuedCal], computer: str | t.Sequence[str] | None) -> list[str]:
    """The given names that at least one of the CALs was issued to, in the order given."""
    return [name for name in computer_names(computer)
            if any(computer_matches(cal.issued_to_computer, name) for cal in cals)]


def normalize_hardware_id(value: t.Any) -> str:
    """Comparable form of a hardware id.

    Microsoft's Win32_TSIssuedLicense page does not document the string format of sHardwareId (GUID-like
    and hex renderings are both seen), so braces, dashes, colons and blanks are dropped and case is ignored:
    any of these renderings of the same bytes compare equal.
    """
    return re.sub(r'[\s{}\-:]', '', str(value or '')).casefold()


def hardware_id_matches(issued_hwid: t.Any, wanted: str) -> bool:
    have = normalize_hardware_id(issued_hwid)
    return bool(have) and have == normalize_hardware_id(wanted)


# --- Shaping WMI instances ------------------------------------------------------------------------------

class NotAdministratorError(Exception):
    """The provider answered with empty properties: it does that for callers outside Administrators."""


class WmiError(Exception):
    """A WMI call failed; ``code`` is the HRESULT/WBEM code when one could be found."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


_NOT_ADMIN_TEXT = ('the license server returned %s with empty properties: the account Ansible connects with '
                   'is not a member of the license server\'s local Administrators group, which the RD '
                   'Licensing WMI provider (TlsWmiProv) requires')


def reject_empty_instances(class_name: str, instances: t.Sequence[t.Mapping[str, t.Any]],
                           key_properties: t.Sequence[str]) -> None:
    """Raise NotAdministratorError when an instance lacks all of its key properties.

    A real instance always has its keys; an instance without them is what a non-admin caller gets.
    """
    for instance in instances:
        if all(instance.get(key) in (None, '') for key in key_properties):
            raise NotAdministratorError(_NOT_ADMIN_TEXT % class_name)


@dataclasses.dataclass(frozen=True)
class KeyPack:
    key_pack_id: int
    description: str
    key_pack_type: str
    product_type: str
    product_version: str
    product_version_id: int | None
    product_version_text: str
    total: int | None
    issued: int | None
    available: int | None
    expiration_date: str | None
    type_and_model: str

    def as_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


def product_version_name(product_version_id: t.Any) -> str:
    number = as_int(product_version_id)
    if number is None:
        return 'missing'
    return PRODUCT_VERSION_NAMES.get(number, 'unsupported_%d' % number)


def shape_key_packs(instances: t.Sequence[t.Mapping[str, t.Any]]) -> list[KeyPack]:
    """Win32_TSLicenseKeyPack instances, one entry each, ordered by KeyPackId.

    Packs are never merged: a Clearinghouse reissue installs a separate pack with its own KeyPackId, and
    that is exactly what an admin must be able to see (and record) after a transfer.
    """
    reject_empty_instances('Win32_TSLicenseKeyPack', instances, ['KeyPackId'])
    packs = [
        KeyPack(
            key_pack_id=t.cast(int, as_int(raw.get('KeyPackId'))),
            description=str(raw.get('Description') or ''),
            key_pack_type=code_name(KEYPACK_TYPE_NAMES, raw.get('KeyPackType')),
            product_type=code_name(PRODUCT_TYPE_NAMES, raw.get('ProductType')),
            product_version=product_version_name(raw.get('ProductVersionID')),
            product_version_id=as_int(raw.get('ProductVersionID')),
            product_version_text=str(raw.get('ProductVersion') or ''),
            total=license_count(raw.get('TotalLicenses')),
            issued=license_count(raw.get('IssuedLicenses')),
            available=license_count(raw.get('AvailableLicenses')),
            expiration_date=iso_utc(raw.get('ExpirationDate')),
            type_and_model=str(raw.get('TypeAndModel') or ''),
        )
        for raw in instances
    ]
    return sorted(packs, key=lambda pack: pack.key_pack_id)


def summarize_key_packs(packs: t.Sequence[KeyPack]) -> list[dict[str, t.Any]]:
    """Totals per (product type, product version), listing every installation (KeyPackId) behind them.

    ``installations`` > 1 is how a reissued or topped-up CAL version shows; an unlimited pack makes the
    total unlimited (None).
    """
    groups: dict[tuple[str, str], list[KeyPack]] = {}
    for pack in packs:
        groups.setdefault((pack.product_type, pack.product_version), []).append(pack)

    def total(values: list[int | None]) -> int | None:
        return None if any(v is None for v in values) else sum(t.cast(list[int], values))

    return [
        {
            'product_type': product_type,
            'product_version': version,
            'installations': len(members),
            'key_pack_ids': [pack.key_pack_id for pack in members],
            'total': total([pack.total for pack in members]),
            'issued': total([pack.issued for pack in members]),
            'available': total([pack.available for pack in members]),
        }
        for (product_type, version), members in sorted(groups.items())
    ]


@dataclasses.dataclass(frozen=True)
class IssuedCal:
    license_id: int
    key_pack_id: int
    issued_to_computer: str
    issued_to_user: str
    hardware_id: str
    status: str
    status_code: int | None
    issue_date: str | None
    expiration_date: str | None
    product_type: str
    """Of the CAL's key pack; 'unknown_key_pack' when the pack was not read or is gone."""
    product_version: str

    @property
    def is_active(self) -> bool:
        return self.status_code == STATUS_ACTIVE

    def as_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


def issued_cal_from_dict(item: t.Any) -> IssuedCal:
    """An IssuedCal from its ``as_dict()`` (a list result passed on to a revoke); ValueError if it is not one."""
    names = [field.name for field in dataclasses.fields(IssuedCal)]
    if not isinstance(item, t.Mapping) or sorted(item) != sorted(names):
        raise ValueError('%r is not a CAL as mode=list returns it (keys %s)' % (item, ', '.join(names)))
    if not all(isinstance(item[key], int) and not isinstance(item[key], bool)
               for key in ('license_id', 'key_pack_id')):
        raise ValueError('license_id and key_pack_id of %r must be integers' % (item,))
    return IssuedCal(**{name: item[name] for name in names})


def shape_issued_cals(instances: t.Sequence[t.Mapping[str, t.Any]],
                      packs: t.Sequence[KeyPack] = ()) -> list[IssuedCal]:
    """Win32_TSIssuedLicense instances with names, ISO dates and their key pack's type and version."""
    reject_empty_instances('Win32_TSIssuedLicense', instances, ['LicenseId', 'KeyPackId'])
    pack_by_id = {pack.key_pack_id: pack for pack in packs}
    cals = []
    for raw in instances:
        key_pack_id = t.cast(int, as_int(raw.get('KeyPackId')))
        pack = pack_by_id.get(key_pack_id)
        cals.append(IssuedCal(
            license_id=t.cast(int, as_int(raw.get('LicenseId'))),
            key_pack_id=key_pack_id,
            issued_to_computer=str(raw.get('sIssuedToComputer') or ''),
            issued_to_user=str(raw.get('sIssuedToUser') or ''),
            hardware_id=str(raw.get('sHardwareId') or ''),
            status=code_name(LICENSE_STATUS_NAMES, raw.get('LicenseStatus')),
            status_code=as_int(raw.get('LicenseStatus')),
            issue_date=iso_utc(raw.get('IssueDate')),
            expiration_date=iso_utc(raw.get('ExpirationDate')),
            product_type=pack.product_type if pack else 'unknown_key_pack',
            product_version=pack.product_version if pack else 'unknown_key_pack',
        ))
    return sorted(cals, key=lambda cal: (cal.key_pack_id, cal.license_id))


def select_cals(cals: t.Sequence[IssuedCal], computer: str | t.Sequence[str] | None = None,
                hardware_id: str | None = None) -> list[IssuedCal]:
    """CALs issued to the client: both criteria must hold when both are given; none given selects all.

    ``computer`` is one name or several (the computer name, the name the client's license carries, ...):
    a CAL issued to any of them matches.
    """
    names = computer_names(computer)
    return [
        cal for cal in cals
        if (not names or any(computer_matches(cal.issued_to_computer, name) for name in names))
        and (not hardware_id or hardware_id_matches(cal.hardware_id, hardware_id))
    ]


# --- Revocation -----------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class RevokePlan:
    to_revoke: tuple[IssuedCal, ...]
    refused_per_user: tuple[IssuedCal, ...]
    """Active CALs of per-user packs: per-user CALs cannot be revoked, ever."""
    not_active: tuple[IssuedCal, ...]
    """Matching CALs that are temporary, already revoked, ...: nothing to revoke there."""

    @property
    def blocked_by_per_user(self) -> bool:
        """The client holds only per-user CALs: asking to revoke them is refused, not 'nothing to do'."""
        return not self.to_revoke and bool(self.refused_per_user)


def plan_revocation(selected: t.Sequence[IssuedCal]) -> RevokePlan:
    """Which of the client's CALs to revoke: the active ones of per-device packs.

    A CAL whose key pack could not be read is not revoked either: its product type is unknown, and a
    wrong Revoke() wastes part of the 20% allowance.
    """
    to_revoke, refused, not_active = [], [], []
    for cal in selected:
        if not cal.is_active:
            not_active.append(cal)
        elif cal.product_type == PRODUCT_TYPE_NAMES[PRODUCT_TYPE_PER_DEVICE]:
            to_revoke.append(cal)
        else:
            refused.append(cal)
    return RevokePlan(tuple(to_revoke), tuple(refused), tuple(not_active))


def refusal_message(plan: RevokePlan, computer: str) -> str:
    ids = ', '.join('%d/%d' % (cal.key_pack_id, cal.license_id) for cal in plan.refused_per_user)
    return ('refusing to revoke: the active CALs of %s (key pack/license %s) are not per-device CALs '
            '(product type %s); only per-device CALs can be revoked, per-user CALs never can'
            % (computer, ids, ', '.join(sorted({cal.product_type for cal in plan.refused_per_user}))))


@dataclasses.dataclass(frozen=True)
class RevokeOutcome:
    revoked: bool
    limit_reached: bool
    """No further Revoke() may be attempted now (the 20% per CAL version allowance is used up)."""
    revokable_cals: int | None
    next_revoke_allowed_on: str | None
    message: str


def next_revoke_date(value: t.Any) -> dt.datetime | None:
    """Revoke()'s NextRevokeAllowedOn as a UTC date, or None when it carries no usable date.

    Never raises: the value is only a hint for a message. CIM DATETIME is a date *or* an interval; the CIM
    cmdlets make an interval (``00000000000000.000000:000``) a .NET TimeSpan, which win_powershell returns as
    its properties (``{Ticks, Days, ...}``), and Get-WmiObject hands the raw DMTF text on (what jagilber's
    revoke script reads). An interval, a blank, WMI's zero date or any unexpected shape is "no date".
    """
    if value is None or isinstance(value, (t.Mapping, list, bool, int, float)):
        return None
    try:
        return parse_wmi_datetime(value)
    except (ValueError, OverflowError):
        return None


def judge_revoke_result(raw: t.Mapping[str, t.Any], now: dt.datetime) -> RevokeOutcome:
    """Judge one Revoke() call from its ReturnValue, RevokableCals and NextRevokeAllowedOn.

    ReturnValue decides. NextRevokeAllowedOn is documented as meaningful only when the call failed, so it is
    read only then, and only for the message: a value of a shape nobody expected never turns a revocation
    that happened into a failure. Microsoft documents no specific code for "revoke limit reached", so the
    limit is recognised the way the out parameters describe it: RevokableCals 0, or NextRevokeAllowedOn in
    the future. Any other nonzero ReturnValue is a WMI error (WmiError).
    """
    if not raw.get('Found', True):
        raise WmiError('the CAL disappeared from the license server between listing and revoking it '
                       '(expired or revoked by someone else); run again to see the current state')
    return_value = as_int(raw.get('ReturnValue'))
    revokable = as_int(raw.get('RevokableCals'))
    if return_value == 0:
        exhausted = revokable == 0
        return RevokeOutcome(True, exhausted, revokable, None,
                             'revoked' + ('; that used up the revocation allowance' if exhausted else ''))
    next_allowed = next_revoke_date(raw.get('NextRevokeAllowedOn'))
    in_future = next_allowed is not None and next_allowed > now
    if revokable == 0 or in_future:
        next_text = iso_utc(next_allowed)
        return RevokeOutcome(False, True, revokable, next_text,
                             'revocation limit reached: the license server allows revoking at most 20%% of '
                             'the per-device CALs of a CAL version per period; revocation is possible%s. '
                             'Until then the CAL stays issued; a Clearinghouse reissue is the other way out'
                             % ((' again on %s' % next_text) if in_future else ' again later (no date given)'))
    raise WmiError('Revoke() failed: %s' % describe_wmi_code(return_value), code=return_value)


# --- WMI error codes ------------------------------------------------------------------------------------

# The TS licensing provider's documented return values (terminal-services-wmi-provider-error-codes) plus
# the generic WMI/COM codes a caller meets first: access denied and "class not found" (role not installed).
WBEM_ERRORS: dict[int, tuple[str, str]] = {
    0x80041001: ('WBEM_E_FAILED', 'the call failed'),
    0x80041002: ('WBEM_E_NOT_FOUND', 'the object was not found'),
    0x80041003: ('WBEM_E_ACCESS_DENIED', 'access denied: the account Ansible connects with must be a member of '
                                         'the license server\'s local Administrators group'),
    0x80041004: ('WBEM_E_PROVIDER_FAILURE', 'the RD Licensing WMI provider (TlsWmiProv) failed; is the '
                                            'Remote Desktop Licensing service running?'),
    0x80041005: ('WBEM_E_TYPE_MISMATCH', 'type mismatch'),
    0x80041006: ('WBEM_E_OUT_OF_MEMORY', 'the license server ran out of memory'),
    0x80041008: ('WBEM_E_INVALID_PARAMETER', 'invalid parameter'),
    0x80041009: ('WBEM_E_NOT_AVAILABLE', 'the resource is not available'),
    0x8004100C: ('WBEM_E_NOT_SUPPORTED', 'not supported by this license server version'),
    0x8004100E: ('WBEM_E_INVALID_NAMESPACE', 'invalid namespace: the license server classes live in '
                                             'root\\CIMV2 (not root\\CIMV2\\TerminalServices)'),
    0x8004100F: ('WBEM_E_INVALID_OBJECT', 'invalid object'),
    0x80041010: ('WBEM_E_INVALID_CLASS', 'class not found: the Remote Desktop Licensing role service (and '
                                         'its WMI provider TlsWmiProv) is not installed on this host'),
    0x80041014: ('WBEM_E_INITIALIZATION_FAILURE', 'the WMI provider failed to initialise'),
    0x80041016: ('WBEM_E_INVALID_OPERATION', 'invalid operation'),
    0x80041017: ('WBEM_E_INVALID_QUERY', 'invalid query'),
    0x80041018: ('WBEM_E_INVALID_QUERY_TYPE', 'invalid query type'),
    0x80041019: ('WBEM_E_ALREADY_EXISTS', 'already exists'),
    0x80041021: ('WBEM_E_INVALID_SYNTAX', 'invalid syntax'),
    0x80041023: ('WBEM_E_READ_ONLY', 'the property is read-only'),
    0x80041024: ('WBEM_E_PROVIDER_NOT_CAPABLE', 'the provider cannot do this'),
    0x80041028: ('WBEM_E_ILLEGAL_NULL', 'illegal null value'),
    0x8004102B: ('WBEM_E_VALUE_OUT_OF_RANGE', 'value out of range'),
    0x8004102E: ('WBEM_E_INVALID_METHOD', 'invalid method'),
    0x8004102F: ('WBEM_E_INVALID_METHOD_PARAMETERS', 'invalid method parameters'),
    0x8004103A: ('WBEM_E_INVALID_OBJECT_PATH', 'invalid object path'),
    0x80070005: ('E_ACCESSDENIED', 'access denied: the account Ansible connects with must be a member of '
                                   'the license server\'s local Administrators group'),
}

_HRESULT_IN_TEXT = re.compile(r'HRESULT\s*(0x[0-9a-fA-F]{8})')


def parse_hresult(value: t.Any) -> int | None:
    """An HRESULT from int (signed or unsigned), '0x8004100E', '8004100E' or '2147749902'."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value & 0xFFFFFFFF
    text = str(value).strip()
    try:
        if re.fullmatch(r'-?\d+', text):
            return int(text) & 0xFFFFFFFF
        if re.fullmatch(r'(0x)?[0-9a-fA-F]{1,8}', text):
            return int(text, 16)
    except ValueError:
        pass
    return None


def describe_wmi_code(value: t.Any) -> str:
    """``WBEM_E_ACCESS_DENIED (0x80041003): access denied: ...`` for any spelling of a code."""
    code = parse_hresult(value)
    if code is None:
        return 'unknown error (no code: %r)' % (value,)
    name, text = WBEM_ERRORS.get(code, ('unrecognized code', 'not a documented RD Licensing WMI error'))
    return '%s (0x%08X): %s' % (name, code, text)


def _is_wmi_code(code: int | None) -> bool:
    return code is not None and (code in WBEM_ERRORS or code >> 16 == 0x8004)


def wmi_error_from_errors(errors: t.Sequence[t.Mapping[str, t.Any]], step: str) -> WmiError:
    """Turn win_powershell's ``error`` records into one WmiError.

    CIM cmdlets put the WMI code in FullyQualifiedErrorId (``HRESULT 0x8004100e,Microsoft...``), while the
    CimException's own .NET HResult is generic; the exception hresult is used only when it is a WMI code.
    """
    for record in errors:
        exception = record.get('exception') or {}
        message = str(exception.get('message') or record.get('output') or '').strip()
        found = _HRESULT_IN_TEXT.search(str(record.get('fully_qualified_error_id') or ''))
        code = parse_hresult(found.group(1)) if found else parse_hresult(exception.get('hresult'))
        if _is_wmi_code(code):
            return WmiError('%s failed: %s (provider said: %s)' % (step, describe_wmi_code(code), message),
                            code=code)
    messages = '; '.join(str((r.get('exception') or {}).get('message') or r.get('output') or '').strip()
                         for r in errors) or 'no error record was returned'
    return WmiError('%s failed: %s' % (step, messages))


def wmi_failure_from_result(result: t.Mapping[str, t.Any], step: str) -> WmiError | None:
    """None when a win_powershell result succeeded, else the clearest WmiError it allows."""
    errors = result.get('error') or []
    if not result.get('failed') and not errors:
        return None
    if errors:
        return wmi_error_from_errors(errors, step)
    return WmiError('%s failed: %s' % (step, result.get('msg') or 'no message'))


# --- License server -------------------------------------------------------------------------------------

SERVER_INFO_PROPERTIES = ('ProductId', 'Version', 'VersionNumber', 'DatabasePath')


def shape_activation(raw: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Win32_TSLicenseServer properties plus GetActivationStatus()'s out value, named."""
    server = raw.get('Server') or {}
    if all(server.get(name) in (None, '') for name in SERVER_INFO_PROPERTIES):
        raise NotAdministratorError(_NOT_ADMIN_TEXT % 'Win32_TSLicenseServer')
    return_value = as_int(raw.get('ReturnValue'))
    if return_value not in (0, None):
        raise WmiError('GetActivationStatus() failed: %s' % describe_wmi_code(return_value), code=return_value)
    return {
        'activation_status': code_name(ACTIVATION_STATUS_NAMES, raw.get('ActivationStatus')),
        'activated': as_int(raw.get('ActivationStatus')) == 0,
        'server_role': code_name(SERVER_ROLE_NAMES, server.get('ServerRole')),
        'product_id': str(server.get('ProductId') or ''),
        'version': str(server.get('Version') or ''),
        'version_number': str(server.get('VersionNumber') or ''),
        'database_path': str(server.get('DatabasePath') or ''),
    }
