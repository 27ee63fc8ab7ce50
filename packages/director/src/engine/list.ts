import type { Inventory } from '@freezeframe/common';
import { findTarget, withDeployment } from './core/deployment.js';
import type { BackupListing } from './core/types.js';

/** `freezeframe list`: the target's backups, oldest first. Only the target must answer; other nodes that do not are named in `warnings`. */
export async function list(inv: Inventory): Promise<{ target: string; backups: BackupListing[]; warnings: string[] }> {
  return withDeployment(inv, async (d) => {
    const { target, warnings } = await findTarget(d.nodes);
    const backups = (await target.node.listBackups()).sort((a, b) => (a.id < b.id ? -1 : 1));
    return { target: target.name, backups, warnings };
  });
}
