import { checkBackupId } from '@freezeframe/common';
import type { ActivateBackupRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/ActivateBackupRequest.js';
import type { ActivateBackupResponse } from '@freezeframe/common/generated/freezeframe/v1/ActivateBackupResponse.js';
import type { DeactivateBackupRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/DeactivateBackupRequest.js';
import type { DeactivateBackupResponse } from '@freezeframe/common/generated/freezeframe/v1/DeactivateBackupResponse.js';
import { needTarget, type AgentContext } from '../context.js';

export async function activateBackup(ctx: AgentContext, req: ActivateBackupRequest__Output): Promise<ActivateBackupResponse> {
  const r = await needTarget(ctx).activate(checkBackupId(req.backup_id), { browse: req.browse });
  return { entries: r.entries, root: r.root };
}

export async function deactivateBackup(ctx: AgentContext, req: DeactivateBackupRequest__Output): Promise<DeactivateBackupResponse> {
  return { deactivated: await needTarget(ctx).deactivate(checkBackupId(req.backup_id), { browse: req.browse }) };
}
