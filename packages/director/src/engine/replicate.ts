import { FfError, errorMessage, formatBytes, newBackupId, type Inventory } from '@freezeframe/common';
import { findTarget, withDeployment, type Member } from './core/deployment.js';
import { afterRunMetrics } from './core/metrics.js';
import { asFfError, combineErrors, onNode, runPhase, type Ctx } from './core/phases.js';
import { finishRecord, liveRecord, newRunRecord, stateDirOf, unusedRunId, writeRunRecord, type ReplicaRemoteRecord, type RunRecord } from './core/records.js';
import { withReceiverCause } from './core/receiver-cause.js';
import { checkRemote, remoteEntries, remoteMember, remotePolicy, withRemotes, type RemoteEntry } from './core/remotes.js';
import { planReplication, previewRetention, replicaLag, type ReplicaStep, type RetentionPreview } from './core/replica-plan.js';
import { pruneBackups, type RetentionPolicy } from './core/retention.js';
import { newHolder, type RetryPolicy } from './core/retry.js';
import { holdTargetLock, lockLeaseFor } from './core/target-lock.js';
import { sendTree } from './core/transfer.js';
import type { AgentNode, BackupListing, EventSink, ReplicaNode } from './core/types.js';

// `freezeframe replicate`: the deployment's target sends the backups each remote target lacks,
// oldest first, as zfs/btrfs streams through the data channel (the remote's ticket, the main
// target's ReplicaSend, the remote's verdict), then the remote's retention runs. Planning is
// core/replica-plan.ts's; docs/reliability.md ("Off-site copies") says how to set a remote up.

/** A cut stream is tried once more with a new ticket: it resumes from the remote's token, or restarts from the base. */
const STREAM_RETRY: RetryPolicy = { attempts: 2, baseDelayMs: 1_000, maxDelayMs: 1_000 };
/** Failures a new ticket may cure: the stream was cut, or a node did not answer for a moment. */
const CUT = new Set(['TRANSFER_FAILED', 'UNAVAILABLE', 'INTERNAL', 'DEADLINE_EXCEEDED']);

/**
 * The target lock a remote is held with while a stream arrives. The agent's list of purposes is
 * closed (backup, restore, cleanup, verify, prune, drill): a stream is a backup arriving, and the
 * lock is taken for that backup's id, which is what the remote's receive checks.
 */
const RECEIVE_PURPOSE = 'backup';

export interface ReplicateOptions {
  /** Only this remote (one of replicate.to); default: every one. */
  to?: string;
  onEvent?: EventSink;
  /** Stops after the running stream is cancelled; the record says incomplete. */
  signal?: AbortSignal;
  retry?: RetryPolicy;
}

export interface ReplicateResult {
  ok: boolean;
  /** The run's id, `replicate_<time>` (its record: `freezeframe show <id>`). */
  id: string;
  main: string;
  remotes: ReplicaRemoteRecord[];
  record: RunRecord;
  recordFile: string;
  warnings: string[];
}

/** One remote in a dry run: what would be sent (with the main target's size estimates) and deleted. */
export interface RemotePlanView {
  remote: string;
  address: string;
  common?: string;
  steps: Array<ReplicaStep & { bytes: number; how: string }>;
  bytes: number;
  skipped: string[];
  retention?: RetentionPreview & { policy: RetentionPolicy };
  /** Why replicate would refuse this remote. */
  error?: { code: string; message: string; hint?: string };
}

export interface ReplicateDryRun {
  ok: boolean;
  dryRun: true;
  main: string;
  remotes: RemotePlanView[];
  warnings: string[];
}

export type ReplicaTarget = AgentNode & ReplicaNode;

const errorOf = (e: FfError) => ({ code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) });

/** The newest backup of `listing` (complete ones), by id. */
const newestId = (l: readonly BackupListing[]) => l.filter((b) => b.complete).map((b) => b.id).sort().at(-1);

export interface ReplicateToOptions {
  inv: Inventory;
  ctx: Ctx;
  /** The deployment's target, connected (its name is what every remote's target.replicaOf must say). */
  main: ReplicaTarget;
  entries: readonly RemoteEntry[];
  /** Connects to the remotes (one client each, closed by the caller of this function's callback). */
  withRemotes: <T>(entries: readonly RemoteEntry[], fn: (nodes: ReplicaTarget[]) => Promise<T>) => Promise<T>;
  signal?: AbortSignal;
  retry?: RetryPolicy;
}

