import { checkBackupId, newBackupId, type Inventory } from '@freezeframe/common';
import { closeAll, connectInventory } from './agent-client.js';
import { asFfError, preflight, type Ctx } from './phases.js';
import { newRunRecord } from './records.js';
import { newHolder } from './retry.js';
import { holdTargetLock, lockLeaseFor } from './target-lock.js';
import { findTarget, resolveBackup } from './target.js';
import type { AgentNode, VerifyResult } from './types.js';

// `freezeframe cleanup` and `freezeframe verify`: both hold the target lock, so they never
// touch what a running backup or restore is using.

export interface CleanupCommandResult {
  /** Per node: what was removed and what could not be. */
  nodes: Array<{ node: string; removed: string[]; problems: string[] }>;
  dryRun: boolean;
  ok: boolean;
}

async function withNodes<T>(inv: Inventory, fn: (nodes: AgentNode[], ctx: Ctx) => Promise<T>): Promise<T> {
  const nodes = connectInventory(inv);
  const id = newBackupId(new Date(), 'maintenance');
  const ctx: Ctx = { record: newRunRecord('backup', id, id, inv.deployment), emit: () => {} };
  try {
    return await fn(nodes, ctx);
  } finally {
    closeAll(nodes);
  }
}

/**
 * Removes every leftover of earlier runs on every node (source snapshots and mounts, restore
 * clones, stale freezes), by the backup id each carries. Running it twice is a no-op.
 */
export async function cleanup(inv: Inventory, opts: { dryRun?: boolean } = {}): Promise<CleanupCommandResult> {
  return withNodes(inv, async (nodes, ctx) => {
    const dep = await preflight(ctx, nodes, { forBackup: false });
    const lockId = newBackupId(new Date(), 'cleanup');
    const lock = await holdTargetLock(ctx, dep.target, { backupId: lockId, leaseMs: lockLeaseFor(inv.freeze.lease), purpose: 'cleanup', holder: newHolder() });
    try {
      const rows = await Promise.all(
        dep.members.map(async (m) => {
          try {
            const r = await m.node.cleanup([lockId], !!opts.dryRun);
            return { node: m.node.name, removed: r.removed, problems: r.problems };
          } catch (e) {
            return { node: m.node.name, removed: [], problems: [asFfError(e, m.node.name).message] };
          }
        }),
      );
      return { nodes: rows, dryRun: !!opts.dryRun, ok: rows.every((r) => r.problems.length === 0) };
    } finally {
      await lock.release();
    }
  });
}

export interface VerifyCommandResult extends VerifyResult {
  backupId: string;
  target: string;
  /** Nodes that did not answer (only the target is needed). */
  warnings: string[];
}

/**
 * Re-reads backup `id` (or `latest`, as show and restore resolve it) on the target and compares
 * every file with the checksums recorded at backup time. Only the target must answer: other
 * nodes that do not are named in `warnings`.
 */
export async function verify(inv: Inventory, id: string): Promise<VerifyCommandResult> {
  if (id !== 'latest') checkBackupId(id, 'backup id');
  return withNodes(inv, async (nodes, ctx) => {
    const { target, warnings } = await findTarget(nodes);
    const backupId = resolveBackup(await target.node.listBackups(), id, target.node.name).id;
    const lock = await holdTargetLock(ctx, target, { backupId, leaseMs: lockLeaseFor(inv.freeze.lease), purpose: 'verify', holder: newHolder() });
    try {
      return { backupId, target: target.node.name, warnings, ...(await target.node.verifyBackup(backupId)) };
    } finally {
      await lock.release();
    }
  });
}
