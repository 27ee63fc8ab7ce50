import { FfError, LOCK_HOLDER_RE, type Logger } from '@freezeframe/common';

/** Longest lease a director may ask for: a dead director's lock is gone within this. */
export const MAX_LOCK_LEASE_MS = 10 * 60_000;
export const DEFAULT_LOCK_LEASE_MS = 90_000;
const PURPOSES = new Set(['backup', 'restore', 'cleanup', 'verify', 'prune', 'drill']);

/** Which backup is being received into the target (or read from it), so two runs never interleave there. */
export interface HeldLock {
  backupId: string;
  since: number;
  /** What holds it; "receive" is the implicit lock of an OpenReceive without LockTarget. */
  purpose?: string;
  /** The run that took it with LockTarget; renewals and unlocks must match. */
  holder?: string;
  /** Unix ms after which a LockTarget lock counts as abandoned (its holder died). */
  expires?: number;
}

export interface LockRequest {
  backupId: string;
  leaseMs: number;
  purpose: string;
  holder: string;
  takeover: boolean;
}

export function describeLock(l: HeldLock): string {
  return `${l.purpose === 'receive' || !l.purpose ? 'backup' : l.purpose} ${l.backupId} (since ${new Date(l.since).toISOString()}${l.holder ? `, held by ${l.holder}` : ''})`;
}

export interface TargetLockOptions {
  /** The node's name, for messages. */
  node: string;
  log: Logger;
  /** Data-channel sessions running now: an implicit lock is idle (and taken over) only without any. */
  activeSessions(): number;
}

/**
 * The target lock of one agent (one per AgentContext): at most one backup id is received into
 * the target at a time. A director takes it with LockTarget (a lease it renews; a run resuming
 * its own backup id takes it over); an OpenReceive without LockTarget takes an implicit one,
 * which the next backup takes over once nothing is being received for it.
 */
export class TargetLock {
  private held: HeldLock | undefined;

  constructor(private readonly o: TargetLockOptions) {}

  /** The lock as it stands now: a leased lock past its expiry is dropped (its holder died). */
  current(now = Date.now()): HeldLock | undefined {
    const l = this.held;
    if (l?.expires !== undefined && l.expires <= now) {
      this.o.log.warn({ backup_id: l.backupId, holder: l.holder, purpose: l.purpose, since: new Date(l.since).toISOString() }, 'target lock expired: its holder stopped renewing it');
      this.held = undefined;
      return undefined;
    }
    return l;
  }

  /**
   * LockTarget: takes or renews the lock. Another holder's unexpired lock refuses, naming it; a
   * run resuming its own backup id (takeover) replaces the lock its dead predecessor left. An
   * implicit lock is taken over when nothing is being received.
   */
  lock(req: LockRequest, now = Date.now()): { lock: HeldLock; renewed: boolean; takenOverFrom: string } {
    if (!PURPOSES.has(req.purpose)) {
      throw new FfError('INVALID_ARGUMENT', `purpose ${JSON.stringify(req.purpose)} must be one of ${[...PURPOSES].join(', ')}`, { details: { field: 'purpose' } });
    }
    if (!LOCK_HOLDER_RE.test(req.holder)) {
      throw new FfError('INVALID_ARGUMENT', 'holder must be 1-128 characters of A-Z a-z 0-9 _ . : @ -', { details: { field: 'holder' } });
    }
    const lease = Math.min(req.leaseMs > 0 ? req.leaseMs : DEFAULT_LOCK_LEASE_MS, MAX_LOCK_LEASE_MS);
    const cur = this.current(now);
    let takenOverFrom = '';
    if (cur && cur.holder === req.holder && cur.backupId === req.backupId) {
      cur.expires = now + lease;
      return { lock: cur, renewed: true, takenOverFrom };
    }
    if (cur) {
      const implicitIdle = cur.holder === undefined && this.o.activeSessions() === 0;
      const resuming = req.takeover && cur.backupId === req.backupId;
      if (!implicitIdle && !resuming) {
        throw new FfError('FAILED_PRECONDITION', `target ${this.o.node} is locked by ${describeLock(cur)}`, {
          hint: cur.expires
            ? `wait for it to finish; if that run died, its lock expires at ${new Date(cur.expires).toISOString()}${cur.purpose === 'backup' ? ` (or resume it: freezeframe backup --resume ${cur.backupId})` : ''}`
            : 'wait for that backup to finish',
        });
      }
      takenOverFrom = cur.holder ?? `${cur.purpose ?? 'receive'} ${cur.backupId}`;
      this.o.log.warn({ backup_id: req.backupId, from: takenOverFrom, holder: req.holder }, 'taking over the target lock');
    }
    const lock: HeldLock = { backupId: req.backupId, since: now, purpose: req.purpose, holder: req.holder, expires: now + lease };
    this.held = lock;
    return { lock, renewed: false, takenOverFrom };
  }

  /**
   * OpenReceive of a backup: refuses while another backup id holds the lock (a LockTarget lock,
   * or an implicit one with data moving); otherwise takes an implicit lock for `backupId`.
   */
  receive(backupId: string, now = Date.now()): void {
    const cur = this.current(now);
    if (cur?.backupId === backupId) return;
    if (cur) {
      if (cur.holder !== undefined || this.o.activeSessions() > 0) {
        throw new FfError('FAILED_PRECONDITION', `target ${this.o.node} is locked by ${describeLock(cur)}`, { hint: 'wait for that run to finish' });
      }
      this.o.log.warn({ backup_id: backupId, stale: cur.backupId }, 'taking over a target lock of a backup that was never tagged');
    }
    this.held = { backupId, since: now, purpose: 'receive' };
  }

  /** Releases the lock if `holder` holds it for `backupId` (any holder for ''); false otherwise (idempotent). */
  unlock(backupId: string, holder: string): boolean {
    const cur = this.current();
    if (!cur || cur.backupId !== backupId || (cur.holder !== undefined && holder !== '' && cur.holder !== holder)) return false;
    this.held = undefined;
    this.o.log.info({ backup_id: backupId, holder }, 'target lock released');
    return true;
  }

  /** A tagged backup is complete: whoever held the lock for it is done receiving. */
  tagged(backupId: string): void {
    if (this.held?.backupId === backupId) this.held = undefined;
  }
}
