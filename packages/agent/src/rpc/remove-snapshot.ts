import { checkBackupId } from '@freezeframe/common';
import type { RemoveSnapshotRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/RemoveSnapshotRequest.js';
import type { RemoveSnapshotResponse } from '@freezeframe/common/generated/freezeframe/v1/RemoveSnapshotResponse.js';
import { needSource, type AgentContext } from '../context.js';
import { checkEntryField } from './entry-field.js';

/** Removes the snapshot of one volume, or with no entry of every volume of the node (each is tried). */
export async function removeSnapshot(ctx: AgentContext, req: RemoveSnapshotRequest__Output): Promise<RemoveSnapshotResponse> {
  const backupId = checkBackupId(req.backup_id);
  const entry = checkEntryField(req.entry);
  const volumes = entry || ctx.sources.length <= 1 ? [needSource(ctx, entry)] : ctx.sources;
  const settled = await Promise.allSettled(volumes.map((v) => v.provider.remove(backupId)));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return { removed: settled.some((r) => r.status === 'fulfilled' && r.value) };
}
