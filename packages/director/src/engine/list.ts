import type { Inventory } from '@freezeframe/common';
import { findTarget, withDeployment } from './core/deployment.js';
import { remoteEntries, withRemotes } from './core/remotes.js';
import type { BackupListing } from './core/types.js';

/**
 * `freezeframe list [--target NAME]`: the target's backups, oldest first, or those of the remote
 * target NAME (one of replicate.to; only it is asked). Only the target must answer; other nodes that
 * do not are named in `warnings`.
 */
export async function list(inv: Inventory, opts: { target?: string } = {}): Promise<{ target: string; backups: BackupListing[]; warnings: string[] }> {
  const sorted = (l: BackupListing[]) => l.sort((a, b) => (a.id < b.id ? -1 : 1));
  if (opts.target !== undefined) {
    const entries = remoteEntries(inv, opts.target, '--target');
    return withRemotes(inv, entries, async ([remote]) => {
      const desc = await remote!.describe();
      const warnings = desc.target?.replicaOf ? [] : [`${remote!.name}: its target.replicaOf is not set: it is not a remote target of this deployment's target`];
      return { target: remote!.name, backups: sorted(await remote!.listBackups()), warnings };
    });
  }
  return withDeployment(inv, async (d) => {
    const { target, warnings } = await findTarget(d.nodes);
    const backups = sorted(await target.node.listBackups());
    return { target: target.name, backups, warnings };
  });
}
