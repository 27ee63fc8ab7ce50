import { join } from 'node:path';
import { FfError, checkBackupId, checkEntry } from '@freezeframe/common';
import type { RestoreSourceRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/RestoreSourceRequest.js';
import type { TransferProgress } from '@freezeframe/common/generated/freezeframe/v1/TransferProgress.js';
import { needTarget, type AgentContext } from '../context.js';
import { sendTree } from './transfer.js';

/** Target: pushes one entry of an activated backup back to a source's data channel. */
export async function restoreSource(ctx: AgentContext, req: RestoreSourceRequest__Output, emit: (m: TransferProgress) => void, signal: AbortSignal): Promise<void> {
  const backupId = checkBackupId(req.backup_id);
  const entry = checkEntry(req.entry);
  const { root, entries } = await needTarget(ctx).activate(backupId);
  if (!entries.includes(entry)) {
    throw new FfError('NOT_FOUND', `backup ${backupId} has no entry ${entry} (it has: ${entries.join(', ') || 'none'})`);
  }
  await sendTree(
    ctx,
    {
      backupId,
      from: join(root, entry),
      ticket: req.ticket,
      receiverName: req.receiver_name,
      receiverHost: req.receiver_host,
      receiverPort: req.receiver_data_port,
      inplace: req.inplace,
      direction: 'restore',
      // a dir target stores symlinks munged (so none can be followed there): send them as they were
      unmungeLinks: true,
    },
    emit,
    signal,
  );
}