/**
 * Brings each remote up to the main target, one remote after the other: a remote that fails (or
 * is refused) is recorded with its error and the others still go. Never throws for a remote.
 */
export async function replicateTo(o: ReplicateToOptions): Promise<ReplicaRemoteRecord[]> {
  const { inv, ctx, main } = o;
  const warn = (message: string, node?: string) => {
    ctx.record.warnings.push(message);
    ctx.emit({ type: 'warning', message, ...(node ? { node } : {}) });
  };
  const mainList = await main.listBackups();
  const names = (remote: string) => ({ deployment: inv.deployment, main: main.name, remote });
  return o.withRemotes(o.entries, async (nodes) => {
    const out: ReplicaRemoteRecord[] = [];
    for (const [i, node] of nodes.entries()) {
      const entry = o.entries[i]!;
      const rec: ReplicaRemoteRecord = { remote: node.name, address: entry.address, ok: false, sent: [], behind: 0 };
      out.push(rec);
      let member: Member | undefined;
      try {
        await runPhase(ctx, 'replicate', async (p) => {
          const desc = await onNode(ctx, p, node.name, () => checkRemote(node, main.name));
          ctx.record.versions[node.name] = desc.version;
          const plan = planReplication(mainList, await node.listBackups(), names(node.name));
          if (plan.skipped.length > 0) warn(`${node.name}: ${plan.skipped.length} backup(s) older than ${plan.common} (the newest it holds) are not sent: a stream cannot go under it (${plan.skipped.join(', ')})`, node.name);
          member = remoteMember(node, desc);
          for (const step of plan.steps) {
            if (o.signal?.aborted) {
              ctx.record.interrupted = String(o.signal.reason);
              throw new FfError('CANCELLED', `replication to ${node.name} interrupted by ${ctx.record.interrupted}; sent so far: ${rec.sent.map((s) => s.backupId).join(', ') || 'nothing'}`, { details: { interrupted: ctx.record.interrupted } });
            }
            const stats = await onNode(ctx, p, `${node.name}:${step.backupId}`, () => sendStep(o, node, member!, desc.dataPort, step, warn), (s) => `${formatBytes(s.bytesSent || s.bytesTransferred)} sent`);
            rec.sent.push({ backupId: step.backupId, baseId: step.baseId, bytes: stats.bytesSent || stats.bytesTransferred, durationMs: stats.durationMs });
          }
        });
        rec.ok = true;
      } catch (e) {
        const err = asFfError(e, node.name);
        rec.error = errorOf(err);
      }
      // after the streams: the remote's retention, never the next stream's base; skipped after a failure (keeps more)
      if (rec.ok && member) {
        try {
          const common = newestId((await node.listBackups()).filter((b) => mainList.some((m) => m.id === b.id)));
          const lock = await holdTargetLock(ctx, member, {
            backupId: newBackupId(new Date(), 'prune'),
            leaseMs: lockLeaseFor(inv.freeze.lease),
            purpose: 'prune',
            holder: newHolder(),
          });
          try {
            rec.retention = await runPhase(ctx, 'retention', (p) =>
              onNode(ctx, p, node.name, () => pruneBackups(node, { policy: remotePolicy(inv, entry), deployment: inv.deployment, ...(common ? { protect: [common] } : {}) }), (r) => `kept ${r.kept.length}, pruned ${r.pruned.length}`),
            );
          } finally {
            await lock.release();
          }
          for (const f of rec.retention.failed) warn(`${node.name}: retention: backup ${f.id} not deleted: ${f.error}`, node.name);
        } catch (e) {
          warn(`${node.name}: retention skipped (the copies are fine; \`freezeframe prune --target ${node.name}\` retries): ${errorMessage(e)}`, node.name);
        }
      }
      try {
        const after = await node.listBackups();
        const lag = replicaLag(mainList, after, names(node.name));
        rec.behind = lag.behind;
        if (lag.newest) rec.newest = lag.newest.id;
      } catch (e) {
        warn(`${node.name}: could not list its backups after the run, its lag is unknown: ${errorMessage(e)}`, node.name);
      }
    }
    return out;
  });
}

