import { newBackupId, type Inventory } from '@freezeframe/common';
import { preflight, withDeployment } from './core/deployment.js';
import { asFfError } from './core/phases.js';
import { newHolder } from './core/retry.js';
import { holdTargetLock, lockLeaseFor, unrecordedCtx } from './core/target-lock.js';

// `freezeframe cleanup`: holds the target lock, so it never touches what a running backup or
// restore is using.

export interface CleanupCommandResult {
  /** Per node: what was removed and what could not be. */
  nodes: Array<{ node: string; removed: string[]; problems: string[] }>;
  dryRun: boolean;
  ok: boolean;
}

/**
 * Removes every leftover of earlier runs on every node (source snapshots and mounts, restore
 * clones, stale freezes, the folders of drills that did not finish), by the id each carries.
 * Running it twice is a no-op.
 */
export async function cleanup(inv: Inventory, opts: { dryRun?: boolean } = {}): Promise<CleanupCommandResult> {
  return withDeployment(inv, async (d) => {
    const ctx = unrecordedCtx(inv.deployment);
    const dep = await preflight(ctx, d.nodes, { forBackup: false });
    const lockId = newBackupId(new Date(), 'cleanup');
    const lock = await holdTargetLock(ctx, dep.target, { backupId: lockId, leaseMs: lockLeaseFor(inv.freeze.lease), purpose: 'cleanup', holder: newHolder() });
    try {
      const rows = await Promise.all(
        dep.members.map(async (m) => {
          try {
            const r = await m.node.cleanup([lockId], !!opts.dryRun);
            // an interrupted drill's folder holds a whole restored backup: the next drill would remove it, cleanup does now
            const drills = inv.drill?.node === m.node.name ? await d.node(m.node.name).removeDrill({ drillId: '', dir: inv.drill.dir, leftovers: true, dryRun: !!opts.dryRun }) : [];
            return { node: m.node.name, removed: [...r.removed, ...drills.map((f) => `drill folder ${f}`)], problems: r.problems };
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
