# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64
import typing as t

from ansible.errors import AnsibleActionFail

from ansible_collections.tslicensing.cal.plugins.module_utils import _linux_license_files as files
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _linux_license_store as store
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _restore_guard, _transfer_intent
from ansible_collections.tslicensing.cal.plugins.plugin_utils._action import CalActionBase
from ansible_collections.tslicensing.cal.plugins.plugin_utils._outcome import describe_licenses, permanent_licenses

HOST_MODULE = 'tslicensing.cal.linux_license_files'


class ActionModule(CalActionBase):
    """Query, back up and remove, or restore the FreeRDP and rdesktop licence files of a Linux client."""

    DOMAIN_ERRORS = (store.LinuxStoreError,)

    ARGUMENT_SPEC = dict(
        _transfer_intent.STORE_ACTION_OPTIONS,
        users=dict(type='list', elements='raw', default=[]),
        hostnames=dict(type='list', elements='str', default=[]),
    )

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.module_executions = 0
        self._host = 'localhost'
        self._args: dict[str, t.Any] = {}

    def _act(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        self._args = args
        self._host = task_vars.get('inventory_hostname', 'localhost')
        candidates = list(args['hostnames']) + [self._host]
        if task_vars.get('ansible_host') and not str(task_vars['ansible_host'])[:1].isdigit():
            candidates.append(str(task_vars['ansible_host']))
        self._candidates = files.hostname_candidates(candidates)
        if args['state'] == 'query':
            outcome = self._query(task_vars)
        elif args['state'] == 'absent':
            outcome = self._absent(task_vars)
        else:
            outcome = self._present(task_vars)
        outcome['platform'] = 'linux'
        outcome['module_executions'] = self.module_executions
        return outcome

    # -- the host ------------------------------------------------------------------------------------
    def _host_module(self, operation: str, task_vars: dict[str, t.Any], users: list[t.Any],
                     file_list: list[dict[str, t.Any]] | None = None) -> dict[str, t.Any]:
        """One execution of the host module (one round trip); a scan runs in check mode too."""
        self.module_executions += 1
        args = {'operation': operation, 'users': users, 'hostnames': self._candidates, 'files': file_list or []}
        saved = self._task.check_mode
        if operation == 'scan':
            self._task.check_mode = False  # read-only, like a task with check_mode: false
        try:
            res = self._execute_module(module_name=HOST_MODULE, module_args=args, task_vars=task_vars)
        finally:
            self._task.check_mode = saved
        if res.get('failed') or res.get('unreachable'):
            raise AnsibleActionFail('%s on the host failed: %s' % (operation, res.get('msg', 'no message')))
        return res

    def _scan(self, task_vars: dict[str, t.Any]) -> tuple[dict[str, t.Any], dict[str, dict[str, t.Any]]]:
        res = self._host_module('scan', task_vars, self._args['users'])
        return res, store.views(res.get('files') or [])

    def _outcome(self, res: dict[str, t.Any], views: dict[str, dict[str, t.Any]]) -> dict[str, t.Any]:
        outcome: dict[str, t.Any] = {'changed': False, 'views': views, 'users': res.get('users') or [],
                                     'host_names': res.get('host_names') or []}
        unreadable = ['%s: %s' % (path, view['error']) for path, view in views.items() if view.get('error')]
        if unreadable:
            outcome['warnings'] = ['licence file(s) that cannot be read safely are left as they are: %s'
                                   % '; '.join(unreadable)]
        return outcome

    def _query(self, task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        res, views = self._scan(task_vars)
        return self._outcome(res, views)

    # -- state: absent -------------------------------------------------------------------------------
    def _absent(self, task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        local_dir = None
        if not self._task.check_mode:
            # Refuse before touching the host when the controller cannot keep a backup.
            try:
                local_dir = _client_license.controller_backup_dir(self._args['backup_dir'], self._host)
                _client_license.prepare_backup_dir(local_dir)
            except _client_license.BackupError as exc:
                raise store.LinuxStoreError(str(exc)) from None
        res, views = self._scan(task_vars)
        outcome = self._outcome(res, views)
        present = [path for path, view in views.items() if not view.get('error')]
        self._refuse_permanent(views, present)
        if self._task.diff:
            outcome['diff'] = [{'before_header': path, 'before': describe_licenses(views[path]),
                                'after_header': path, 'after': ''} for path in present]
        outcome['changed'] = bool(present)
        if not present:
            outcome['msg'] = 'no licence file of FreeRDP or rdesktop; nothing to do'
            return outcome
        if self._task.check_mode:
            outcome['msg'] = 'would back up and remove %d licence file(s): %s' % (len(present), ', '.join(present))
            return outcome

        # The hard guard, on the controller too: only licence files of the users the host resolved.
        users = res.get('users') or []
        for path in present:
            try:
                files.license_file(path, users)
            except files.LicenseFileError as exc:
                raise AnsibleActionFail('%s; nothing was removed' % exc) from None
        stamp = _client_license.timestamp()
        scanned = {entry['path']: entry for entry in res.get('files') or []}
        for path in present:
            data = store.content_of(scanned[path])
            try:
                backup = store.write_backup(local_dir, stamp, self._host, views[path], data)
            except store.LinuxStoreError as exc:
                raise AnsibleActionFail('%s; nothing was removed' % exc) from None
            views[path]['backup'] = backup
            views[path]['backups'] = [backup]
        self._record_intent(views)
        removed = self._host_module('remove', task_vars, users,
                                    [{'path': path, 'sha256': views[path]['sha256']} for path in present])
        problems = ['%s: %s (the backup is %s)' % (item['path'], item.get('reason'), views[item['path']]['backup']['path'])
                    for item in removed.get('files') or [] if not item.get('removed')]
        if problems:
            raise AnsibleActionFail('not every licence file was removed: %s' % '; '.join(problems))
        outcome['msg'] = 'backed up and removed %d licence file(s): %s' % (len(present), ', '.join(present))
        return outcome

    def _refuse_permanent(self, views: dict[str, dict[str, t.Any]], present: list[str]) -> None:
        held = {path: permanent_licenses(views[path]) for path in present}
        held = {path: names for path, names in held.items() if names}
        if held and not self._args['remove_permanent']:
            raise AnsibleActionFail(
                'a licence file holds a permanent CAL (%s); nothing was changed. Move a CAL with the transfer '
                'playbook; to discard it anyway set remove_permanent=true (reset_license_store.yml: '
                '-e reset_license_store_remove_permanent=true)' % ', '.join(sorted(held)))

    def _record_intent(self, views: dict[str, dict[str, t.Any]]) -> None:
        """With ``transfer``: the transfer's intent (each CAL with its verified backup) in the ledger before
        the first removal; if the ledger cannot take it, fail with every file untouched."""
        if not self._args.get('transfer'):
            return
        try:
            rows = _transfer_intent.record_intents(self._args['ledger'] or None, self._args['transfer'], views,
                                                   self._host)
        except _transfer_intent.IntentError as exc:
            raise AnsibleActionFail('the transfer intent could not be recorded in the ledger, so nothing was '
                                    'removed: %s' % exc) from None
        for row in rows:
            for view in views.values():
                if view.get('backup', {}).get('path') == row['backup_path']:
                    view.setdefault('intent', []).append(row)

    # -- state: present ------------------------------------------------------------------------------
    def _plan(self, warnings: list[str]) -> list[str]:
        if self._args['backup']:
            return [self._args['backup']]
        try:
            host_dir = _client_license.controller_backup_dir(self._args['backup_dir'], self._host)
        except _client_license.BackupError as exc:
            raise store.LinuxStoreError(str(exc)) from None
        newest, skipped = store.latest_backups(host_dir)
        warnings.extend(skipped)
        if not newest:
            raise store.LinuxStoreError('no Linux licence backup for %s in %s' % (self._host, host_dir))
        return list(newest.values())

    def _present(self, task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        # Every check that can refuse (the files, their manifests, the host, the ledger) comes first, here.
        warnings: list[str] = []
        sources = []
        for backup_file in self._plan(warnings):
            data, manifest = store.read_backup(backup_file)
            other = store.check_backup_host(manifest, self._host, self._args['restore_from_host'], backup_file)
            view = store.store_view(dict(manifest, file_name=manifest['path'].rsplit('/', 1)[-1],
                                         content=base64.b64encode(data).decode('ascii')))
            sources.append({'backup': backup_file, 'data': data, 'manifest': manifest, 'view': view, 'other': other})
        outcome: dict[str, t.Any] = {'changed': False, 'backups': {}, 'diff': []}
        self._check_ledger(sources, outcome)
        res, views = self._scan(task_vars)
        outcome.update(self._outcome(res, views))
        if warnings:
            outcome['warnings'] = outcome.get('warnings', []) + warnings
        todo = []
        for source in sources:
            manifest, path = source['manifest'], source['manifest']['path']
            outcome['backups'][path] = {'path': source['backup'], 'sha256': manifest['sha256']}
            current = views.get(path)
            if current is not None:
                same = (current.get('sha256'), current.get('mode'), current.get('uid'), current.get('gid')) == \
                    (manifest['sha256'], manifest['mode'], manifest['uid'], manifest['gid'])
                if same:
                    continue
                raise AnsibleActionFail('%s exists and differs from the backup %s; remove it first with state=absent '
                                        '(which backs it up), then restore; nothing was restored'
                                        % (path, source['backup']))
            todo.append(source)
            outcome['diff'].append({'before_header': path, 'before': '', 'after_header': source['backup'],
                                    'after': describe_licenses(source['view'])})
        if not self._task.diff:
            del outcome['diff']
        outcome['changed'] = bool(todo)
        if not todo:
            outcome['msg'] = 'every licence file already equals its backup'
            return outcome
        paths = ', '.join(source['manifest']['path'] for source in todo)
        if self._task.check_mode:
            outcome['msg'] = 'would restore %d licence file(s): %s' % (len(todo), paths)
            return outcome
        users = res.get('users') or []
        for source in todo:
            try:
                files.license_file(source['manifest']['path'], users)
            except files.LicenseFileError as exc:
                raise AnsibleActionFail('%s; nothing was restored' % exc) from None
        written = self._host_module('restore', task_vars, users, [
            {'path': source['manifest']['path'], 'content': base64.b64encode(source['data']).decode('ascii'),
             'sha256': source['manifest']['sha256'], 'mode': source['manifest']['mode'],
             'uid': source['manifest']['uid'], 'gid': source['manifest']['gid']} for source in todo])
        for item, source in zip(written.get('files') or [], todo):
            after = item.get('file') or {}
            manifest = source['manifest']
            if (after.get('sha256'), after.get('mode'), after.get('uid'), after.get('gid')) != \
                    (manifest['sha256'], manifest['mode'], manifest['uid'], manifest['gid']):
                raise AnsibleActionFail('after the restore %s differs from the backup %s (sha256, mode or owner)'
                                        % (manifest['path'], source['backup']))
            after['client_hostname'] = files.client_hostname(after['layout'], after['file_name'], self._candidates)
            outcome['views'][manifest['path']] = store.store_view(after)
        outcome['msg'] = 'restored %d licence file(s): %s' % (len(todo), paths)
        return outcome

    def _check_ledger(self, sources: list[dict[str, t.Any]], outcome: dict[str, t.Any]) -> None:
        """As client_license: a restore must not clone a CAL (see _restore_guard)."""
        cals = sorted({cal for source in sources for cal in store.license_ids(source['view'])})
        renamed = sorted({source['other'] for source in sources if source['other']})
        backups = {source['manifest']['path']: {'path': source['backup'], 'sha256': source['manifest']['sha256'],
                                                'backup_host': source['other'] or self._host} for source in sources}
        try:
            override = _restore_guard.check_restore(self._args['ledger'] or None, self._host, cals, renamed, backups,
                                                    self._args['restore_transferred_cal'],
                                                    bool(self._task.check_mode))
        except _restore_guard.RestoreRefused as exc:
            raise AnsibleActionFail(str(exc)) from None
        if override is not None:
            outcome['override'] = override
