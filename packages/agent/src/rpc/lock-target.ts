import { checkBackupId } from '@freezeframe/common';
import type { LockTargetRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/LockTargetRequest.js';
import type { LockTargetResponse } from '@freezeframe/common/generated/freezeframe/v1/LockTargetResponse.js';
import type { UnlockTargetRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/UnlockTargetRequest.js';
import type { UnlockTargetResponse } from '@freezeframe/common/generated/freezeframe/v1/UnlockTargetResponse.js';
import { needTarget, type AgentContext } from '../context.js';

export async function lockTarget(ctx: AgentContext, req: LockTargetRequest__Output): Promise<LockTargetResponse> {
  needTarget(ctx);
  const r = ctx.targetLock.lock({ backupId: checkBackupId(req.backup_id), leaseMs: Number(req.lease_ms), purpose: req.purpose, holder: req.holder, takeover: req.takeover });
  return { since_unix_ms: String(r.lock.since), expires_unix_ms: String(r.lock.expires ?? 0), renewed: r.renewed, taken_over_from: r.takenOverFrom };
}

export async function unlockTarget(ctx: AgentContext, req: UnlockTargetRequest__Output): Promise<UnlockTargetResponse> {
  needTarget(ctx);
  return { unlocked: ctx.targetLock.unlock(checkBackupId(req.backup_id), req.holder) };
}
