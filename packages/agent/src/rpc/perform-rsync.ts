import { checkBackupId } from '@freezeframe/common';
import type { PerformRsyncRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/PerformRsyncRequest.js';
import type { TransferProgress } from '@freezeframe/common/generated/freezeframe/v1/TransferProgress.js';
import { needSource, type AgentContext } from '../context.js';
import { sendTree } from './transfer.js';

/** Source: sends this backup's snapshot to the receiver's data channel. */
export async function performRsync(ctx: AgentContext, req: PerformRsyncRequest__Output, emit: (m: TransferProgress) => void, signal: AbortSignal): Promise<void> {
  const backupId = checkBackupId(req.backup_id);
  const from = await needSource(ctx).snapshotPath(backupId);
  await sendTree(
    ctx,
    {
      backupId,
      from,
      ticket: req.ticket,
      receiverName: req.receiver_name,
      receiverHost: req.receiver_host,
      receiverPort: req.receiver_data_port,
      inplace: req.inplace,
      direction: 'backup',
    },
    emit,
    signal,
  );
}
