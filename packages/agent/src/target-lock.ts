import { FfError, type Logger } from '@freezeframe/common';
import type { AgentContext, TargetLock } from './context.js';

/** Longest lease a director may ask for: a dead director's lock is gone within this. */
export const MAX_LOCK_LEASE_MS = 10 * 60_000;
export const DEFAULT_LOCK_LEASE_MS = 90_000;
const PURPOSES = new Set(['backup', 'restore', 'cleanup', 'verify', 'prune']);

/** The lock as it stands now: a leased lock past its expiry is dropped (its holder died). */
export function currentLock(ctx: Pick<AgentContext, 'targetLock' | 'log'>, now = Date.now()): TargetLock | undefined {
  const l = ctx.targetLock;
  if (l?.expires !== undefined && l.expires <= now) {
    ctx.log.warn({ backup_id: l.backupId, holder: l.holder, purpose: l.purpose, since: new Date(l.since).toISOString() }, 'target lock expired: its holder stopped renewing it');
    ctx.targetLock = undefined;
    return undefined;
  }
  return l;
}

export function describeLock(l: TargetLock): string {
  return `${l.purpose === 'receive' || !l.purpose ? 'backup' : l.purpose} ${l.backupId} (since ${new Date(l.since).toISOString()}${l.holder ? `, held by ${l.holder}` : ''})`;
}

export interface LockRequest {
  backupId: string;
  leaseMs: number;
  purpose: string;
  holder: string;
  takeover: boolean;
}

/**
 * Takes or renews the target lock. Another holder's unexpired lock refuses, naming it; a run
 * resuming its own backup id (takeover) replaces the lock its dead predecessor left. An
 * implicit lock (OpenReceive without LockTarget) is taken over when nothing is being received.
 */
export function lockTarget(ctx: AgentContext, req: LockRequest, now = Date.now()): { lock: TargetLock; renewed: boolean; takenOverFrom: string } {
  if (!PURPOSES.has(req.purpose)) {
    throw new FfError('INVALID_ARGUMENT', `purpose ${JSON.stringify(req.purpose)} must be one of ${[...PURPOSES].join(', ')}`, { details: { field: 'purpose' } });
  }
  if (!/^[A-Za-z0-9_.:@-]{1,128}$/.test(req.holder)) {
    throw new FfError('INVALID_ARGUMENT', 'holder must be 1-128 characters of A-Z a-z 0-9 _ . : @ -', { details: { field: 'holder' } });
  }
  const lease = Math.min(req.leaseMs > 0 ? req.leaseMs : DEFAULT_LOCK_LEASE_MS, MAX_LOCK_LEASE_MS);
  const cur = currentLock(ctx, now);
  let takenOverFrom = '';
  if (cur && cur.holder === req.holder && cur.backupId === req.backupId) {
    cur.expires = now + lease;
    return { lock: cur, renewed: true, takenOverFrom };
  }
  if (cur) {
    const implicitIdle = cur.holder === undefined && ctx.activeSessions() === 0;
    const resuming = req.takeover && cur.backupId === req.backupId;
    if (!implicitIdle && !resuming) {
      throw new FfError('FAILED_PRECONDITION', `target ${ctx.config.name} is locked by ${describeLock(cur)}`, {
        hint: cur.expires
          ? `wait for it to finish; if that run died, its lock expires at ${new Date(cur.expires).toISOString()}${cur.purpose === 'backup' ? ` (or resume it: freezeframe backup --resume ${cur.backupId})` : ''}`
          : 'wait for that backup to finish',
      });
    }
    takenOverFrom = cur.holder ?? `${cur.purpose ?? 'receive'} ${cur.backupId}`;
    ctx.log.warn({ backup_id: req.backupId, from: takenOverFrom, holder: req.holder }, 'taking over the target lock');
  }
  const lock: TargetLock = { backupId: req.backupId, since: now, purpose: req.purpose, holder: req.holder, expires: now + lease };
  ctx.targetLock = lock;
  return { lock, renewed: false, takenOverFrom };
}

/** Releases the lock if `holder` holds it for `backupId`; false otherwise (idempotent). */
export function unlockTarget(ctx: Pick<AgentContext, 'targetLock' | 'log'>, backupId: string, holder: string, log?: Logger): boolean {
  const cur = currentLock(ctx);
  if (!cur || cur.backupId !== backupId || (cur.holder !== undefined && holder !== '' && cur.holder !== holder)) return false;
  ctx.targetLock = undefined;
  (log ?? ctx.log).info({ backup_id: backupId, holder }, 'target lock released');
  return true;
}
