import { newBackupId, type Inventory } from '@freezeframe/common';
import { findTarget, withDeployment } from './core/deployment.js';
import { pruneBackups, type RetentionOutcome } from './core/retention.js';
import { newHolder } from './core/retry.js';
import { holdTargetLock, lockLeaseFor, unrecordedCtx } from './core/target-lock.js';

// `freezeframe prune`: the inventory's retention, applied now (a backup applies it as phase 8).

export interface PruneCommandResult extends RetentionOutcome {
  ok: boolean;
}

/**
 * `freezeframe prune [--dry-run]`: applies the inventory's retention on the target now. Only the
 * target must be reachable. Deleting holds the target lock, so a running backup, restore or
 * verify is never pulled from under; a dry run takes no lock and changes nothing.
 */
export async function prune(inv: Inventory, opts: { dryRun?: boolean } = {}): Promise<PruneCommandResult> {
  return withDeployment(inv, async (d) => {
    const { target } = await findTarget(d.nodes);
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
