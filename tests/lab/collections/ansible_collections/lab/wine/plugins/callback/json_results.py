# TEST-ONLY LAB CODE - never shipped with tslicensing.cal.
# A stdout callback that prints every play's task results as one JSON document at the end (the shape
# of ansible.posix.json: {"plays": [{"play": ..., "tasks": [{"task": {"name"}, "hosts": {h: result}}]}],
# "stats": {...}}), so tests can assert on real results of real ansible-playbook runs.

from __future__ import annotations

DOCUMENTATION = r"""
name: json_results
type: stdout
short_description: All task results as one JSON document (test lab only)
description: Prints plays, tasks, per-host results and stats as JSON when the run ends.
"""

import json

from ansible.parsing.ajson import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'lab.wine.json_results'

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({'play': {'name': play.get_name()}, 'tasks': []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.plays[-1]['tasks'].append({'task': {'name': task.get_name()}, 'hosts': {}})

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _record(self, result, **extra):
        data = dict(result._result)
        data.update(extra)
        self.plays[-1]['tasks'][-1]['hosts'][result._host.get_name()] = data

    def v2_runner_on_ok(self, result, **kwargs):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        self._display.display(json.dumps({'plays': self.plays, 'stats': summary}, cls=AnsibleJSONEncoder,
                                         indent=2, sort_keys=True))