/** One stream under the remote's lock: ticket, ReplicaSend, verdict; a cut stream once more. */
async function sendStep(o: ReplicateToOptions, node: ReplicaTarget, member: Member, dataPort: number, step: ReplicaStep, warn: (m: string, n?: string) => void) {
  const { main, ctx } = o;
  const lock = await holdTargetLock(ctx, member, { backupId: step.backupId, leaseMs: lockLeaseFor(o.inv.freeze.lease), purpose: RECEIVE_PURPOSE, holder: newHolder() });
  const what = `replication of backup ${step.backupId} (${step.baseId ? `incremental from ${step.baseId}` : 'full'}) from ${main.name} to ${node.name}`;
  try {
    let resumeToken = '';
    const { stats } = await sendTree({
      direction: 'replicate',
      backupId: step.backupId,
      source: main.name,
      entry: '',
      sender: main,
      receiver: { node, desc: { dataPort } },
      open: async () => {
        const t = await node.openReplicaReceive({ backupId: step.backupId, baseId: step.baseId, peer: main.name });
        resumeToken = t.resumeToken;
        return t;
      },
      send: (args) =>
        main.replicaSend(
          { ...args, baseId: step.baseId, resumeToken },
          { onProgress: (progress) => ctx.emit({ type: 'progress', phase: 'replicate', node: node.name, progress }), ...(o.signal ? { signal: o.signal } : {}) },
        ),
      retry: o.retry ?? STREAM_RETRY,
      transient: (e) => CUT.has(e.code),
      ...(o.signal ? { signal: o.signal } : {}),
      onRetry: (_n, e) => warn(`${what} was cut (${e.message}); trying once more with a new ticket${resumeToken ? ' from where it stopped' : `, from ${step.baseId || 'the start'}`}`, node.name),
    });
    return stats;
  } catch (e) {
    const err = await withReceiverCause(asFfError(e, node.name), node, { backupId: step.backupId, direction: 'replicate', checkTargetSpace: true });
    if (err.code === 'CANCELLED') throw err;
    const said = err.message.startsWith(`${what}`) ? err.message : `${what} failed: ${err.message}`;
    throw new FfError(err.code, said, { cause: err, node: node.name, ...(err.hint ? { hint: err.hint } : {}), details: { ...(err.details ?? {}), remote: node.name, backupId: step.backupId, baseId: step.baseId } });
  } finally {
    await lock.release();
  }
}

/**
 * `freezeframe replicate [--to NAME]`: every remote (or the one named) brought up to the main
 * target, recorded as run `replicate_<time>`; the metrics file follows. Throws when a remote
 * failed or was refused (after the others went), naming the remote, the backup and the cause.
 */
export async function replicate(inv: Inventory, opts: ReplicateOptions = {}): Promise<ReplicateResult> {
  const entries = remoteEntries(inv, opts.to, '--to');
  const stateDir = stateDirOf(inv);
  const id = await unusedRunId(stateDir, 'replicate');
  const record = newRunRecord('replicate', id, '', inv.deployment);
  const live = liveRecord(stateDir, record, opts.onEvent);
  const ctx: Ctx = { record, emit: live.sink };
  let main = '';
  try {
    live.sink({ type: 'run', kind: 'replicate', id, backupId: '', deployment: inv.deployment });
    const remotes = await withDeployment(inv, async (d) => {
      const found = await runPhase(ctx, 'preflight', () => findTarget(d.nodes));
      for (const w of found.warnings) {
        record.warnings.push(w);
        live.sink({ type: 'warning', message: w });
      }
      const t = found.target;
      main = t.name;
      record.versions[t.name] = t.desc.version;
      if (t.desc.target) record.target = { node: t.name, freeBytes: t.desc.target.freeBytes };
      return replicateTo({
        inv,
        ctx,
        main: d.node(t.name),
        entries,
        withRemotes: (e, fn) => withRemotes(inv, e, fn),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.retry ? { retry: opts.retry } : {}),
      });
    });
    record.replicate = { main, remotes };
    record.backupId = remotes.flatMap((r) => r.sent.map((s) => s.backupId)).sort().at(-1) ?? '';
    const failed = remotes.filter((r) => !r.ok);
    const failure = failed.length > 0 ? combineErrors('replication', failed.some((r) => r.error?.code !== 'FAILED_PRECONDITION') ? 'TRANSFER_FAILED' : 'FAILED_PRECONDITION', failed.map((r) => ({ node: r.remote, error: new FfError((r.error?.code ?? 'INTERNAL') as 'INTERNAL', r.error?.message ?? 'failed', r.error?.hint ? { hint: r.error.hint } : {}) }))) : undefined;
    live.stop();
    finishRecord(record, failure);
    const recordFile = writeRunRecord(stateDir, record);
    if (failure) throw new FfError(failure.code, failure.message, { cause: failure, hint: failure.hint ?? `the run record: freezeframe show ${id}`, details: { ...(failure.details ?? {}), replicateId: id, remotes } });
    return { ok: true, id, main, remotes, record, recordFile, warnings: record.warnings };
  } catch (e) {
    live.stop();
    const err = asFfError(e);
    if (record.result === 'running') {
      finishRecord(record, err);
      writeRunRecord(stateDir, record);
    }
    throw err.hint ? err : new FfError(err.code, err.message, { cause: err, ...(err.node ? { node: err.node } : {}), ...(err.details ? { details: err.details } : {}), hint: `the run record: freezeframe show ${id}` });
  } finally {
    live.stop();
    await afterRunMetrics(inv, opts.onEvent);
  }
}

