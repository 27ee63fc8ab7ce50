import { FfError, checkBackupId, type Inventory } from '@freezeframe/common';
import { findTarget, withDeployment } from './core/deployment.js';
import { readRunRecord, stateDirOf, type RunRecord } from './core/records.js';
import { resolveBackup } from './core/resolve-backup.js';
import type { BackupListing } from './core/types.js';

export type ShowResult = ({ from: 'record'; record: RunRecord } | { from: 'target'; target: string; backup: BackupListing }) & {
  /** Nodes that did not answer (only the target is asked, and only when needed). */
  warnings: string[];
};

/**
 * `freezeframe show`: the local run record of `id`, else the manifest the target stored with the
 * backup. `latest` is resolved on the target first (as verify and restore do), then shown the
 * same way.
 */
export async function show(inv: Inventory, id: string): Promise<ShowResult> {
  const stateDir = stateDirOf(inv);
  if (id !== 'latest') {
    const local = readRunRecord(stateDir, id);
    if (local) return { from: 'record', record: local, warnings: [] };
    checkBackupId(id, 'id');
  }
  return withDeployment(inv, async (d) => {
    const { target, warnings } = await findTarget(d.nodes);
    const backups = await target.node.listBackups();
    let b: BackupListing;
    try {
      b = resolveBackup(backups, id, target.name);
    } catch (e) {
      if (id === 'latest') throw e;
      throw new FfError('NOT_FOUND', `no run record for ${id} in ${stateDir} and no such backup on ${target.name}`, { hint: 'see `freezeframe list`' });
    }
    const local = readRunRecord(stateDir, b.id);
    if (local) return { from: 'record', record: local, warnings };
    return { from: 'target', target: target.name, backup: b, warnings };
  });
}
