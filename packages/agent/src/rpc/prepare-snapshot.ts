import { checkBackupId } from '@freezeframe/common';
import type { PrepareSnapshotRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/PrepareSnapshotRequest.js';
import type { PrepareSnapshotResponse } from '@freezeframe/common/generated/freezeframe/v1/PrepareSnapshotResponse.js';
import { needSource, type AgentContext } from '../context.js';
import { checkEntryField } from './entry-field.js';

export async function prepareSnapshot(ctx: AgentContext, req: PrepareSnapshotRequest__Output, signal: AbortSignal): Promise<PrepareSnapshotResponse> {
  const backupId = checkBackupId(req.backup_id);
  const volume = needSource(ctx, checkEntryField(req.entry));
  const started = Date.now();
  await volume.provider.prepare(backupId, signal);
  await ctx.snapshotTimes?.record(backupId, started, Date.now());
  return { entry: volume.entry, duration_ms: String(Date.now() - started), taken_at_unix_ms: String(started) };
}
