# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import getpass
import os
import tempfile
import typing as t

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license as store
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import LedgerError, open_ledger
from ansible_collections.tslicensing.cal.plugins.plugin_utils._regfile import RegDocument
from ansible_collections.tslicensing.cal.plugins.plugin_utils._windows_action import WindowsActionBase


class ActionModule(WindowsActionBase):
    """Query, back up and remove, or restore HKLM\\SOFTWARE\\Microsoft\\MSLicensing (see the module docs)."""

    ARGUMENT_SPEC = dict(
        state=dict(type='str', default='query', choices=['absent', 'present', 'query']),
        registry_views=dict(type='list', elements='str', default=list(store.VIEWS)),
        backup_dir=dict(type='path'),
        remote_backup_dir=dict(type='str', default=store.DEFAULT_REMOTE_BACKUP_DIR),
        backup=dict(type='path'),
        restore_from_host=dict(type='str'),
        restore_transferred_cal=dict(type='bool', default=False),
        ledger=dict(type='str', no_log=True),
    )

    def run(self, tmp: str | None = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self._validated_args()
        try:
            views = store.normalize_views(args['registry_views'])
        except ValueError as exc:
            raise AnsibleActionFail(to_native(exc)) from None
        self._host = task_vars.get('inventory_hostname', 'localhost')

        try:
            if args['state'] == 'query':
                outcome = self._query(views, task_vars)
            elif args['state'] == 'absent':
                outcome = self._absent(views, args, task_vars)
            else:
                outcome = self._present(args, task_vars)
        except store.BackupError as exc:
            raise AnsibleActionFail(to_native(exc)) from None
        result.update(outcome)
        result['module_executions'] = self.module_executions
        return result

    # -- reading -----------------------------------------------------------------------------------
    def _read_store(self, view: str, task_vars: dict[str, t.Any]) -> RegDocument | None:
        res = self._run_command(store.reg_query(view), task_vars, read_only=True)
        if res.rc == store.RC_NOT_FOUND:
            return None
        if res.rc != store.RC_OK:
            raise AnsibleActionFail('reg query of %s failed with rc %d: %s' % (store.view_label(view), res.rc, res.message))
        return store.store_from_query(res.stdout, view)

    def _query(self, views: list[str], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        return {'changed': False,
                'views': {view: store.summary(self._read_store(view, task_vars)) for view in views}}

    # -- state: absent -------------------------------------------------------------------------------
    def _absent(self, views: list[str], args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        found = {view: self._read_store(view, task_vars) for view in views}
        present = [view for view in views if found[view] is not None]
        report = {view: store.summary(found[view]) for view in views}
        outcome: dict[str, t.Any] = {'changed': bool(present), 'views': report}
        if self._task.diff:
            outcome['diff'] = [{'before_header': store.view_label(view), 'before': store.render(found[view]),
                                'after_header': store.view_label(view), 'after': ''} for view in present]
        if not present:
            outcome['msg'] = 'the client license store is absent; nothing to do'
            return outcome
        if self._task.check_mode:
            outcome['msg'] = 'would back up and remove the store in view(s) %s' % ', '.join(present)
            return outcome

        # Everything that can fail without harm happens first: the controller folder, the remote
        # folder, every export, fetch and check. Only then is anything deleted.
        local_dir = store.controller_backup_dir(args['backup_dir'], self._host)
        store.prepare_backup_dir(local_dir)
        remote_dir = args['remote_backup_dir']
        self._run_file(remote_dir, 'directory', task_vars)
        stamp = store.timestamp()
        try:
            for view in present:
                report[view]['backup'] = self._backup(view, found[view], stamp, local_dir, remote_dir, task_vars)
        except store.BackupError as exc:
            raise store.BackupError('%s; nothing was deleted' % exc) from exc
        for view in present:
            self._delete(view, report[view]['backup'], task_vars)
        outcome['msg'] = 'backed up and removed the store in view(s) %s' % ', '.join(present)
        return outcome

    def _backup(self, view: str, queried: RegDocument, stamp: str, local_dir: str, remote_dir: str,
                task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        name = store.backup_name(stamp, view)
        remote_file = store.remote_path(remote_dir, name)
        res = self._run_command(store.reg_export(view, remote_file), task_vars)
        if res.rc != store.RC_OK:
            raise store.BackupError('reg export of view %s to %s failed (rc %d: %s)'
                                    % (view, remote_file, res.rc, res.message))
        data = self._fetch(remote_file)
        local_file = os.path.join(local_dir, name)
        doc = store.verify_export(data, '%s:%s' % (self._host, remote_file))
        if not store.same_tree(doc, queried):
            raise store.BackupError('the export %s differs from what reg query showed a moment earlier '
                                    '(the store is changing?)' % remote_file)
        try:
            store.write_private(local_file, data)
        except OSError as exc:
            raise store.BackupError('cannot write the backup %s: %s' % (local_file, exc)) from exc
        backup = {'path': local_file, 'remote_path': remote_file, 'sha256': store.sha256(data), 'view': view,
                  'host': self._host, 'key': store.STORE_KEY, 'created': stamp}
        store.write_manifest(local_file, backup)
        backup['manifest'] = store.manifest_path(local_file)
        return backup

    def _fetch(self, remote_file: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix='tscal-fetch-') as staging:
            local = os.path.join(staging, 'export.reg')
            try:
                self._connection.fetch_file(remote_file, local)
                with open(local, 'rb') as handle:
                    return handle.read()
            except (AnsibleError, OSError) as exc:
                raise store.BackupError('fetching %s failed: %s' % (remote_file, to_native(exc))) from exc

    def _delete(self, view: str, backup: dict[str, t.Any], task_vars: dict[str, t.Any]) -> None:
        res = self._run_command(store.reg_delete(view), task_vars)
        if res.rc != store.RC_OK:
            raise AnsibleActionFail('reg delete of view %s failed (rc %d: %s); the backup is %s'
                                    % (view, res.rc, res.message, backup['path']))
        if self._read_store(view, task_vars) is not None:
            raise AnsibleActionFail('the store in view %s is still present after reg delete; the backup is %s'
                                    % (view, backup['path']))

    # -- state: present ------------------------------------------------------------------------------
    def _present(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        # Every check that can refuse (the files, their manifests, the host, the ledger) is decided here,
        # on the controller, before the first step on the host.
        warnings: list[str] = []
        sources = self._restore_sources(args, warnings)
        outcome: dict[str, t.Any] = {'changed': False, 'views': {}, 'backups': {}, 'diff': []}
        self._check_ledger(sources, args, outcome)
        if warnings:
            outcome['warnings'] = warnings
        done = []
        for view, source in sources.items():
            changed = self._restore(view, source, args, task_vars, outcome)
            if changed:
                done.append(view)
        outcome['changed'] = bool(done)
        if not self._task.diff:
            del outcome['diff']
        if not done:
            outcome['msg'] = 'the store already equals the backup in view(s) %s' % ', '.join(sources)
        elif self._task.check_mode:
            outcome['msg'] = 'would restore the store in view(s) %s' % ', '.join(done)
        else:
            outcome['msg'] = 'restored the store in view(s) %s' % ', '.join(done)
        return outcome

    def _restore_plan(self, args: dict[str, t.Any], warnings: list[str]) -> dict[str, str]:
        """view -> backup file: the file given in ``backup``, or the newest backup of each view asked."""
        asked = self._task.args.get('registry_views')
        if args['backup']:
            return {self._backup_view(args['backup'], asked): args['backup']}
        host_dir = store.controller_backup_dir(args['backup_dir'], self._host)
        views = store.normalize_views(args['registry_views'])
        plan, skipped = store.latest_backups(host_dir, views)
        warnings.extend(skipped)
        if not plan:
            raise store.BackupError('no backup of view(s) %s for %s in %s' % (', '.join(views), self._host, host_dir))
        return plan

    def _restore_sources(self, args: dict[str, t.Any], warnings: list[str]) -> dict[str, store.RestoreSource]:
        """Each planned backup read (with a size limit), matched against its manifest and its host, parsed."""
        sources = {}
        for view, backup_file in self._restore_plan(args, warnings).items():
            data = store.read_backup(backup_file)
            manifest = store.read_manifest(backup_file)
            store.check_backup(data, backup_file, manifest)
            doc = store.verify_export(data, backup_file)
            other_host = store.check_backup_host(manifest, self._host, args['restore_from_host'], backup_file)
            if manifest is None:
                warnings.append('%s has no manifest: neither its integrity nor the host it came from can be checked'
                                % backup_file)
            sources[view] = store.RestoreSource(backup_file, data, doc, manifest, other_host)
        return sources

    def _check_ledger(self, sources: dict[str, store.RestoreSource], args: dict[str, t.Any],
                      outcome: dict[str, t.Any]) -> None:
        """Refuse to bring back a CAL the ledger says was transferred to another computer, unless the operator
        says so; record every override (that one, or another host's backup) in the ledger's event log first."""
        cals = sorted({cal for source in sources.values() for cal in store.license_ids(source.doc)})
        renamed = sorted({source.other_host for source in sources.values() if source.other_host})
        if not cals and not renamed:
            return
        try:
            with open_ledger(args['ledger'] or None, dry_run=True) as ledger:
                moved = ledger_moved_away(ledger, cals, self._host)
        except LedgerError as exc:
            raise AnsibleActionFail('cannot check in the ledger whether the CAL(s) of the backup were transferred '
                                    'away (%s); nothing was restored' % to_native(exc)) from None
        if moved and not args['restore_transferred_cal']:
            raise AnsibleActionFail(
                'refusing to restore: the ledger records that %s; restoring it here would leave one CAL on two '
                'computers. If that transfer was undone, set restore_transferred_cal=true (recorded in the ledger)'
                % '; '.join('CAL %s was transferred to %s (transfer #%s, %s, state %s)'
                            % (row['cal_id'], row['target_host'], row['id'], row['created_at'], row['state'])
                            for row in moved))
        if not moved and not renamed:
            return
        backups = {view: {'path': source.path, 'sha256': store.sha256(source.data),
                          'backup_host': source.other_host or self._host} for view, source in sources.items()}
        detail: dict[str, t.Any] = {'target_host': self._host, 'backups': backups}
        if renamed:
            detail['restore_from_host'] = renamed[0]
        if moved:
            detail['transfers'] = [row['id'] for row in moved]
            detail['cals'] = sorted({row['cal_id'] for row in moved})
        try:
            with open_ledger(args['ledger'] or None, dry_run=bool(self._task.check_mode)) as ledger:
                ledger.record_event('restore_override', detail, host=self._host, operator=_operator())
        except LedgerError as exc:
            raise AnsibleActionFail('cannot record the restore override in the ledger (%s); nothing was restored'
                                    % to_native(exc)) from None
        outcome['override'] = dict(detail, recorded=not self._task.check_mode)

    def _restore(self, view: str, backup: store.RestoreSource, args: dict[str, t.Any], task_vars: dict[str, t.Any],
                 outcome: dict[str, t.Any]) -> bool:
        # ``backup`` passed every controller-side check; ``backup.data`` holds the bytes that were checked.
        backup_file, wanted = backup.path, backup.doc
        outcome['backups'][view] = {'path': backup_file, 'sha256': store.sha256(backup.data), 'view': view}

        current = self._read_store(view, task_vars)
        outcome['views'][view] = store.summary(current)
        if current is not None and store.same_tree(current, wanted):
            return False
        if current is not None:
            # An import merges into what is there; the result would equal neither. Make the admin choose.
            raise AnsibleActionFail('the store in view %s exists and differs from %s; remove it first with '
                                    'state=absent (which backs it up), then restore' % (view, backup_file))
        outcome['diff'].append({'before_header': store.view_label(view), 'before': '',
                                'after_header': backup_file, 'after': store.render(wanted)})
        if self._task.check_mode:
            return True

        staging = store.remote_path(args['remote_backup_dir'], 'restore-%s-reg%s' % (store.timestamp(), view))
        self._run_file(staging, 'directory', task_vars)
        source = store.remote_path(staging, 'import.reg')
        verify = store.remote_path(staging, 'verify.reg')
        try:
            self._connection.put_file(backup_file, source)
        except AnsibleError as exc:
            raise AnsibleActionFail('copying %s to %s failed: %s' % (backup_file, source, to_native(exc))) from exc
        res = self._run_command(store.reg_import(view, source), task_vars)
        if res.rc != store.RC_OK:
            raise AnsibleActionFail('reg import of %s (view %s) failed (rc %d: %s)' % (source, view, res.rc, res.message))
        res = self._run_command(store.reg_export(view, verify), task_vars)
        if res.rc != store.RC_OK:
            raise AnsibleActionFail('re-export for verification failed (rc %d); the import may be incomplete' % res.rc)
        restored = store.verify_export(self._fetch(verify), '%s:%s' % (self._host, verify))
        self._run_file(staging, 'absent', task_vars)
        if not store.same_tree(restored, wanted):
            raise AnsibleActionFail('after reg import the store in view %s differs from %s' % (view, backup_file))
        outcome['views'][view] = store.summary(restored)
        return True

    def _backup_view(self, backup_file: str, asked: t.Any) -> str:
        """The view a single backup file goes to: its manifest's, which the views asked must include (the
        default, both views, does); a file without a manifest needs exactly one view named."""
        manifest = store.read_manifest(backup_file)
        if manifest is not None:
            view = str(manifest['view'])
            if asked is not None and view not in store.normalize_views(asked):
                raise AnsibleActionFail('%s was exported from registry view %s (its manifest says so), not %s'
                                        % (backup_file, view, ', '.join(store.normalize_views(asked))))
            return view
        if asked is None or len(store.normalize_views(asked)) != 1:
            raise AnsibleActionFail('%s has no manifest (%s) to say which registry view it was exported from; '
                                    'name exactly one in registry_views' % (backup_file, store.manifest_path(backup_file)))
        return store.normalize_views(asked)[0]


def ledger_moved_away(ledger: t.Any, cals: t.Sequence[str], host: str) -> list[dict[str, t.Any]]:
    """The latest transfer of each CAL whose target is another computer than ``host``."""
    moved = []
    for cal in cals:
        rows = ledger.transfers(cal_id=cal)
        if rows and rows[-1]['target_host'] != host:
            moved.append(rows[-1])
    return moved


def _operator() -> str | None:
    try:
        return getpass.getuser()  # who ran the controller, for the ledger's event log
    except (KeyError, OSError):
        return None
