import { randomBytes, timingSafeEqual } from 'node:crypto';
import { FfError, isTicket } from '@freezeframe/common';

/** replicate: a zfs/btrfs stream from the target this one is a replica of (datachannel stream mode). */
export type Direction = 'backup' | 'restore' | 'replicate';

/** What a ticket lets its holder do: send one tree into one folder on this agent, once. */
export interface TicketGrant {
  backupId: string;
  source: string;
  entry: string;
  direction: Direction;
  /** Certificate identity that may present the ticket. */
  peer: string;
  /** Receive folder and receiver-side rsync options, decided by this agent. */
  path: string;
  rsyncOptions: string[];
  /** Seen at /mnt by the receiving rsync, with `path` and its --link-dest basis (TargetProvider's Receive). */
  viewRoot?: string;
  /**
   * Every symlink in `path` and its --link-dest basis is stored munged (`/rsyncd-munged/...`, the
   * dir target): the receiver, chrooted in its view, may turn off rsync's symlink walk (datachannel/server.ts).
   */
  linksMunged?: boolean;
  /** The file the receiving rsync logs each change into (receive-journal.ts). */
  journal?: string;
  /** What the receiving rsync may fail to store without failing the session (target.unsupported). */
  allowNotStored?: readonly string[];
  /** replicate: the backup the stream must be incremental from ('' or absent: a full stream). */
  baseId?: string;
}

export interface Ticket extends TicketGrant {
  ticket: string;
  expiresUnixMs: number;
}

export interface RedeemRequest {
  ticket: unknown;
  /** Certificate identity of the connecting peer. */
  peer: string | undefined;
  direction: unknown;
}

/**
 * One-time receive tickets. A ticket is random (256 bit), bound to a grant, expires, and is
 * consumed by its first successful redemption; refusals (wrong peer, wrong direction) do not
 * consume it, so a stray connection cannot burn the sender's ticket.
 */
export class TicketBook {
  private readonly tickets = new Map<string, Ticket>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  issue(grant: TicketGrant): Ticket {
    this.purge();
    const t: Ticket = { ...grant, ticket: randomBytes(32).toString('hex'), expiresUnixMs: this.now() + this.ttlMs };
    this.tickets.set(t.ticket, t);
    return t;
  }

  /** Checks and consumes a ticket; PERMISSION_DENIED says why it was refused. */
  redeem(req: RedeemRequest): Ticket {
    this.purge();
    if (!isTicket(req.ticket)) {
      throw new FfError('PERMISSION_DENIED', 'ticket is malformed (64 hex characters expected)');
    }
    const t = this.lookup(req.ticket);
    if (!t) throw new FfError('PERMISSION_DENIED', 'ticket is unknown, expired or already used');
    if (req.peer !== t.peer) {
      throw new FfError('PERMISSION_DENIED', `ticket was issued to '${t.peer}', presented by '${req.peer ?? '(no certificate)'}'`);
    }
    if (req.direction !== t.direction) {
      throw new FfError('PERMISSION_DENIED', `ticket is for a ${t.direction}, presented for ${JSON.stringify(req.direction)}`);
    }
    this.tickets.delete(t.ticket);
    return t;
  }

  /** Unexpired tickets (for the target lock and Health). */
  pending(): Ticket[] {
    this.purge();
    return [...this.tickets.values()];
  }

  private lookup(ticket: string): Ticket | undefined {
    // constant-time compare, so response timing does not leak how much of a guess matched
    const given = Buffer.from(ticket, 'hex');
    for (const t of this.tickets.values()) {
      if (timingSafeEqual(Buffer.from(t.ticket, 'hex'), given)) return t;
    }
    return undefined;
  }

  private purge(): void {
    const now = this.now();
    for (const [k, t] of this.tickets) if (t.expiresUnixMs <= now) this.tickets.delete(k);
  }
}
