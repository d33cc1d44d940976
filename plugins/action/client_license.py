# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tslicensing.cal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import ntpath
import os
import tempfile
import typing as t

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _client_license as store
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _cmd_chain
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _restore_guard, _transfer_intent
from ansible_collections.tslicensing.cal.plugins.plugin_utils._outcome import describe_licenses, permanent_licenses
from ansible_collections.tslicensing.cal.plugins.plugin_utils._regfile import RegDocument
from ansible_collections.tslicensing.cal.plugins.plugin_utils._action import action_fail
from ansible_collections.tslicensing.cal.plugins.plugin_utils._windows_action import WindowsActionBase


class ActionModule(WindowsActionBase):
    """Query, back up and remove, or restore HKLM\\SOFTWARE\\Microsoft\\MSLicensing (see the module docs)."""

    ARGUMENT_SPEC = dict(
        _transfer_intent.STORE_ACTION_OPTIONS,
        registry_views=dict(type='list', elements='str', default=list(store.VIEWS)),
        remote_backup_dir=dict(type='str', default=store.DEFAULT_REMOTE_BACKUP_DIR),
        keep_remote_copy=dict(type='bool', default=False),
    )

    DOMAIN_ERRORS = (store.BackupError,)

    def _act(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        try:
            views = store.normalize_views(args['registry_views'])
        except ValueError as exc:
            raise action_fail(exc) from None
        self._host = task_vars.get('inventory_hostname', 'localhost')
        self._architecture: str | None = None

        if args['state'] == 'query':
            return self._query(views, task_vars)
        if args['state'] == 'absent':
            return self._absent(views, args, task_vars)
        return self._present(args, task_vars)

    # -- reading -----------------------------------------------------------------------------------
    def _chain(self, steps: list[_cmd_chain.Step], nonce: str, task_vars: dict[str, t.Any],
               read_only: bool = False) -> dict[str, _cmd_chain.StepResult]:
        """Run steps in one program start (one round trip) and read back each step's exit code and output."""
        try:
            argv = _cmd_chain.build(steps, nonce)
        except _cmd_chain.ChainError as exc:
            raise AnsibleActionFail('refusing to send a command: %s' % exc) from None
        res = self._run_command(argv, task_vars, read_only=read_only)
        if not res.started:
            raise AnsibleActionFail('could not start cmd.exe on the host (rc %d): %s' % (res.rc, res.message))
        try:
            return _cmd_chain.parse(res.stdout, steps, nonce)
        except _cmd_chain.ChainError as exc:
            raise AnsibleActionFail('%s (rc %d): %s' % (exc, res.rc, res.message[-500:])) from None

    def _read(self, views: list[str], task_vars: dict[str, t.Any], extra: t.Sequence[_cmd_chain.Step] = (),
              nonce: str | None = None, staging: str | None = None
              ) -> tuple[list[str], dict[str, RegDocument | None], dict[str, _cmd_chain.StepResult]]:
        """The first round trip: architecture, parent key and store per view (plus ``extra`` steps, which
        make it a changing step: they may create ``staging``). Returns the distinct views of this host, the
        store in each, all results."""
        nonce = nonce or _cmd_chain.new_nonce()
        results = self._chain(store.read_steps(views) + list(extra), nonce, task_vars, read_only=not extra)
        try:
            self._architecture = store.architecture(results)
            distinct = store.distinct_views(views, self._architecture)
            return distinct, {view: store.store_in_view(results, view) for view in distinct}, results
        except store.HostError as exc:
            if staging is not None and results['mkdir'].ok:
                self._remove_staging(staging, task_vars)  # it may hold exports: never leave them behind
            raise AnsibleActionFail('%s; nothing was %s' % (exc, 'changed' if staging is None else 'deleted')) from None

    def _query(self, views: list[str], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        distinct, found, _results = self._read(views, task_vars)
        return {'changed': False, 'architecture': self._architecture,
                'views': {view: store.summary(found[view]) for view in distinct}}

    # -- state: absent -------------------------------------------------------------------------------
    def _absent(self, views: list[str], args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        if self._task.check_mode:
            distinct, found, _results = self._read(views, task_vars)
        else:
            # Refuse before touching the host when the controller cannot keep a backup.
            local_dir = store.controller_backup_dir(args['backup_dir'], self._host)
            store.prepare_backup_dir(local_dir)
            nonce = _cmd_chain.new_nonce()
            staging = self._staging_folder(args, nonce)
            stamp = store.timestamp()
            names = {view: store.backup_name(stamp, view) for view in views}
            # One round trip reads, creates the run's own protected folder, exports every view that has a
            # store into it, hashes each export and prints its bytes (base64): the backup comes back in the
            # output, no fetch. 'tidy' removes the folder again when it stayed empty (no store anywhere).
            extra = _cmd_chain.staging_steps(staging)
            for view in views:
                extra += store.backup_steps('export%s' % view, view, store.remote_path(staging, names[view]),
                                            needs=('store%s' % view, 'mkdir', 'protect'))
            extra.append(_cmd_chain.Step('tidy', ('rd', staging), needs=('mkdir',)))
            distinct, found, results = self._read(views, task_vars, extra, nonce, staging)
        present = [view for view in distinct if found[view] is not None]
        report = {view: store.summary(found[view]) for view in distinct}
        outcome: dict[str, t.Any] = {'changed': bool(present), 'views': report, 'architecture': self._architecture}
        try:
            self._refuse_permanent(report, present, args)
        except AnsibleActionFail:
            if not self._task.check_mode and results['mkdir'].ok:
                self._remove_staging(staging, task_vars)  # the exports must not stay behind either
            raise
        if self._task.diff:
            outcome['diff'] = [{'before_header': store.view_label(view), 'before': self._diff_text(found[view], report[view]),
                                'after_header': store.view_label(view), 'after': ''} for view in present]
        if not present:
            if not self._task.check_mode and results['mkdir'].ok and not results['tidy'].ok:
                self._remove_staging(staging, task_vars)  # 'rd' could not remove it: try once more
            outcome['msg'] = 'the client license store is absent; nothing to do'
            return outcome
        if self._task.check_mode:
            outcome['msg'] = 'would back up and remove the store in view(s) %s' % ', '.join(present)
            return outcome

        # Everything that can fail without harm happens first: the folders, every export, fetch and check.
        # Only then is anything deleted.
        try:
            for step in ('mkdir', 'protect'):
                if not results[step].ok:
                    raise store.BackupError('cannot create the protected staging folder %s (%s rc %s: %s)' % (
                        staging, step, results[step].rc, results[step].output.strip()[:300] or 'no message'))
            for view in present:
                exported = results['export%s' % view]
                if not exported.ok:
                    raise store.BackupError('reg export of view %s to %s failed (rc %s: %s)' % (
                        view, staging, exported.rc, exported.output.strip()[:300] or 'no message'))
                remote_file = store.remote_path(staging, names[view])
                data = store.returned_export('export%s' % view, results, remote_file)
                report[view]['backup'] = self._backup(view, data, found[view], stamp, local_dir, remote_file)
                report[view]['backups'] = [report[view]['backup']]
        except store.BackupError as exc:
            self._remove_staging(staging, task_vars)
            raise store.BackupError('%s; nothing was deleted' % exc) from None
        try:
            self._before_delete(report, task_vars)
        except AnsibleActionFail:
            self._remove_staging(staging, task_vars)
            raise
        keep = self._delete(present, report, stamp, local_dir, staging, not args['keep_remote_copy'], task_vars)
        if args['keep_remote_copy']:
            outcome['remote_backup_dir'] = staging
        else:
            for view in present:
                for backup in report[view]['backups']:
                    backup.pop('remote_path', None)
        outcome['msg'] = 'backed up and removed the store in view(s) %s' % ', '.join(present)
        if keep:
            outcome['msg'] += '; ' + '; '.join(keep)
        return outcome

    def _before_delete(self, report: dict[str, t.Any], task_vars: dict[str, t.Any]) -> None:
        """With ``transfer``: record the transfer's intent (each CAL with its verified backup) in the ledger
        before the first delete; if the ledger cannot take it, fail with the store untouched."""
        del task_vars
        transfer = self._task.args.get('transfer')
        if not transfer:
            return
        args = self._validated_args()
        try:
            rows = _transfer_intent.record_intents(args['ledger'] or None, args['transfer'], report, self._host)
        except _transfer_intent.IntentError as exc:
            raise AnsibleActionFail('the transfer intent could not be recorded in the ledger, so nothing was '
                                    'deleted: %s' % to_native(exc)) from None
        for row in rows:
            for found in report.values():
                if found.get('backup', {}).get('path') == row['backup_path']:
                    found.setdefault('intent', []).append(row)

    @staticmethod
    def _refuse_permanent(report: dict[str, t.Any], present: list[str], args: dict[str, t.Any]) -> None:
        # Decided before any change: a permanent CAL is a purchase; outside a transfer, removing it needs an opt-in.
        held = {view: permanent_licenses(report[view]) for view in present}
        held = {view: names for view, names in held.items() if names}
        if held and not args['remove_permanent']:
            raise AnsibleActionFail(
                'the store holds a permanent CAL (%s); nothing was changed. Move a CAL with the transfer playbook; '
                'to discard it anyway set remove_permanent=true (reset_license_store.yml: '
                '-e reset_license_store_remove_permanent=true)'
                % '; '.join('view %s: %s' % (view, ', '.join(names)) for view, names in held.items()))

    def _diff_text(self, doc: RegDocument | None, summary: dict[str, t.Any]) -> str:
        # The decoded licenses are what a reviewer checks; the raw tree (a long hex dump) only from -vvv.
        text = describe_licenses(summary)
        return text + '\n' + store.render(doc) if self._display.verbosity >= 3 else text

    def _staging_folder(self, args: dict[str, t.Any], nonce: str) -> str:
        try:
            return store.staging_folder(args['remote_backup_dir'], nonce)
        except _cmd_chain.ChainError as exc:
            raise AnsibleActionFail('remote_backup_dir: %s' % exc) from None

    def _remove_staging(self, staging: str, task_vars: dict[str, t.Any]) -> None:
        self._run_file(staging, 'absent', task_vars)

    def _backup(self, view: str, data: bytes, queried: RegDocument | None, stamp: str, local_dir: str,
                remote_file: str, later_than: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        """Check one export's bytes (as the chain returned them) and keep them on the controller (0600, with
        its manifest)."""
        doc = store.verify_export(store.logical_export(data), '%s:%s' % (self._host, remote_file))
        if queried is not None and not store.export_matches_query(doc, queried):
            raise store.BackupError('the export %s differs from what reg query showed a moment earlier '
                                    '(the store is changing?)' % remote_file)
        name = store.backup_name(stamp, view) if later_than is None else ntpath.basename(remote_file)
        local_file = os.path.join(local_dir, name)
        store.write_private(local_file, data)
        backup = {'path': local_file, 'remote_path': remote_file, 'sha256': store.sha256(data), 'view': view,
                  'host': self._host, 'key': store.STORE_KEY, 'created': stamp}
        if later_than is not None:
            # newer than the first: the newest backup of the view (what a restore picks) holds what was deleted
            backup.update(later_than=later_than['path'], created=store.timestamp())
        store.write_manifest(local_file, backup)
        backup['manifest'] = store.manifest_path(local_file)
        return backup

    def _delete(self, present: list[str], report: dict[str, t.Any], stamp: str, local_dir: str, staging: str,
                clean: bool, task_vars: dict[str, t.Any]) -> list[str]:
        """One round trip for every present view: export again, hash and print that export, delete, read the
        view back, and (``clean``) remove the staging folder. Whatever the store held at the moment of the
        delete is then on the controller: the later export is kept as a backup when it differs from the
        first (or, when it cannot be verified, as an unverified copy). Returns what was kept that way."""
        later = {view: store.remote_path(staging, 'later-%s' % store.backup_name(stamp, view)) for view in present}
        steps: list[_cmd_chain.Step] = []
        for view in present:
            steps += store.backup_steps('later%s' % view, view, later[view]) + [
                _cmd_chain.Step('delete%s' % view, tuple(store.reg_delete(view)), needs=('later%s' % view,)),
                _cmd_chain.Step('store%s' % view, tuple(store.reg_query(view))),
                _cmd_chain.Step('parent%s' % view, tuple(store.reg_query_parent(view))),
            ]
        if clean:
            steps.append(_cmd_chain.Step('clean', ('rd', '/s', '/q', staging)))
        results = self._chain(steps, _cmd_chain.new_nonce(), task_vars)
        errors, keep = [], []
        for view in present:
            first = report[view]['backup']
            exported, deleted = results['later%s' % view], results['delete%s' % view]
            if not exported.ok:
                errors.append('the export of view %s made just before the delete failed (rc %s: %s), so view %s '
                              'was not deleted; the backup is %s' % (view, exported.rc, exported.output.strip()[:300],
                                                                     view, first['path']))
                continue
            if not deleted.ok:
                errors.append('reg delete of view %s failed (rc %s: %s); the backup is %s'
                              % (view, deleted.rc, deleted.output.strip()[:300] or 'no message', first['path']))
            else:
                try:
                    if store.store_in_view(results, view) is not None:
                        errors.append('the store in view %s is still present after reg delete; the backup is %s'
                                      % (view, first['path']))
                except store.HostError as exc:
                    errors.append('%s after reg delete; the backup is %s' % (exc, first['path']))
            if _cmd_chain.certutil_sha256(results['later%s_hash' % view].output) == first['sha256']:
                continue  # the store did not change between the first export and the delete
            try:
                data = store.returned_export('later%s' % view, results, later[view])
                if store.sha256(data) == first['sha256']:
                    continue
                backup = self._backup(view, data, None, stamp, local_dir, later[view], later_than=first)
            except store.BackupError as exc:
                keep.append(self._keep_unverified(view, results, later[view], local_dir, exc))
                continue
            report[view]['backups'].append(backup)
            report[view]['backup'] = backup
        if errors:
            raise AnsibleActionFail('; '.join(errors + keep))
        return keep

    def _keep_unverified(self, view: str, results: dict[str, _cmd_chain.StepResult], remote_file: str,
                         local_dir: str, problem: Exception) -> str:
        """The later export changed and cannot be verified: keep whatever came back, marked unverified (a
        restore never picks it), and say so."""
        what = 'the store in view %s changed after the first backup and its export made just before the delete ' \
               'could not be verified (%s)' % (view, problem)
        data = _cmd_chain.certutil_decoded(results['later%s_show' % view].output)
        if data is None:
            return what + '; nothing of it came back from %s' % remote_file
        local_file = os.path.join(local_dir, ntpath.basename(remote_file) + '.unverified')
        try:
            store.write_private(local_file, data, 'unverified copy')
        except store.BackupError as exc:
            return what + '; %s' % exc
        return what + ': what came back is kept unverified in %s' % local_file

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
        """A restore must not clone a CAL (see _restore_guard); overrides are recorded before the restore."""
        cals = sorted({cal for source in sources.values() for cal in store.license_ids(source.doc)})
        renamed = sorted({source.other_host for source in sources.values() if source.other_host})
        backups = {view: {'path': source.path, 'sha256': store.sha256(source.data),
                          'backup_host': source.other_host or self._host} for view, source in sources.items()}
        try:
            override = _restore_guard.check_restore(args['ledger'] or None, self._host, cals, renamed, backups,
                                                    args['restore_transferred_cal'], bool(self._task.check_mode))
        except _restore_guard.RestoreRefused as exc:
            raise action_fail(exc) from None
        if override is not None:
            outcome['override'] = override

    def _restore(self, view: str, backup: store.RestoreSource, args: dict[str, t.Any], task_vars: dict[str, t.Any],
                 outcome: dict[str, t.Any]) -> bool:
        # ``backup`` passed every controller-side check; ``backup.data`` holds the bytes that were checked.
        backup_file, wanted = backup.path, backup.doc
        outcome['backups'][view] = {'path': backup_file, 'sha256': store.sha256(backup.data), 'view': view}

        _distinct, found, _results = self._read([view], task_vars)
        current = found[view]
        outcome['views'][view] = store.summary(current)
        if current is not None and store.export_matches_query(wanted, current):
            return False
        if current is not None:
            # An import merges into what is there; the result would equal neither. Make the admin choose.
            raise AnsibleActionFail('the store in view %s exists and differs from %s; remove it first with '
                                    'state=absent (which backs it up), then restore' % (view, backup_file))
        outcome['diff'].append({'before_header': store.view_label(view), 'before': '',
                                'after_header': backup_file, 'after': self._diff_text(wanted, store.summary(wanted))})
        if self._task.check_mode:
            return True
        restored = self._import(view, backup.data, args, task_vars)
        if not store.export_matches_query(wanted, restored):
            raise AnsibleActionFail('after reg import the store in view %s differs from %s' % (view, backup_file))
        outcome['views'][view] = store.summary(restored)
        return True

    def _import(self, view: str, data: bytes, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> RegDocument:
        """Import verified backup bytes into one view: the run's own protected folder, the upload, the upload
        hashed on the host and checked here, then import, read back and clean up in one program start."""
        staging = self._staging_folder(args, _cmd_chain.new_nonce())
        steps = _cmd_chain.staging_steps(staging)
        results = self._chain(steps, _cmd_chain.new_nonce(), task_vars)
        for step in steps:
            if not results[step.name].ok:
                raise AnsibleActionFail('cannot create the protected staging folder %s (%s rc %s: %s); nothing was '
                                        'imported' % (staging, step.name, results[step.name].rc,
                                                      results[step.name].output.strip()[:300] or 'no message'))
        source = store.remote_path(staging, 'import.reg')
        try:
            with tempfile.TemporaryDirectory(prefix='tscal-put-') as local_dir:
                # upload the very bytes that were verified, not the file again (it could have changed since)
                local = os.path.join(local_dir, 'import.reg')
                with open(local, 'wb') as handle:
                    handle.write(data)
                self._connection.put_file(local, source)
        except (AnsibleError, OSError) as exc:
            self._remove_staging(staging, task_vars)
            raise AnsibleActionFail('copying the backup to %s failed: %s' % (source, to_native(exc))) from None
        hashed = self._chain([_cmd_chain.Step('hash', ('certutil.exe', '-hashfile', source, 'SHA256'))],
                             _cmd_chain.new_nonce(), task_vars)['hash']
        on_host = _cmd_chain.certutil_sha256(hashed.output) if hashed.ok else None
        if on_host != store.sha256(data):
            self._remove_staging(staging, task_vars)
            raise AnsibleActionFail('the file on the host %s is not the one uploaded (certutil -hashfile rc %s: %s); '
                                    'nothing was imported' % (source, hashed.rc, hashed.output.strip()[:300]))
        steps = [_cmd_chain.Step('import', tuple(store.reg_import(view, source))),
                 _cmd_chain.Step('store%s' % view, tuple(store.reg_query(view))),
                 _cmd_chain.Step('parent%s' % view, tuple(store.reg_query_parent(view))),
                 _cmd_chain.Step('clean', ('rd', '/s', '/q', staging))]
        results = self._chain(steps, _cmd_chain.new_nonce(), task_vars)
        if not results['import'].ok:
            raise AnsibleActionFail('reg import of %s (view %s) failed (rc %s: %s)' % (
                source, view, results['import'].rc, results['import'].output.strip()[:300] or 'no message'))
        try:
            restored = store.store_in_view(results, view)
        except store.HostError as exc:
            raise AnsibleActionFail('%s after reg import' % exc) from None
        if restored is None:
            raise AnsibleActionFail('reg import of %s (view %s) succeeded but the store is absent' % (source, view))
        return restored

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
