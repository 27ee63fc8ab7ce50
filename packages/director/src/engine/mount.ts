import { FfError, checkBackupId, checkName, type Inventory } from '@freezeframe/common';
import { findTarget, withDeployment } from './core/deployment.js';
import { resolveBackup } from './core/resolve-backup.js';
import type { AgentNode } from './core/types.js';

// `freezeframe mount` and `umount`: a backup readable on the target for a person to look
// around in (ZFS: a read-only clone of its own, which restores never take away; dir and btrfs:
// the stored tree itself, read-only on btrfs).

export interface MountResult {
  deployment: string;
  backupId: string;
  target: string;
  /** The folder on the target holding the backup's entries. */
  root: string;
  entries: string[];
  /** Warnings: nodes that did not answer (not needed here). */
  warnings: string[];
}

export interface UmountResult {
  deployment: string;
  backupId: string;
  target: string;
  /** False when nothing was mounted for it (a dir or btrfs target never mounts anything). */
  unmounted: boolean;
  warnings: string[];
}

async function theTarget(nodes: readonly AgentNode[], node: string | undefined) {
  if (node !== undefined) checkName(node, '--node');
  const { target, warnings } = await findTarget(nodes);
  if (node !== undefined && node !== target.node.name) {
    throw new FfError('INVALID_ARGUMENT', `--node ${node} is not the target of this deployment (${target.node.name} is)`, { details: { field: '--node' } });
  }
  return { target: target.node, warnings };
}

/** `freezeframe mount <id|latest> [--node TARGET]`: the backup stays readable there until `umount`. */
export async function mountBackup(inv: Inventory, opts: { backup: string; node?: string }): Promise<MountResult> {
  if (opts.backup !== 'latest') checkBackupId(opts.backup, 'backup id');
  return withDeployment(inv, async ({ nodes }) => {
    const { target, warnings } = await theTarget(nodes, opts.node);
    const chosen = resolveBackup(await target.listBackups(), opts.backup, target.name);
    if (!chosen.complete) throw new FfError('FAILED_PRECONDITION', `backup ${chosen.id} is incomplete`, { node: target.name });
    if (!target.browseOn) throw new FfError('FAILED_PRECONDITION', `${target.name} cannot mount backups`, { node: target.name });
    const r = await target.browseOn(chosen.id);
    return { deployment: inv.deployment, backupId: chosen.id, target: target.name, root: r.root, entries: r.entries, warnings };
  });
}

/** `freezeframe umount <id|latest> [--node TARGET]`: ends what `mount` made. */
export async function umountBackup(inv: Inventory, opts: { backup: string; node?: string }): Promise<UmountResult> {
  if (opts.backup !== 'latest') checkBackupId(opts.backup, 'backup id');
  return withDeployment(inv, async ({ nodes }) => {
    const { target, warnings } = await theTarget(nodes, opts.node);
    // `latest` names what it names now; an id needs no listing (its backup may be gone already)
    const id = opts.backup === 'latest' ? resolveBackup(await target.listBackups(), 'latest', target.name).id : opts.backup;
    if (!target.browseOff) throw new FfError('FAILED_PRECONDITION', `${target.name} cannot mount backups`, { node: target.name });
    return { deployment: inv.deployment, backupId: id, target: target.name, unmounted: await target.browseOff(id), warnings };
  });
}
