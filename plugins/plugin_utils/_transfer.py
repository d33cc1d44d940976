# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The decisions of the transfer role (KB 315262) that are not one module call: which licenses on the source
are CALs worth transferring, and what the transfer of one host achieved.

Pure Python: no Ansible imports.
"""

from __future__ import annotations

import typing as t

from . import _outcome


def cal_id(license_server: str | None, serial: str | None) -> str:
    """The ledger identity of a CAL: the license server that issued it and the certificate serial."""
    return '%s/%s' % (license_server or 'unknown-server', serial or 'unknown-serial')


def transferable_cals(result: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Sort the licenses of a ``client_license`` query into permanent CALs (transferable) and the rest.

    A temporary license (90 days, issued when no CAL was available) is not a purchased CAL; a license whose
    temporary flag is unknown, or that cannot be decoded, is not claimed as one either. The same license
    seen in both registry views is one CAL.
    """
    views = result.get('views') if isinstance(result, t.Mapping) else None
    if not isinstance(views, t.Mapping):
        raise _outcome.OutcomeError('expected the registered result of tslicensing.cal.client_license state=query')
    cals: dict[str, dict[str, t.Any]] = {}
    others: list[str] = []
    for view, store in sorted(views.items()):
        if not store.get('present'):
            continue
        for entry in store.get('licenses') or ():
            decoded = entry.get('decoded') or {}
            licenses = decoded.get('licenses') or []
            if not licenses:
                others.append('%s (view %s): not decodable (%s)' % (entry.get('name'), view,
                                                                    decoded.get('status', 'no ClientLicense')))
            for lic in licenses:
                label = '%s (view %s, %s, serial %s)' % (entry.get('name'), view, lic.get('license_server'),
                                                         lic.get('serial'))
                if lic.get('temporary') is not False:
                    others.append('%s: %s' % (label, 'temporary' if lic.get('temporary') else
                                              'temporary/permanent unknown'))
                    continue
                identity = cal_id(lic.get('license_server'), lic.get('serial'))
                cals.setdefault(identity, {
                    'cal': identity, 'license_server': lic.get('license_server'), 'serial': lic.get('serial'),
                    'valid_to': lic.get('valid_to'), 'view': view, 'license': entry.get('name'),
                    'hardware_id': store.get('hardware_id'),
                    # the client's name at issue time: how the license server recorded the CAL
                    'issued_to_machine': lic.get('issued_to_machine'),
                })
    return {'cals': list(cals.values()), 'not_transferable': others}


def transfer_outcome(store: t.Mapping[str, t.Any], transfers: t.Sequence[t.Mapping[str, t.Any]], target: str,
                     server: t.Mapping[str, t.Any] | None, recorded: t.Sequence[t.Mapping[str, t.Any]],
                     check_mode: bool = False) -> dict[str, t.Any]:
    """One host's outcome (``_outcome.OUTCOME_KEYS``) from the parts of its transfer.

    ``transfers`` are the ledger's rows of the transfers (recorded now, or by an earlier run being finished).
    ``store`` is the ``client_license`` outcome of the backup and removal, ``server`` the ``license_server``
    role's outcome (None when no license server was given), ``recorded`` the ledger results, one per CAL.
    """
    if server:
        revoked = len(server.get('would_revoke' if check_mode else 'revoked') or ())
        server_text = server.get('reason') or ''
        reissue = bool(server.get('reissue_required'))
    else:
        revoked = 0
        server_text = 'no license server given: the CAL stays issued to the source until it expires'
        reissue = True
    states = sorted({(item.get('transfer') or {}).get('state') or 'source_cleared' for item in recorded})
    verb = 'would transfer' if check_mode else 'transferred'
    # A dry run records nothing: say what would be recorded, not a ledger state.
    ledger = ('would record the transfer in the ledger (%s)' % ', '.join(states or ['source_cleared'])) if check_mode \
        else 'ledger: %s' % (', '.join(states) or 'nothing recorded')
    detail = '%s %s to %s; %s; %s; %s%s' % (
        verb, ', '.join(row['cal_id'] for row in transfers), target, store.get('detail'), server_text, ledger,
        '; a Clearinghouse reissue is needed (transfer_reissue_reference records it)' if reissue else '')
    return {
        'changed': bool(store.get('changed')) or revoked > 0 or any(item.get('changed') for item in recorded),
        'backups': list(store.get('backups') or ()),
        'cals_freed': int(store.get('cals_freed') or 0),
        'cals_revoked': revoked,
        'refused': None,
        'detail': detail,
    }


