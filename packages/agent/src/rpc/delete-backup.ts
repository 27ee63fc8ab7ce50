import { FfError, checkBackupId } from '@freezeframe/common';
import type { DeleteBackupRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/DeleteBackupRequest.js';
import type { DeleteBackupResponse } from '@freezeframe/common/generated/freezeframe/v1/DeleteBackupResponse.js';
import { needTarget, type AgentContext } from '../context.js';
import { describeLock } from '../target-lock.js';

/** Deletes one tagged backup (retention); never the one a restore, verify or drill is reading. */
export async function deleteBackup(ctx: AgentContext, req: DeleteBackupRequest__Output): Promise<DeleteBackupResponse> {
  const backupId = checkBackupId(req.backup_id);
  const target = needTarget(ctx);
  const lock = ctx.targetLock.current();
  if (lock && lock.backupId === backupId && (lock.purpose === 'restore' || lock.purpose === 'verify' || lock.purpose === 'drill')) {
    throw new FfError('FAILED_PRECONDITION', `backup ${backupId} is in use by ${describeLock(lock)}; it cannot be deleted now`, {
      hint: 'prune again when that run has finished',
    });
  }
  return { deleted: await target.destroy(backupId) };
}
