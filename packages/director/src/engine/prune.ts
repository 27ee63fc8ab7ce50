import { FfError, errorMessage, newBackupId, type Inventory } from '@freezeframe/common';
import { findTarget, withDeployment } from './core/deployment.js';
import { checkRemote, remoteEntries, remoteMember, remotePolicy, withRemotes } from './core/remotes.js';
import { afterRunMetrics, recordPrune } from './core/metrics.js';
import { pruneBackups, type RetentionOutcome } from './core/retention.js';
import { newHolder } from './core/retry.js';
import { holdTargetLock, lockLeaseFor, unrecordedCtx } from './core/target-lock.js';
import type { EventSink } from './core/types.js';

// `freezeframe prune`: the inventory's retention, applied now (a backup applies it as phase 8).

export interface PruneCommandResult extends RetentionOutcome {
  ok: boolean;
}

/**
 * `freezeframe prune [--dry-run]`: applies the inventory's retention on the target now. Only the
 * target must be reachable. Deleting holds the target lock, so a running backup, restore or
 * verify is never pulled from under; a dry run takes no lock and changes nothing.
 */
export async function prune(inv: Inventory, opts: { dryRun?: boolean; target?: string; onEvent?: EventSink } = {}): Promise<PruneCommandResult> {
  if (opts.target !== undefined) return pruneRemote(inv, { ...opts, target: opts.target });
  if (opts.dryRun) return applyPrune(inv, opts);
  const startedMs = Date.now();
  const seen: { target?: { node: string; freeBytes: number } } = {};
  let r: PruneCommandResult;
  try {
    r = await applyPrune(inv, opts, seen);
  } catch (e) {
    await pruneMetrics(inv, { startedMs, ok: false, ...seen }, opts.onEvent);
    throw e;
  }
  await pruneMetrics(inv, { startedMs, ok: r.ok, retention: r, ...seen }, opts.onEvent);
  return r;
}

/**
 * `prune --target NAME`: the remote target's retention (its replicate.to[].retention, else the
 * inventory's) on that remote, under its target lock. The newest backup it shares with the
 * deployment's target (the next stream's base) is never deleted; when the deployment's target
 * does not answer, retention's own rule (the newest is always kept) is all that protects it.
 * prune.json and the metrics file speak of the deployment's target and are left alone.
 */
async function pruneRemote(inv: Inventory, opts: { dryRun?: boolean; target: string; onEvent?: EventSink }): Promise<PruneCommandResult> {
  const [entry] = remoteEntries(inv, opts.target, '--target');
  let main: { name: string; protect?: string } | undefined;
  try {
    main = await withDeployment(inv, async (d) => {
      const { target } = await findTarget(d.nodes);
      const mainIds = new Set((await target.node.listBackups()).filter((b) => b.complete).map((b) => b.id));
      const protect = await withRemotes(inv, [entry!], async ([remote]) => (await remote!.listBackups()).filter((b) => b.complete && mainIds.has(b.id)).map((b) => b.id).sort().at(-1));
      return { name: target.name, ...(protect ? { protect } : {}) };
    });
  } catch (e) {
    opts.onEvent?.({ type: 'warning', message: `the deployment's target could not say which backup is the next replication's base; only the newest on ${entry!.name} is kept for sure: ${errorMessage(e)}` });
  }
  const protect = main?.protect;
  return withRemotes(inv, [entry!], async ([remote]) => {
    const desc = main ? await checkRemote(remote!, main.name) : await remote!.describe();
    if (!desc.target) throw new FfError('FAILED_PRECONDITION', `${remote!.name}: not a target`, { node: remote!.name });
    const run = () => pruneBackups(remote!, { policy: remotePolicy(inv, entry!), deployment: inv.deployment, ...(protect ? { protect: [protect] } : {}), ...(opts.dryRun ? { dryRun: true } : {}) });
    if (opts.dryRun) return { ...(await run()), ok: true };
    const lock = await holdTargetLock(unrecordedCtx(inv.deployment), remoteMember(remote!, desc), { backupId: newBackupId(new Date(), 'prune'), leaseMs: lockLeaseFor(inv.freeze.lease), purpose: 'prune', holder: newHolder() });
    try {
      const r = await run();
      return { ...r, ok: r.failed.length === 0 };
    } finally {
      await lock.release();
    }
  });
}

/** The prune's outcome into prune.json, then the metrics file; a failure to write either only warns. */
async function pruneMetrics(inv: Inventory, outcome: Parameters<typeof recordPrune>[1], onEvent?: EventSink): Promise<void> {
  try {
    recordPrune(inv, outcome);
  } catch (e) {
    onEvent?.({ type: 'warning', message: `metrics: ${errorMessage(e)}` });
    return;
  }
  await afterRunMetrics(inv, onEvent);
}

async function applyPrune(inv: Inventory, opts: { dryRun?: boolean }, seen: { target?: { node: string; freeBytes: number } } = {}): Promise<PruneCommandResult> {
  return withDeployment(inv, async (d) => {
    const { target } = await findTarget(d.nodes);
    if (target.desc.target) seen.target = { node: target.node.name, freeBytes: target.desc.target.freeBytes };
    const run = () => pruneBackups(target.node, { policy: inv.retention, deployment: inv.deployment, ...(opts.dryRun ? { dryRun: true } : {}) });
    if (opts.dryRun) {
      const r = await run();
      return { ...r, ok: true };
    }
    const lockId = newBackupId(new Date(), 'prune');
    const lock = await holdTargetLock(unrecordedCtx(inv.deployment), target, { backupId: lockId, leaseMs: lockLeaseFor(inv.freeze.lease), purpose: 'prune', holder: newHolder() });
    try {
      const r = await run();
      return { ...r, ok: r.failed.length === 0 };
    } finally {
      await lock.release();
    }
  });
}
