import { FfError, checkBackupId, checkName, errorMessage } from '@freezeframe/common';
import { asFfError, combineErrors, onNode, preflight, runPhase, type Ctx, type Member } from './phases.js';
import { addTransfer, finishRecord, type RunRecord } from './records.js';
import { withReceiverCause } from './receiver-cause.js';
import { receiverVerdict } from './receiver-verdict.js';
import { DEFAULT_RETRY, failpoint, newHolder, withRetry, type RetryPolicy } from './retry.js';
import { holdTargetLock, type HeldLock } from './target-lock.js';
import { resolveBackup } from './target.js';
import type { AgentNode, EventSink } from './types.js';

export interface RestoreOptions {
  /** A backup id, or `latest` for the newest complete backup on the target. */
  backup: string;
  /** Source node names to restore; all sources when undefined. */
  only?: string[];
  /** Filled in as the run goes; `backupId` is set once `latest` is resolved. */
  record: RunRecord;
  onEvent?: EventSink;
  /** Restore even when the backup fails verification against its recorded checksums. */
  force?: boolean;
  /** Target lock lease (default 90 s); the lock is renewed while the restore runs. */
  lockLeaseMs?: number;
  holder?: string;
  retry?: RetryPolicy;
}

export interface RestoreResult {
  backupId: string;
  restored: string[];
  record: RunRecord;
}

export { pickLatest } from './target.js';

/**
 * Restores sources from one backup (docs/design.md, "Restore"): activate the backup on the target,
 * push each selected source's tree back through its data channel, one source at a time, then
 * deactivate — also when a source fails.
 */
