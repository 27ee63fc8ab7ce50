import { FfError, formatBytes } from '@freezeframe/common';
import type { AgentNode } from './types.js';

/**
 * Below this, a target that just failed a transfer is reported as the likely cause. The same
 * figure as the agent's health check (MIN_FREE_BYTES in packages/agent/src/rpc/health.ts), which
 * makes preflight refuse a target or source volume with less.
 */
export const LOW_SPACE_BYTES = 64 << 20;


/**
 * Too little space on `node`'s target or source volume, said with both figures and where the
 * threshold comes from, and what to do.
 */
export function lowSpaceMessage(node: string, what: string, freeBytes: number): { message: string; hint: string } {
  return {
    message: `${node}: ${what} has ${formatBytes(freeBytes)} free, needs at least ${formatBytes(LOW_SPACE_BYTES)} (the agent's fixed minimum free space, checked by its health check and by preflight)`,
    hint: what === 'target'
      ? `free space on ${node}'s target (freezeframe prune, or grow the pool or disk), then run the backup again (--resume <id> after a failed one)`
      : `free space on ${node}'s ${what} (the snapshot needs room), then run the backup again`,
  };
}

export interface ReceiverCauseOptions {
  backupId: string;
  /** The source whose transfer failed, as the receiver's ticket named it; a replication stream has none. */
  source?: string;
  direction: 'backup' | 'restore' | 'replicate';
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
  if (err.code !== 'TRANSFER_FAILED' && err.code !== 'RESTORE_FAILED' && err.code !== 'INTERNAL' && err.code !== 'UNAVAILABLE') return err;
  const desc = await receiver.describe().catch(() => undefined);
  if (!desc) return err;
  const failure = (desc.receiveFailures ?? []).filter((f) => f.backupId === o.backupId && (o.source === undefined || f.source === o.source) && f.direction === o.direction).at(-1);
  const free = o.checkTargetSpace ? desc.target?.freeBytes : undefined;
  const full = free !== undefined && free < LOW_SPACE_BYTES;
  if (!failure && !full) return err;
  const parts = [err.message];
  if (failure) parts.push(`${receiver.name} (receiving): ${failure.message}`);
  const low = full ? lowSpaceMessage(receiver.name, 'target', free) : undefined;
  if (low) parts.push(`${low.message}: the target is probably full`);
  return new FfError(err.code, parts.join('; '), {
    cause: err,
    ...(err.node ? { node: err.node } : {}),
    ...(err.details ? { details: err.details } : {}),
    ...(low ? { hint: low.hint } : err.hint ? { hint: err.hint } : {}),
  });
}
