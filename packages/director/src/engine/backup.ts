import pLimit from 'p-limit';
import { FfError, checkBackupId, errorMessage } from '@freezeframe/common';
import { asFfError, combineErrors, onEveryNode, onNode, preflight, runPhase, type Ctx, type Member } from './phases.js';
import { addTransfer, finishRecord, type RunRecord } from './records.js';
import { withReceiverCause } from './receiver-cause.js';
import { DEFAULT_RETRY, failpoint, newHolder, type RetryPolicy } from './retry.js';
import { sendSource } from './send-source.js';
import { holdTargetLock, lockLeaseFor, type HeldLock } from './target-lock.js';
import { pruneBackups } from './prune.js';
import type { RetentionPolicy } from './retention.js';
import type { AgentNode, EventSink, FreezeResult, ThawResult } from './types.js';

export interface BackupOptions {
  deployment: string;
  backupId: string;
  /** Lease armed on every freeze host; the agent thaws by itself if neither thaw nor renewal arrives. */
  leaseMs: number;
  /** Transfers running at once (inventory `transfer.concurrency`). */
  concurrency: number;
  directorVersion: string;
  /** Filled in as the run goes; the caller writes it whatever the outcome. */
  record: RunRecord;
  onEvent?: EventSink;
  /** How often a held freeze is renewed; default leaseMs / 3. */
  renewEveryMs?: number;
  /** Finish an interrupted backup of the same id: rsync reuses what already arrived; an already tagged id is not tagged again. */
  resume?: boolean;
  /** This run's identity for the target lock (default: host:pid:random). */
  holder?: string;
  /** Target lock lease (default: 3 x leaseMs, at least 5 s). */
  lockLeaseMs?: number;
  /** Retries of transient failures (UNAVAILABLE, rsync timeouts). */
  retry?: RetryPolicy;
  /** Phase 8: after a successful tag and release, prune the target's backups by this policy (inventory `retention`); none when absent. */
  retention?: RetentionPolicy;
}

export interface BackupResult {
  backupId: string;
  snapshot: string;
  record: RunRecord;
}

/**
 * One consistent backup of the whole deployment (docs/design.md, "Backup, phase by phase").
 * Whatever fails, every freeze host is thawed and every snapshot taken is removed before
 * this rejects, and nothing is tagged: the error names the node and the cause.
 */
