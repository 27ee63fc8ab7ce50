import { checkBackupId } from '@freezeframe/common';
import type { ThawRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/ThawRequest.js';
import type { ThawResponse } from '@freezeframe/common/generated/freezeframe/v1/ThawResponse.js';
import { needLease, type AgentContext } from '../context.js';

export async function thaw(ctx: AgentContext, req: ThawRequest__Output): Promise<ThawResponse> {
  const r = await needLease(ctx).thaw(checkBackupId(req.backup_id));
  return { thawed: r.thawed, thawed_at_unix_ms: String(r.thawedAtUnixMs), was_frozen: r.wasFrozen };
}
