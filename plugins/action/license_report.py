# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""tslicensing.cal.license_report: the fleet audit report, written on the controller (docs in plugins/modules)."""

from __future__ import annotations

import datetime
import os
import typing as t

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _defaults, _private_files
from ansible_collections.tslicensing.cal.plugins.plugin_utils._action import ControllerActionBase, action_fail
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import (
    LedgerError, file_holds, location_for_display, open_ledger, write_private_file)
from ansible_collections.tslicensing.cal.plugins.plugin_utils._report import (
    DEFAULT_EXPIRING_DAYS, DEFAULT_TITLE, FORMATS, ReportError, build_report, build_report_from, parse_time, render)
from ansible_collections.tslicensing.cal.plugins.plugin_utils._report import _spool

DEFAULT_BASENAME = 'tscal-audit'


class ActionModule(ControllerActionBase):
    """Reads the ledger (never writes it), renders the report and writes the files that changed."""

    ARGUMENT_SPEC: dict[str, t.Any] = {
        'clients': {'type': 'dict'},
        'spool': {'type': 'path'},
        'hosts': {'type': 'list', 'elements': 'str'},
        'dest': {'type': 'path'},
        'formats': {'type': 'list', 'elements': 'str', 'choices': list(FORMATS), 'default': list(FORMATS)},
        'ledger': {'type': 'str', 'no_log': True},
        'expiring_days': {'type': 'int', 'default': DEFAULT_EXPIRING_DAYS},
        'report_time': {'type': 'str'},
        'title': {'type': 'str', 'default': DEFAULT_TITLE},
        'basename': {'type': 'str', 'default': DEFAULT_BASENAME},
        'dated': {'type': 'bool', 'default': True},
    }
    MUTUALLY_EXCLUSIVE = [('clients', 'spool')]
    REQUIRED_ONE_OF = [('clients', 'spool')]
    REQUIRED_TOGETHER = [('spool', 'hosts')]

    DOMAIN_ERRORS = (ReportError,)
    FAILURE_CONTEXT = 'license_report'

    def _act(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        del task_vars  # everything the report needs is in its arguments
        args['dest'] = _defaults.report_dir(args['dest'])
        paths = _paths(args['dest'], args['basename'], args['formats'])
        url = args['ledger'] or None
        result = {'ledger': location_for_display(url)}
        now = parse_time(args['report_time']) if args['report_time'] else _utc_now()
        if args['spool'] is not None:  # read one host at a time: the fleet never is one task argument
            report = build_report_from(_spool.read_entries(args['spool'], args['hosts']), _transfers(url), now,
                                       args['expiring_days'], args['title'], ledger=result['ledger'])
        else:
            report = build_report(args['clients'], _transfers(url), now, args['expiring_days'], args['title'],
                                  ledger=result['ledger'])
        contents = {fmt: render(report, fmt) for fmt in paths}
        check_mode = bool(self._task.check_mode)
        # The dated copy keeps every audit; the stable name is the latest one that reached a host, so an
        # audit that reached nobody never replaces a useful report with an empty one.
        dated = _paths(args['dest'], '%s-%s' % (args['basename'], _stamp(report['report_time'])), args['formats']) \
            if args['dated'] else {}
        keep_latest = bool(report['totals']['reached']) or not report['totals']['hosts']
        targets = dict(((path, contents[fmt]) for fmt, path in dated.items()),
                       **({} if not keep_latest else {path: contents[fmt] for fmt, path in paths.items()}))
        written = _write(args['dest'], targets, check_mode)
        result.update({
            'changed': bool(written),
            'files': paths,
            'dated_files': dated,
            'latest_kept': not keep_latest,
            'written': written,
            'totals': report['totals'],
            'expiring_days': report['expiring_days'],
            'report_time': report['report_time'],
            'msg': '%s %d of %d report file(s) in %s%s' % (
                'would write' if check_mode else 'wrote', len(written), len(targets), args['dest'],
                '' if keep_latest else '; no host was reached, so %s is left as it was'
                % ', '.join(os.path.basename(path) for path in paths.values())),
        })
        return result


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _paths(dest: str, basename: str, formats: list[str]) -> dict[str, str]:
    if not basename or basename in ('.', '..') or os.sep in basename or (os.altsep and os.altsep in basename):
        raise AnsibleActionFail('basename %r must be a plain file name without a directory' % basename)
    if not formats:
        raise AnsibleActionFail('formats is empty; name at least one of %s' % ', '.join(FORMATS))
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise AnsibleActionFail('dest %s exists and is not a directory' % dest)
    return {fmt: os.path.join(dest, '%s.%s' % (basename, fmt)) for fmt in dict.fromkeys(formats)}


def _transfers(url: str | None) -> list[dict[str, t.Any]]:
    # Opened as a dry run: the report only reads, and a ledger that does not exist yet is not created.
    try:
        with open_ledger(url, dry_run=True) as ledger:
            return ledger.transfers()
    except LedgerError as exc:
        raise action_fail(exc, 'license_report: cannot read the transfers') from None


def _stamp(report_time: str) -> str:
    """``2026-03-01T08:00:00Z`` -> ``20260301T080000Z``, for the dated file names."""
    return ''.join(ch for ch in report_time if ch.isalnum())


def _write(dest: str, targets: dict[str, str], check_mode: bool) -> list[str]:
    """The files (path -> content) whose content (or 0600 mode) differs, written unless in check mode."""
    stale = [path for path, content in targets.items() if not file_holds(path, content)]
    if check_mode or not stale:
        return stale
    try:
        _private_files.make_private_dir(dest)
        for path in stale:
            # a report file that is a symbolic link out of dest is refused, not followed
            write_private_file(_private_files.require_within(dest, path, 'the report'), targets[path])
    except OSError as exc:
        raise AnsibleActionFail('cannot write the report in %s: %s'
                                % (dest, to_text(_private_files.describe(exc)))) from None
    return stale
