# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the tslicensing.cal collection and may not remain
# stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Base class of every action plugin of the collection.

What all five share lives here once: the task's arguments validated against ``ARGUMENT_SPEC`` (the same
spec tests/unit/test_argument_specs.py holds against each plugin's DOCUMENTATION), and the rule that turns
a domain error (an exception of ``plugin_utils``, which knows nothing of Ansible) into ``AnsibleActionFail``.
A plugin writes ``_act``, which returns what goes into the task result; ``run`` is not overridden.
"""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase


def action_fail(error: BaseException, context: str | None = None) -> AnsibleActionFail:
    """The failure for a domain error: its text once, after ``context`` (what was being done) if given.

    Raise it ``from None``: ansible-core 2.19 appends the text of a chained cause to the message, which
    would say the error twice.
    """
    text = to_text(error)
    return AnsibleActionFail('%s: %s' % (context, text) if context else text)


class CalActionBase(ActionBase):
    """Argument validation, the domain-error rule, check mode supported, no async."""

    ARGUMENT_SPEC: dict[str, t.Any] = {}
    MUTUALLY_EXCLUSIVE: list[t.Sequence[str]] = []
    REQUIRED_IF: list[t.Sequence[t.Any]] = []
    REQUIRED_ONE_OF: list[t.Sequence[str]] = []
    REQUIRED_TOGETHER: list[t.Sequence[str]] = []
    DOMAIN_ERRORS: tuple[type[Exception], ...] = ()
    """The domain errors that end the task as a failure saying the error's text (with ``FAILURE_CONTEXT``)."""
    FAILURE_CONTEXT: str | None = None

    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp
        args = self._validated_args()
        try:
            result.update(self._act(args, task_vars or {}))
        except self.DOMAIN_ERRORS as error:
            raise action_fail(error, self.FAILURE_CONTEXT) from None
        return result

    def _act(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        """Do the task with validated ``args``; returns the result's keys (``changed``, ...)."""
        raise NotImplementedError

    def _validated_args(self) -> dict[str, t.Any]:
        _result, args = self.validate_argument_spec(
            argument_spec=self.ARGUMENT_SPEC,
            mutually_exclusive=self.MUTUALLY_EXCLUSIVE,
            required_if=self.REQUIRED_IF,
            required_one_of=self.REQUIRED_ONE_OF,
            required_together=self.REQUIRED_TOGETHER,
        )
        return args


class ControllerActionBase(CalActionBase):
    """An action that runs on the controller only (the ledger, the report): it needs no connection to the
    host, so a task for a host that cannot be reached, or for localhost without one, still runs."""

    _requires_connection = False
