import { checkBackupId, type Inventory } from '@freezeframe/common';
import { findTarget, withDeployment } from './core/deployment.js';
import { resolveBackup } from './core/resolve-backup.js';
import { newHolder } from './core/retry.js';
import { holdTargetLock, lockLeaseFor, unrecordedCtx } from './core/target-lock.js';
import type { VerifyResult } from './core/types.js';

export interface VerifyCommandResult extends VerifyResult {
  backupId: string;
  target: string;
  /** Nodes that did not answer (only the target is needed). */
  warnings: string[];
}

/**
 * `freezeframe verify`: re-reads backup `id` (or `latest`, as show and restore resolve it) on the
 * target and compares every file with the checksums recorded at backup time, under the target
 * lock so a running backup or restore is never read from under. Only the target must answer:
 * other nodes that do not are named in `warnings`.
 */
export async function verify(inv: Inventory, id: string): Promise<VerifyCommandResult> {
  if (id !== 'latest') checkBackupId(id, 'backup id');
  return withDeployment(inv, async (d) => {
    const { target, warnings } = await findTarget(d.nodes);
    const backupId = resolveBackup(await target.node.listBackups(), id, target.node.name).id;
    const lock = await holdTargetLock(unrecordedCtx(inv.deployment), target, { backupId, leaseMs: lockLeaseFor(inv.freeze.lease), purpose: 'verify', holder: newHolder() });
    try {
      return { backupId, target: target.node.name, warnings, ...(await target.node.verifyBackup(backupId)) };
    } finally {
      await lock.release();
    }
  });
}
