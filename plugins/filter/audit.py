# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter tslicensing.cal.license_observations (documentation in license_observations.yml)."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.tslicensing.cal.plugins.plugin_utils._report import ReportError, observations_from_clients


def license_observations(clients: t.Any, observed_at: t.Any = None) -> list[dict[str, t.Any]]:
    """The ledger observations of every decoded license in a fleet's client_license query results."""
    try:
        return observations_from_clients(clients, observed_at=observed_at)
    except ReportError as exc:
        raise AnsibleFilterError('license_observations: %s' % exc) from None


class FilterModule:

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {'license_observations': license_observations}
