# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters tslicensing.cal.cal_eligibility and license_server_generation (documentation beside, in .yml)."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _eligibility


def cal_eligibility(value: t.Any, license_server: t.Any = None, licensing_mode: t.Any = None,
                    matrix_override: t.Optional[t.Sequence[t.Mapping[str, t.Any]]] = None) -> dict[str, t.Any]:
    """Decision for an OS descriptor, a client_os_info result, raw CurrentVersion values or a declared OS."""
    try:
        return _eligibility.decide(_eligibility.os_from_any(value), license_server, licensing_mode, matrix_override)
    except _eligibility.MatrixError as e:
        # Only the admin's override can be malformed; OS data problems come back as 'unknown'.
        raise AnsibleFilterError('cal_eligibility: matrix_override: %s' % e) from None


def license_server_generation(value: t.Any, variable: str = 'license_server') -> dict[str, t.Any]:
    """The generation in its one spelling, or the error naming ``variable``."""
    return _eligibility.license_server_generation(value, variable)


class FilterModule:

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {'cal_eligibility': cal_eligibility, 'license_server_generation': license_server_generation}