# -- where a transfer starts -------------------------------------------------------------------------------

NEW, RESUME, SKIP = 'new', 'resume', 'skip'


def transfer_plan(history: t.Sequence[t.Mapping[str, t.Any]], source: str, target: str, revoke: bool = False,
                  reissue_reference: str | None = None) -> dict[str, t.Any]:
    """Whether a transfer from ``source`` to ``target`` is new, finishes an earlier one, or has nothing left.

    ``history`` are the ledger's transfer rows of the source. ``step`` is
    * ``new``: no earlier transfer, or one that recorded its intent but did not clear the source: clear it now;
    * ``resume``: an earlier run cleared the source and recorded the transfer, and its license server step
      (``revoke``) or its ``reissue_reference`` is what this run brings;
    * ``skip``: the ledger already holds the transfer and this run brings nothing to add; ``detail`` says so.
    ``resumable`` are the earlier transfers whose source is cleared (moved on by ``new`` and ``resume`` alike).
    """
    if isinstance(history, (str, t.Mapping)) or not all(isinstance(row, t.Mapping) for row in history):
        raise _outcome.OutcomeError('expected the ledger transfer rows (a list of dicts)')
    previous = [row for row in history if row.get('source_host') == source and row.get('target_host') == target]
    resumable = [row for row in previous if row.get('state') == 'source_cleared']
    detail = None
    if not previous or any(row.get('state') == 'intent_recorded' for row in previous):
        step = NEW
    elif resumable and (revoke or (reissue_reference or '').strip()):
        step = RESUME
    else:
        step = SKIP
        detail = 'already transferred to %s: %s (ledger state %s)' % (
            target, ', '.join(str(row.get('cal_id')) for row in previous),
            ', '.join(dict.fromkeys(str(row.get('state')) for row in previous)))
    return {'step': step, 'previous': previous, 'resumable': resumable, 'detail': detail}


# -- what the license server step found ----------------------------------------------------------------------

def server_outcome(issued: t.Mapping[str, t.Any], computer: t.Union[str, t.Sequence[str]],
                   revocation: t.Mapping[str, t.Any] | None = None) -> dict[str, t.Any]:
    """The license server role's outcome from its ``license_server`` list result and, when revocation was
    asked for, the revoke result (None when it was not).

    A refused revocation (``blocked_by``: a per-user CAL, the revocation limit), or active CALs left issued
    because revocation was not asked for, need a Clearinghouse reissue (``reissue_required``).
    """
    if not isinstance(issued, t.Mapping) or not isinstance(issued.get('cals'), list):
        raise _outcome.OutcomeError('expected the registered result of tslicensing.cal.license_server mode=list')
    if revocation is not None and not isinstance(revocation, t.Mapping):
        raise _outcome.OutcomeError('revocation must be the registered result of mode=revoke, or null')
    names = [computer] if isinstance(computer, str) else [str(name) for name in computer]
    matched = list(issued.get('matched_computers') or [])
    active = [cal for cal in issued['cals'] if cal.get('status') == 'active']
    revocation = revocation or {}
    blocked = 'blocked_by' in revocation
    requested = bool(revocation)
    any_name = ' or '.join(names)
    if blocked:
        reason = 'revocation refused, a Clearinghouse reissue is needed: %s' % revocation.get('msg')
    elif requested:
        reason = str(revocation.get('msg'))
    elif active:
        reason = ('revocation not requested (license_server_revoke is false): %d active CAL(s) stay issued to %s '
                  'until they expire; a Clearinghouse reissue is needed' % (len(active), any_name))
    elif issued.get('count'):
        reason = 'no active CAL is issued to %s; nothing to revoke or reissue' % any_name
    else:
        reason = ('the license server lists no CAL issued to %s; nothing to revoke there (a CAL that another '
                  'license server issued, or that this one recorded under another name, stays issued until it '
                  'expires)' % any_name)
    # A name the server knows nothing under, beside one it does: say so, it is a renamed client or a typo.
    unknown = [name for name in names if name not in matched]
    if matched and unknown:
        reason += '; the license server recorded the client as %s, not as %s' % (', '.join(matched), ', '.join(unknown))
    return {
        'computer': computer,
        'matched_computers': matched,
        'issued': issued['cals'],
        'revoked': list(revocation.get('revoked') or []),
        'would_revoke': list(revocation.get('would_revoke') or []),
        'blocked_by': revocation.get('blocked_by'),
        'reissue_required': blocked or (not requested and bool(active)),
        'reason': reason,
    }
