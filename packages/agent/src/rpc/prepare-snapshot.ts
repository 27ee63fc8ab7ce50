import { checkBackupId, errorMessage } from '@freezeframe/common';
import type { PrepareSnapshotRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/PrepareSnapshotRequest.js';
import type { PrepareSnapshotResponse } from '@freezeframe/common/generated/freezeframe/v1/PrepareSnapshotResponse.js';
import { needSource, type AgentContext } from '../context.js';
import { checkEntryField } from './entry-field.js';

export async function prepareSnapshot(ctx: AgentContext, req: PrepareSnapshotRequest__Output, signal: AbortSignal): Promise<PrepareSnapshotResponse> {
  const backupId = checkBackupId(req.backup_id);
  const volume = needSource(ctx, checkEntryField(req.entry));
  const started = Date.now();
  await volume.provider.prepare(backupId, signal);
  // written after the answer: the director thaws once every snapshot has answered, and the
  // records of twenty volumes, written one after another with an fsync each, held the thaw up by
  // ~90 ms. The transfer's read of them waits for a write still under way (SnapshotTimes is
  // serial); a lost record widens the next backup's recheck (SnapshotTimes.windows), never narrows it.
  ctx.snapshotTimes?.record(backupId, started, Date.now()).catch((e: unknown) => ctx.log.warn({ backup_id: backupId, err: errorMessage(e) }, 'cannot record when the snapshot was taken; the next backup rechecks more files'));
  return { entry: volume.entry, duration_ms: String(Date.now() - started), taken_at_unix_ms: String(started) };
}
