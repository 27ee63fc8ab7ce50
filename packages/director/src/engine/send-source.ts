import type { FfError } from '@freezeframe/common';
import type { Member } from './phases.js';
import { mergeNotHeld, receiverVerdict, type NotHeld } from './receiver-verdict.js';
import { withRetry, type RetryPolicy } from './retry.js';
import type { TransferProgress, TransferStats } from './types.js';

export interface SendSourceOptions {
  backupId: string;
  source: Member;
  target: Member;
  entry: string;
  /** The newest tagged backup holding this entry; none: every file is compared by content. */
  previous: string | undefined;
  signal: AbortSignal;
  retry: RetryPolicy;
  onRetry: (attempt: number, e: FfError, delayMs: number) => void;
  onProgress: (p: TransferProgress) => void;
}

export interface SentSource {
  stats: TransferStats;
  rechecked: number;
  notHeld?: NotHeld;
}

/**
 * One source's backup transfer: rsync's ordinary pass, then, for the files whose mtime the
 * quick check cannot tell apart from the stored copy's, a second pass that compares content
 * (the agent's recheck.ts says which). Each pass counts only when the receiving rsync also
 * succeeded. A retry opens a new ticket (tickets are one-time); rsync reuses what arrived.
 */
export async function sendSource(o: SendSourceOptions): Promise<SentSource> {
  const { source, target } = o;
  const name = source.node.name;
  const pass = async (recheck: boolean): Promise<{ stats: TransferStats; notHeld?: NotHeld }> =>
    withRetry(
      async () => {
        const ticket = await target.node.openReceive({ backupId: o.backupId, source: name, direction: 'backup', peer: name, entry: o.entry, recheck: recheck || !o.previous });
        const stats = await source.node.performRsync(
          {
            backupId: o.backupId,
            ticket: ticket.ticket,
            receiverName: target.node.name,
            receiverHost: target.node.host,
            receiverDataPort: ticket.dataPort || target.desc.dataPort,
            inplace: ticket.inplace,
            ...(o.previous ? { previousBackupId: o.previous } : {}),
            ...(recheck ? { recheck: true } : {}),
          },
          { signal: o.signal, onProgress: o.onProgress },
        );
        const notHeld = await receiverVerdict(target.node, ticket.ticket, { sender: name, direction: 'backup' });
        return { stats, ...(notHeld ? { notHeld } : {}) };
      },
      { policy: o.retry, signal: o.signal, onRetry: o.onRetry },
    );
  const first = await pass(false);
  const rechecked = first.stats.recheckFiles ?? 0;
  if (rechecked === 0) return { stats: first.stats, rechecked, ...(first.notHeld ? { notHeld: first.notHeld } : {}) };
  const second = await pass(true);
  const notHeld = mergeNotHeld(first.notHeld, second.notHeld);
  return {
    stats: {
      ...first.stats,
      filesTransferred: first.stats.filesTransferred + second.stats.filesTransferred,
      bytesTransferred: first.stats.bytesTransferred + second.stats.bytesTransferred,
      bytesSent: first.stats.bytesSent + second.stats.bytesSent,
      durationMs: first.stats.durationMs + second.stats.durationMs,
    },
    rechecked,
    ...(notHeld ? { notHeld } : {}),
  };
}