export async function runRestore(nodes: readonly AgentNode[], opts: RestoreOptions): Promise<RestoreResult> {
  const rec = opts.record;
  const ctx: Ctx = { record: rec, emit: opts.onEvent ?? (() => {}) };
  const warn = (message: string, node?: string) => {
    rec.warnings.push(message);
    ctx.emit({ type: 'warning', message, ...(node ? { node } : {}) });
  };
  const restored: string[] = [];
  let failure: FfError | undefined;
  let backupId = opts.backup;
  let lock: HeldLock | undefined;
  try {
    if (backupId !== 'latest') checkBackupId(backupId, 'backup id');
    for (const n of opts.only ?? []) checkName(n, '--only');
    const dep = await preflight(ctx, nodes, { forBackup: false });
    const target = dep.target;

    const backups = await target.node.listBackups();
    const chosen = resolveBackup(backups, backupId, target.node.name);
    if (!chosen.complete) throw new FfError('FAILED_PRECONDITION', `backup ${chosen.id} is incomplete and cannot be restored`, { node: target.node.name });
    backupId = chosen.id;
    rec.backupId = backupId;
    // a rerun of an interrupted restore of the same backup takes over the lock its dead run left
    lock = await holdTargetLock(ctx, target, { backupId, leaseMs: opts.lockLeaseMs ?? 90_000, purpose: 'restore', holder: opts.holder ?? newHolder(), takeover: true });

    const byName = new Map(dep.sources.map((s) => [s.node.name, s]));
    let selected: Member[];
    if (opts.only && opts.only.length > 0) {
      const unknown = opts.only.filter((n) => !byName.has(n));
      if (unknown.length > 0) {
        throw new FfError('INVALID_ARGUMENT', `--only names ${unknown.join(', ')}, which ${unknown.length === 1 ? 'is not a source' : 'are not sources'} in this inventory`, {
          hint: `sources: ${[...byName.keys()].join(', ')}`,
        });
      }
      selected = opts.only.map((n) => byName.get(n)!);
      if (selected.length < dep.sources.length) {
        const rest = dep.sources.filter((s) => !opts.only!.includes(s.node.name)).map((s) => s.node.name);
        warn(`partial restore: ${selected.length} of ${dep.sources.length} sources; ${rest.join(', ')} keep their current data, so the deployment may not be consistent`);
      }
    } else {
      selected = dep.sources;
    }

    const wanted = selected.map((s) => s.desc.source!.entry).filter((e) => chosen.entries.length === 0 || chosen.entries.includes(e));
    await runPhase(ctx, 'verify', (p) =>
      onNode(ctx, p, target.node.name, async () => {
        const v = await target.node.verifyBackup(backupId, wanted);
        rec.verified = { ok: v.ok, filesChecked: v.filesChecked, bad: v.bad, missing: v.missing, problems: v.problems };
        if (v.ok) return v;
        const what = [...v.bad, ...v.missing, ...v.problems];
        const msg = `backup ${backupId} fails verification on ${target.node.name}: ${what.slice(0, 10).join('; ')}${what.length > 10 ? `; and ${what.length - 10} more` : ''}`;
        if (!opts.force) throw new FfError('FAILED_PRECONDITION', msg, { node: target.node.name, hint: 'restore another backup, or pass --force to restore this one anyway', details: { bad: v.bad, missing: v.missing, problems: v.problems } });
        warn(`${msg} (restoring anyway: --force)`, target.node.name);
        return v;
      }, (v) => `${v.filesChecked} files checked${v.ok ? '' : ', FAILED'}`),
    );

    const entries = await runPhase(ctx, 'activate', (p) =>
      onNode(ctx, p, target.node.name, () => target.node.activateBackup(backupId), (e) => `${e.length} entries`),
    );
    try {
      const missing = selected.filter((s) => !entries.includes(s.desc.source!.entry));
      if (missing.length > 0) {
        throw new FfError('NOT_FOUND', `backup ${backupId} has no data for ${missing.map((m) => `${m.node.name} (${m.desc.source!.entry})`).join(', ')}`, {
          hint: 'a source added after this backup was taken cannot be restored from it; use --only for the others',
        });
      }
      const known = new Set(dep.sources.map((s) => s.desc.source!.entry));
      const orphans = entries.filter((e) => !known.has(e));
      if (orphans.length > 0) warn(`backup ${backupId} holds entries no source in the inventory claims: ${orphans.join(', ')}`);

      await runPhase(ctx, 'restore', async (p) => {
        for (const s of selected) {
          const name = s.node.name;
          const entry = s.desc.source!.entry;
          try {
            const stats = await onNode(
              ctx,
              p,
              name,
              () =>
                withRetry(
                  async () => {
                    const ticket = await s.node.openReceive({ backupId, source: name, direction: 'restore', peer: target.node.name, entry });
                    const st = await target.node.restoreSource(
                      { backupId, entry, ticket: ticket.ticket, receiverName: name, receiverHost: s.node.host, receiverDataPort: ticket.dataPort || s.desc.dataPort, inplace: ticket.inplace },
                      { onProgress: (progress) => ctx.emit({ type: 'progress', phase: 'restore', node: name, progress }) },
                    );
                    // the node's rsync must have stored everything: a restore that misses a file would
                    // otherwise say ok (and --delete-after removes what the backup lacks)
                    await receiverVerdict(s.node, ticket.ticket, { sender: target.node.name, direction: 'restore' });
                    return st;
                  },
                  { policy: opts.retry ?? DEFAULT_RETRY, onRetry: (n, e, d) => warn(`${name}: restore failed (${e.message}); retry ${n} in ${d} ms`, name) },
                ),
              (st) => `${st.filesTotal} files, ${st.bytesTotal} bytes, ${st.bytesTransferred} sent`,
            );
            if (stats.exitCode !== 0) throw new FfError('RESTORE_FAILED', `${name}: rsync exited with ${stats.exitCode}`, { node: name, details: { exitCode: stats.exitCode } });
            addTransfer(rec, name, entry, stats);
            restored.push(name);
            failpoint('after-restore-source');
          } catch (e) {
            const err = await withReceiverCause(asFfError(e, name), s.node, { backupId, source: name, direction: 'restore' });
            throw combineErrors(`restore of ${name}`, 'RESTORE_FAILED', [{ node: name, error: err }]);
          }
        }
      });
    } finally {
      try {
        await runPhase(ctx, 'deactivate', (p) => onNode(ctx, p, target.node.name, () => target.node.deactivateBackup(backupId)));
      } catch (e) {
        warn(`could not deactivate backup ${backupId} on ${target.node.name}: ${errorMessage(e)}`, target.node.name);
      }
    }
  } catch (e) {
    failure = asFfError(e);
  } finally {
    await lock?.release();
  }
  rec.restored = restored;
  finishRecord(rec, failure);
  if (failure) throw failure;
  return { backupId, restored, record: rec };
}
