import { newBackupId, type Inventory } from '@freezeframe/common';
import { closeAll, connectInventory } from './agent-client.js';
import { asFfError, type Ctx } from './phases.js';
import { newRunRecord } from './records.js';
import { applyRetention, type RetentionOutcome, type RetentionPolicy } from './retention.js';
import { newHolder } from './retry.js';
import { holdTargetLock, lockLeaseFor } from './target-lock.js';
import { findTarget } from './target.js';
import type { AgentNode, BackupListing } from './types.js';

// Phase 8 of a backup and `freezeframe prune`: which tagged backups a policy keeps, and the
// deletion of the rest on the target, one at a time.

export interface PruneOptions {
  policy: RetentionPolicy;
  /** Only backups whose manifest names this deployment (or none) are candidates. */
  deployment: string;
  /** Never pruned, whatever the policy says (the backup a run just made). */
  protect?: readonly string[];
  dryRun?: boolean;
}

function deploymentOf(b: BackupListing): string | undefined {
  const m = b.manifest as { deployment?: unknown } | undefined;
  return m && typeof m === 'object' && typeof m.deployment === 'string' ? m.deployment : undefined;
}

/**
 * Decides with `applyRetention` over the target's tagged backups and deletes what it prunes
 * (nothing in a dry run). A refused or failed deletion is reported in `failed` and the rest go
 * on; only a failure to list the backups rejects.
 */
export async function pruneBackups(target: AgentNode, opts: PruneOptions): Promise<RetentionOutcome> {
  const listed = (await target.listBackups()).filter((b) => b.complete);
  const foreign = listed.filter((b) => {
    const d = deploymentOf(b);
    return d !== undefined && d !== opts.deployment;
  });
  const mine = listed.filter((b) => !foreign.includes(b));
  const decision = applyRetention(
    mine.map((b) => b.id),
    opts.policy,
  );
  const protect = new Set(opts.protect ?? []);
  const kept = [
    ...decision.keep.map((k) => (protect.has(k.id) ? { id: k.id, reasons: [...k.reasons, 'this run'] } : k)),
    ...decision.prune.filter((id) => protect.has(id)).map((id) => ({ id, reasons: ['this run'] })),
    ...foreign.map((b) => ({ id: b.id, reasons: [`deployment ${deploymentOf(b)}`] })),
  ];
  const used = new Map(listed.map((b) => [b.id, b.usedBytes]));
  const todo = decision.prune.filter((id) => !protect.has(id));
  const out: RetentionOutcome = { target: target.name, policy: opts.policy, dryRun: !!opts.dryRun, kept, pruned: [], failed: [] };
  // oldest first: an interrupted prune has removed the least valuable backups
  for (const id of [...todo].reverse()) {
    const entry = { id, why: decision.why[id] ?? 'not kept by the policy', usedBytes: used.get(id) ?? 0 };
    if (opts.dryRun) {
      out.pruned.push(entry);
      continue;
    }
    try {
      await target.deleteBackup(id);
      out.pruned.push(entry);
    } catch (e) {
      out.failed.push({ id, error: asFfError(e, target.name).message });
    }
  }
  return out;
}

export interface PruneCommandResult extends RetentionOutcome {
  ok: boolean;
}

/**
 * `freezeframe prune [--dry-run]`: applies the inventory's retention on the target now. Only the
 * target must be reachable. Deleting holds the target lock, so a running backup, restore or
 * verify is never pulled from under; a dry run takes no lock and changes nothing.
 */
export async function prune(inv: Inventory, opts: { dryRun?: boolean } = {}): Promise<PruneCommandResult> {
  const nodes = connectInventory(inv);
  try {
    const { target } = await findTarget(nodes);
    const run = () => pruneBackups(target.node, { policy: inv.retention, deployment: inv.deployment, ...(opts.dryRun ? { dryRun: true } : {}) });
    if (opts.dryRun) {
      const r = await run();
      return { ...r, ok: true };
    }
    const lockId = newBackupId(new Date(), 'prune');
    const ctx: Ctx = { record: newRunRecord('backup', lockId, lockId, inv.deployment), emit: () => {} };
    const lock = await holdTargetLock(ctx, target, { backupId: lockId, leaseMs: lockLeaseFor(inv.freeze.lease), purpose: 'prune', holder: newHolder() });
    try {
      const r = await run();
      return { ...r, ok: r.failed.length === 0 };
    } finally {
      await lock.release();
    }
  } finally {
    closeAll(nodes);
  }
}
