import type { FfError } from '@freezeframe/common';
import { receiverVerdict, type NotHeld } from './receiver-verdict.js';
import { withRetry, type RetryPolicy } from './retry.js';
import type { AgentNode, ReceiveTicket, SendArgs, SessionKind, TransferStats } from './types.js';

export interface SendTreeOptions {
  /** A replication stream ('replicate') needs `open`: the remote's OpenReplicaReceive. */
  direction: SessionKind;
  backupId: string;
  /** The source node whose tree this is, as the receiver's ticket names it. */
  source: string;
  entry: string;
  /** Sends: the source for a backup, the target for a restore. */
  sender: AgentNode;
  /** Receives: opens the ticket and, afterwards, says how its rsync ended. */
  receiver: { node: AgentNode; desc: { dataPort: number } };
  /** OpenReceive's `recheck`: the receiver compares every file sent by content. */
  recheck?: boolean;
  /** Issues the receiver's ticket instead of its OpenReceive (a drill node's OpenDrill); called again for each attempt. */
  open?: () => Promise<ReceiveTicket>;
  /** The sender's streaming call (PerformRsync, RestoreSource) with the ticket's arguments. */
  send: (args: SendArgs) => Promise<TransferStats>;
  retry: RetryPolicy;
  signal?: AbortSignal;
  onRetry: (attempt: number, e: FfError, delayMs: number) => void;
  /** Which failures a new ticket may cure (default: the node unreachable, rsync's timeouts). */
  transient?: (e: FfError) => boolean;
}

/**
 * One tree over the data channel, the same for backup and restore: a ticket from the receiver,
 * the sender's rsync, then the receiver's verdict, since a transfer counts only when both rsyncs
 * succeeded. A transient failure is retried with a new ticket (tickets are one-time); rsync
 * reuses what already arrived. Returns what the receiver was allowed not to store.
 */
export async function sendTree(o: SendTreeOptions): Promise<{ stats: TransferStats; notHeld?: NotHeld }> {
  const receiver = o.receiver.node;
  return withRetry(
    async () => {
      const direction = o.direction;
      if (!o.open && direction === 'replicate') throw new Error('sendTree: a replication stream needs open()');
      const ticket = o.open ? await o.open() : await receiver.openReceive({
        backupId: o.backupId,
        source: o.source,
        direction: direction as 'backup' | 'restore',
        peer: o.sender.name,
        entry: o.entry,
        ...(o.recheck !== undefined ? { recheck: o.recheck } : {}),
      });
      const stats = await o.send({
        backupId: o.backupId,
        ticket: ticket.ticket,
        receiverName: receiver.name,
        receiverHost: receiver.host,
        receiverDataPort: ticket.dataPort || o.receiver.desc.dataPort,
        inplace: ticket.inplace,
        ...(ticket.native ? { receiverNative: true } : {}),
      });
      const notHeld = await receiverVerdict(receiver, ticket.ticket, { sender: o.sender.name, direction: o.direction, backupId: o.backupId });
      return { stats, ...(notHeld ? { notHeld } : {}) };
    },
    { policy: o.retry, onRetry: o.onRetry, ...(o.signal ? { signal: o.signal } : {}), ...(o.transient ? { transient: o.transient } : {}) },
  );
}
