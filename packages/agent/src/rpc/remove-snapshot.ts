import { checkBackupId } from '@freezeframe/common';
import type { RemoveSnapshotRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/RemoveSnapshotRequest.js';
import type { RemoveSnapshotResponse } from '@freezeframe/common/generated/freezeframe/v1/RemoveSnapshotResponse.js';
import { needSource, type AgentContext } from '../context.js';

export async function removeSnapshot(ctx: AgentContext, req: RemoveSnapshotRequest__Output): Promise<RemoveSnapshotResponse> {
  return { removed: await needSource(ctx).remove(checkBackupId(req.backup_id)) };
}
