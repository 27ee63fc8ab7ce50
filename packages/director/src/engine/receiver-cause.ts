import { FfError } from '@freezeframe/common';
import type { AgentNode } from './types.js';

/** Below this, a target that just failed a transfer is reported as the likely cause (as preflight's limit). */
const LOW_TARGET_SPACE = 64 << 20;

export interface ReceiverCauseOptions {
  backupId: string;
  /** The source whose transfer failed, as the receiver's ticket named it. */
  source: string;
  direction: 'backup' | 'restore';
  /** Also say so when the receiver (a target) is nearly full. */
  checkTargetSpace?: boolean;
}

/**
 * A receiving rsync that fails (disk full, permissions, I/O error) shows on the sending side
 * only as a broken pipe; its reason is in the receiver's stderr, which the receiving agent
 * keeps. After a failed transfer, ask the receiver and put its reason (and, for a target, its
 * free space) into the error, so the error names the real cause.
 */
export async function withReceiverCause(err: FfError, receiver: AgentNode, o: ReceiverCauseOptions): Promise<FfError> {
  if (err.code !== 'TRANSFER_FAILED' && err.code !== 'RESTORE_FAILED' && err.code !== 'INTERNAL') return err;
  const desc = await receiver.describe().catch(() => undefined);
  if (!desc) return err;
  const failure = (desc.receiveFailures ?? []).filter((f) => f.backupId === o.backupId && f.source === o.source && f.direction === o.direction).at(-1);
  const free = o.checkTargetSpace ? desc.target?.freeBytes : undefined;
  const full = free !== undefined && free < LOW_TARGET_SPACE;
  if (!failure && !full) return err;
  const parts = [err.message];
  if (failure) parts.push(`${receiver.name} (receiving): ${failure.message}`);
  if (full) parts.push(`${receiver.name} has only ${free} bytes free: the target is probably full`);
  return new FfError(err.code, parts.join('; '), {
    cause: err,
    ...(err.node ? { node: err.node } : {}),
    ...(err.details ? { details: err.details } : {}),
    ...(full ? { hint: 'free space on the target (freezeframe prune, or grow the pool), then resume the backup' } : err.hint ? { hint: err.hint } : {}),
  });
}