/**
 * `replicate --dry-run`: for each remote, what would be sent (sizes from the main target's
 * ReplicaSize) and what its retention would then delete. Changes nothing, records nothing.
 */
export async function replicateDryRun(inv: Inventory, opts: { to?: string } = {}): Promise<ReplicateDryRun> {
  const entries = remoteEntries(inv, opts.to, '--to');
  return withDeployment(inv, async (d) => {
    const { target, warnings } = await findTarget(d.nodes);
    const main = d.node(target.name);
    const mainList = await main.listBackups();
    const views = await withRemotes(inv, entries, async (nodes) => {
      const out: RemotePlanView[] = [];
      for (const [i, node] of nodes.entries()) {
        const entry = entries[i]!;
        const view: RemotePlanView = { remote: node.name, address: entry.address, steps: [], bytes: 0, skipped: [] };
        out.push(view);
        try {
          await checkRemote(node, main.name);
          const remoteList = await node.listBackups();
          const plan = planReplication(mainList, remoteList, { deployment: inv.deployment, main: main.name, remote: node.name });
          if (plan.common) view.common = plan.common;
          view.skipped = plan.skipped;
          for (const s of plan.steps) {
            const size = await main.replicaSize(s.backupId, s.baseId);
            view.steps.push({ ...s, bytes: size.bytes, how: size.how });
            view.bytes += size.bytes;
          }
          const policy = remotePolicy(inv, entry);
          const protect = plan.steps.at(-1)?.backupId ?? plan.common;
          view.retention = { policy, ...previewRetention(remoteList, plan.steps.map((s) => s.backupId), policy, { deployment: inv.deployment, ...(protect ? { protect } : {}) }) };
        } catch (e) {
          view.error = errorOf(asFfError(e, node.name));
        }
      }
      return out;
    });
    return { ok: views.every((v) => !v.error), dryRun: true, main: main.name, remotes: views, warnings };
  });
}

/**
 * `replicate: { after: backup }`: every remote after a backup was tagged, recorded in the backup's
 * record. A failure is a warning of the backup (it stands), never its failure; never throws.
 */
export async function replicateAfterBackup(inv: Inventory, record: RunRecord, emit: EventSink, signal?: AbortSignal): Promise<void> {
  const warn = (message: string) => {
    record.warnings.push(message);
    emit({ type: 'warning', message });
  };
  const ctx: Ctx = { record, emit };
  try {
    const entries = remoteEntries(inv, undefined, 'replicate.to');
    let main = '';
    const remotes = await withDeployment(inv, async (d) => {
      const { target } = await findTarget(d.nodes);
      main = target.name;
      return replicateTo({ inv, ctx, main: d.node(target.name), entries, withRemotes: (e, fn) => withRemotes(inv, e, fn), ...(signal ? { signal } : {}) });
    });
    record.replicate = { main, remotes };
    for (const r of remotes) {
      if (!r.ok) warn(`replication to ${r.remote} failed (backup ${record.backupId} itself is fine; \`freezeframe replicate --to ${r.remote}\` retries): ${r.error?.message ?? 'failed'}`);
    }
  } catch (e) {
    warn(`replication after the backup failed (backup ${record.backupId} itself is fine; \`freezeframe replicate\` retries): ${errorMessage(e)}`);
  }
}