export async function runBackup(nodes: readonly AgentNode[], opts: BackupOptions): Promise<BackupResult> {
  const backupId = checkBackupId(opts.backupId);
  const rec = opts.record;
  const ctx: Ctx = { record: rec, emit: opts.onEvent ?? (() => {}) };

  const freezeAttempted: Member[] = [];
  const snapshotAttempted: Member[] = [];
  const pauses: FreezeResult[] = [];
  let thawed = false;
  let holdFreeze = false;
  let renewTimer: NodeJS.Timeout | undefined;
  let renewalError: FfError | undefined;
  const transfersAbort = new AbortController();
  let snapshot = '';
  let failure: FfError | undefined;
  let lock: HeldLock | undefined;
  let transferStarted = false;
  let sourceNames: string[] = [];
  let targetMember: Member | undefined;
  const retry = opts.retry ?? DEFAULT_RETRY;
  const retryNote = (node: string, what: string) => (attempt: number, e: FfError, delayMs: number) => {
    const msg = `${node}: ${what} failed (${e.message}); retry ${attempt} in ${delayMs} ms`;
    rec.warnings.push(msg);
    ctx.emit({ type: 'warning', node, message: msg });
  };
  if (opts.resume) rec.resumed = true;

  const thawAll = async (hosts: Member[]) => {
    const results = await runPhase(ctx, 'thaw', (p) =>
      onEveryNode(hosts, 'thaw', 'FREEZE_FAILED', (m) =>
        onNode(ctx, p, m.node.name, () => m.node.thaw(backupId), (r: ThawResult) => (r.thawed.length ? `thawed ${r.thawed.join(', ')}` : '')),
      ),
    );
    thawed = true;
    const firstPause = Math.min(...pauses.map((r) => r.pausedAtMs).filter((t) => t > 0));
    const lastThaw = Math.max(...results.map((r) => r.thawedAtMs).filter((t) => t > 0));
    if (Number.isFinite(firstPause) && Number.isFinite(lastThaw)) {
      rec.freezeWindow = {
        firstPauseMs: firstPause,
        lastThawMs: lastThaw,
        durationMs: lastThaw - firstPause,
        heldThroughTransfer: holdFreeze,
        hosts: hosts.map((h) => h.node.name),
      };
    }
  };

  const stopRenewing = () => {
    if (renewTimer) clearInterval(renewTimer);
    renewTimer = undefined;
  };

  try {
    const dep = await preflight(ctx, nodes, { forBackup: true, ...(opts.resume ? { resumeOf: backupId } : {}) });
    const { target, sources, freezeHosts } = dep;
    sourceNames = sources.map((s) => s.node.name);
    targetMember = target;
    lock = await holdTargetLock(ctx, target, {
      backupId,
      leaseMs: opts.lockLeaseMs ?? lockLeaseFor(opts.leaseMs),
      purpose: 'backup',
      holder: opts.holder ?? newHolder(),
      takeover: !!opts.resume,
    });
    const tagged = await target.node.listBackups();
    if (!opts.resume && tagged.some((b) => b.id === backupId)) {
      throw new FfError('ALREADY_EXISTS', `a backup named ${backupId} is already tagged on ${target.node.name}; nothing was paused`, {
        node: target.node.name,
        hint: 'start the backup again: it gets a new id',
      });
    }
    // the basis the target compares each source with: the newest tagged backup holding its entry
    const previousWith = (entry: string) => tagged.filter((b) => b.id < backupId && b.entries.includes(entry)).map((b) => b.id).sort().pop();
    if (opts.resume) {
      // the director may have died after the tag but before its record: tag exactly once
      const existing = tagged.find((b) => b.id === backupId);
      if (existing) {
        rec.alreadyTagged = true;
        rec.snapshot = `${backupId} (tagged by the interrupted run)`;
        snapshot = rec.snapshot;
        const msg = `backup ${backupId} was already tagged on ${target.node.name}; nothing to resume`;
        rec.warnings.push(msg);
        ctx.emit({ type: 'warning', message: msg });
        return await finishEarly();
      }
    }
    // not a phase of its own: leftovers are rare, and the removal is reported as warnings
    {
      const results = await Promise.allSettled(dep.members.map((m) => m.node.cleanup([backupId])));
      const removed: string[] = [];
      results.forEach((r, i) => {
        const name = dep.members[i]!.node.name;
        if (r.status === 'fulfilled') {
          removed.push(...r.value.removed.map((x) => `${name}: ${x}`));
          for (const pr of r.value.problems) rec.warnings.push(`cleanup on ${name}: ${pr}`);
        } else {
          rec.warnings.push(`cleanup on ${name} failed: ${asFfError(r.reason, name).message}`);
        }
      });
      if (removed.length > 0) {
        rec.cleanedUp = removed;
        ctx.emit({ type: 'warning', message: `removed leftovers of earlier runs: ${removed.join(', ')}` });
      }
    }
    // a `dir` source has no snapshot: its data is only consistent while the freeze holds
    holdFreeze = sources.some((s) => !s.desc.source!.pointInTime) && freezeHosts.length > 0;

    if (freezeHosts.length > 0) {
      await runPhase(ctx, 'freeze', (p) =>
        onEveryNode(freezeHosts, 'freeze', 'FREEZE_FAILED', async (m) => {
          freezeAttempted.push(m);
          const r = await onNode(ctx, p, m.node.name, () => m.node.freeze(backupId, opts.leaseMs), (r) => (r.frozen.length ? `paused ${r.frozen.join(', ')}` : ''));
          pauses.push(r);
          return r;
        }),
      );
      failpoint('after-freeze');
    }

    const entries = new Map<string, string>();
    await runPhase(ctx, 'snapshot', (p) =>
      onEveryNode(sources, 'snapshot', 'SNAPSHOT_FAILED', async (m) => {
        snapshotAttempted.push(m);
        const r = await onNode(ctx, p, m.node.name, () => m.node.prepareSnapshot(backupId), (r) => r.entry);
        entries.set(m.node.name, r.entry || m.desc.source!.entry);
        return r;
      }),
    );

    if (holdFreeze) {
      const msg = `freeze held through the transfers: ${sources.filter((s) => !s.desc.source!.pointInTime).map((s) => `${s.node.name} (${s.desc.source!.kind})`).join(', ')} cannot snapshot`;
      rec.warnings.push(msg);
      ctx.emit({ type: 'warning', message: msg });
      let renewing = false;
      renewTimer = setInterval(() => {
        if (renewing || renewalError) return;
        renewing = true;
        onEveryNode(freezeHosts, 'freeze renewal', 'FREEZE_FAILED', (m) => m.node.freeze(backupId, opts.leaseMs))
          .catch((e: unknown) => {
            renewalError = asFfError(e);
            transfersAbort.abort();
          })
          .finally(() => {
            renewing = false;
          });
      }, opts.renewEveryMs ?? Math.max(50, Math.floor(opts.leaseMs / 3)));
    } else if (freezeAttempted.length > 0) {
      await thawAll(freezeAttempted);
    }

    transferStarted = true;
    await runPhase(ctx, 'transfer', async (p) => {
      const limit = pLimit(Math.max(1, opts.concurrency));
      const settled = await Promise.allSettled(
        sources.map((m) =>
          limit(async () => {
            const name = m.node.name;
            if (transfersAbort.signal.aborted) throw new FfError('CANCELLED', `${name}: not started because another step failed`, { node: name });
            const entry = entries.get(name) ?? m.desc.source!.entry;
            try {
              const sent = await onNode(
                ctx,
                p,
                name,
                () =>
                  sendSource({
                    backupId,
                    source: m,
                    target,
                    entry,
                    previous: previousWith(entry),
                    signal: transfersAbort.signal,
                    retry,
                    onRetry: retryNote(name, 'transfer'),
                    onProgress: (progress) => ctx.emit({ type: 'progress', phase: 'transfer', node: name, progress }),
                  }),
                (s) =>
                  `${s.stats.filesTotal} files, ${s.stats.bytesTotal} bytes, ${s.stats.bytesTransferred} sent` +
                  `${s.rechecked ? `, ${s.rechecked} rechecked by content` : ''}${s.notHeld ? `, ${s.notHeld.total} not held (allowed)` : ''}`,
              );
              const stats = sent.stats;
              if (stats.exitCode !== 0) throw new FfError('TRANSFER_FAILED', `${name}: rsync exited with ${stats.exitCode}`, { node: name, details: { exitCode: stats.exitCode } });
              if (sent.notHeld) {
                const msg = `${name}: ${target.node.name} does not hold ${Object.entries(sent.notHeld.classes).map(([k, v]) => `${v} ${k}`).join(', ')} of this source (allowed by its target.unsupported)`;
                rec.warnings.push(msg);
                ctx.emit({ type: 'warning', node: name, message: msg });
              }
              addTransfer(rec, name, entry, stats, { rechecked: sent.rechecked, ...(sent.notHeld ? { notHeld: sent.notHeld } : {}) });
            } catch (e) {
              transfersAbort.abort();
              throw await withReceiverCause(asFfError(e, name), target.node, { backupId, source: name, direction: 'backup', checkTargetSpace: true });
            }
          }),
        ),
      );
      const failures = settled.flatMap((s, i) =>
        s.status === 'rejected' ? [{ node: sources[i]!.node.name, error: asFfError(s.reason, sources[i]!.node.name) }] : [],
      );
      // a transfer cancelled because another one failed is not a cause worth reporting
      const causes = failures.filter((f) => f.error.code !== 'CANCELLED');
      if (renewalError) throw renewalError;
      if (failures.length > 0) throw combineErrors('transfer', 'TRANSFER_FAILED', causes.length > 0 ? causes : failures);
    });

    if (holdFreeze) {
      stopRenewing();
      if (renewalError) throw renewalError;
      // an agent may have ended the freeze at its freezeMaxTotal since the last renewal; this
      // one is refused then, so a transfer that was not frozen throughout is never tagged
      await onEveryNode(freezeHosts, 'freeze renewal', 'FREEZE_FAILED', (m) => m.node.freeze(backupId, opts.leaseMs));
      await thawAll(freezeAttempted);
    }

    const lost = lock.lost();
    if (lost) throw new FfError('FAILED_PRECONDITION', `target lock lost before tagging: ${lost.message}`, { cause: lost, node: target.node.name });
    failpoint('before-tag');
    await runPhase(ctx, 'tag', (p) =>
      onNode(ctx, p, target.node.name, async () => {
        const manifest = buildManifest(opts, rec, dep, entries);
        const r = await target.node.tag(backupId, { deployment: opts.deployment, json: JSON.stringify(manifest) }, [...entries.values()]);
        snapshot = r.snapshot;
        rec.snapshot = r.snapshot;
        return r;
      }, (r) => r.snapshot).catch((e: unknown) => {
        throw combineErrors('tag', 'TARGET_FAILED', [{ node: target.node.name, error: asFfError(e, target.node.name) }]);
      }),
    );
    failpoint('after-tag');
  } catch (e) {
    failure = asFfError(e);
  } finally {
    await cleanUp();
  }
  return finish();

  async function finishEarly(): Promise<BackupResult> {
    await cleanUp();
    return finish();
  }

  function finish(): BackupResult {
    if (failure && transferStarted && !snapshot) {
      rec.missingSources = sourceNames.filter((n) => !rec.transfers[n]);
      // every source arrived but the tag failed: the whole set is still untagged
      if (rec.missingSources.length === 0) rec.missingSources = [...sourceNames];
    }
    finishRecord(rec, failure);
    if (failure) {
      if (rec.result === 'incomplete') {
        throw new FfError(failure.code, `${failure.message}\nbackup ${backupId} is incomplete (not tagged; missing: ${rec.missingSources!.join(', ')})`, {
          cause: failure.cause ?? failure,
          ...(failure.node ? { node: failure.node } : {}),
          ...(failure.details ? { details: failure.details } : {}),
          hint: `${failure.hint ? `${failure.hint}; then ` : ''}resume it with: freezeframe backup --resume ${backupId}`,
        });
      }
      throw failure;
    }
    return { backupId, snapshot, record: rec };
  }

  async function cleanUp(): Promise<void> {
    stopRenewing();
    if (!thawed && freezeAttempted.length > 0) {
      try {
        await thawAll(freezeAttempted);
      } catch (e) {
        const msg = `could not thaw after failure (the agents' leases will thaw): ${errorMessage(e)}`;
        rec.warnings.push(msg);
        ctx.emit({ type: 'warning', message: msg });
        failure ??= asFfError(e);
      }
    }
    if (snapshotAttempted.length > 0) {
      try {
        await runPhase(ctx, 'release', (p) =>
          onEveryNode(snapshotAttempted, 'release', 'SNAPSHOT_FAILED', (m) => onNode(ctx, p, m.node.name, () => m.node.removeSnapshot(backupId))),
        );
      } catch (e) {
        // the backup itself is fine (or already failed); a leftover snapshot is cleaned up next time
        const msg = `snapshots not removed: ${errorMessage(e)}`;
        rec.warnings.push(msg);
        ctx.emit({ type: 'warning', message: msg });
      }
    }
    // the tag released the target lock on the agent: take it again, so no other run starts while backups are deleted
    if (!failure && snapshot && opts.retention && targetMember && lock && (await lock.renew())) await retention(targetMember);
    await lock?.release();
    lock = undefined;
  }

  /** Phase 8, under the run's target lock. A retention problem is a warning: the backup itself is fine. */
  async function retention(target: Member): Promise<void> {
    try {
      const r = await runPhase(ctx, 'retention', (p) =>
        onNode(
          ctx,
          p,
          target.node.name,
          () => pruneBackups(target.node, { policy: opts.retention!, deployment: opts.deployment, protect: [backupId] }),
          (r) => `kept ${r.kept.length}, pruned ${r.pruned.length}${r.failed.length ? `, ${r.failed.length} not deleted` : ''}`,
        ),
      );
      rec.retention = r;
      for (const f of r.failed) {
        const msg = `retention: backup ${f.id} not deleted: ${f.error}`;
        rec.warnings.push(msg);
        ctx.emit({ type: 'warning', node: target.node.name, message: msg });
      }
    } catch (e) {
      const msg = `retention skipped (the backup itself is fine; \`freezeframe prune\` retries): ${errorMessage(e)}`;
      rec.warnings.push(msg);
      ctx.emit({ type: 'warning', node: target.node.name, message: msg });
    }
  }
}

