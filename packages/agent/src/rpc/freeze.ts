import { checkBackupId } from '@freezeframe/common';
import type { FreezeRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/FreezeRequest.js';
import type { FreezeResponse } from '@freezeframe/common/generated/freezeframe/v1/FreezeResponse.js';
import { needLease, type AgentContext } from '../context.js';

export async function freeze(ctx: AgentContext, req: FreezeRequest__Output): Promise<FreezeResponse> {
  const backupId = checkBackupId(req.backup_id);
  const leaseMs = Number(req.lease_ms);
  const r = await needLease(ctx).freeze(backupId, Number.isFinite(leaseMs) && leaseMs > 0 ? leaseMs : 0, ctx.config.freezeMaxTotal);
  return {
    frozen: r.frozen,
    paused_at_unix_ms: String(r.pausedAtUnixMs),
    lease_expires_unix_ms: String(r.leaseExpiresUnixMs),
    renewed: r.renewed,
  };
}
