# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The fleet audit: client_license query results -> ledger observations and a report (JSON, CSV, HTML).

No Ansible imports: the ``license_report`` and ``audit_spool`` actions and the ``license_observations`` filter
are thin wrappers, and the tests call this package directly. Its parts: ``_model`` (the report as data and the
observations), ``_tabular`` (JSON, CSV and the ``COLUMNS`` of CSV and page), ``_page`` (the HTML page: plain data
for the template ``page.html.j2``) and ``_spool`` (the per-run store of every host's result on the controller).
"""

from __future__ import annotations

import typing as t

from ._model import (
    DEFAULT_EXPIRING_DAYS, DEFAULT_TITLE, FORMATS, GENERATOR, LICENSE_TYPES, NO_LICENSE, NOT_REACHED, STATUSES,
    ReportError, build_report, build_report_from, has_cal, license_type, next_action, not_reached_reason, observations,
    observations_from_clients, parse_time)
from ._page import COLOURS, STATUS_LABELS, TRANSFER_LABELS, render_html
from ._tabular import CSV_COLUMNS, csv_rows, render_csv, render_json

__all__ = ['COLOURS', 'CSV_COLUMNS', 'DEFAULT_EXPIRING_DAYS', 'DEFAULT_TITLE', 'FORMATS', 'GENERATOR',
           'LICENSE_TYPES', 'NOT_REACHED', 'NO_LICENSE', 'ReportError', 'STATUSES', 'STATUS_LABELS',
           'TRANSFER_LABELS', 'build_report', 'build_report_from', 'csv_rows', 'has_cal', 'license_type',
           'next_action', 'not_reached_reason', 'observations', 'observations_from_clients', 'parse_time', 'render',
           'render_csv', 'render_html', 'render_json']


def render(report: t.Mapping[str, t.Any], fmt: str) -> str:
    renderers = {'html': render_html, 'json': render_json, 'csv': render_csv}
    if fmt not in renderers:
        raise ReportError('report format %r is not one of %s' % (fmt, ', '.join(FORMATS)))
    return renderers[fmt](report)