function buildManifest(opts: BackupOptions, rec: RunRecord, dep: { sources: Member[]; members: Member[] }, entries: Map<string, string>) {
  return {
    backupId: opts.backupId,
    deployment: opts.deployment,
    createdAt: rec.startedAt,
    director: { version: opts.directorVersion },
    sources: dep.sources.map((s) => {
      const t = rec.transfers[s.node.name];
      return {
        name: s.node.name,
        kind: s.desc.source!.kind,
        volume: s.desc.source!.volume,
        entry: entries.get(s.node.name) ?? s.desc.source!.entry,
        pointInTime: s.desc.source!.pointInTime,
        bytes: t?.bytesTotal ?? 0,
        bytesTransferred: t?.bytesTransferred ?? 0,
        files: t?.filesTotal ?? 0,
        filesTransferred: t?.filesTransferred ?? 0,
        durationMs: t?.durationMs ?? 0,
        ...(t?.rechecked ? { rechecked: t.rechecked } : {}),
        // what this backup does not hold of the source, because the target cannot store it
        ...(t?.notHeld ? { notHeld: t.notHeld } : {}),
      };
    }),
    entries: [...entries.values()],
    bytes: rec.bytesTotal,
    bytesTransferred: rec.bytesTransferred,
    files: rec.filesTotal,
    durations: Object.fromEntries(rec.phases.filter((p) => p.durationMs !== undefined).map((p) => [p.phase, p.durationMs])),
    freezeWindow: rec.freezeWindow ?? null,
    versions: Object.fromEntries(dep.members.map((m) => [m.node.name, { agent: m.desc.version, rsync: m.desc.rsyncVersion }])),
  };
}
