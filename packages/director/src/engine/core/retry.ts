import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FfError } from '@freezeframe/common';
import { asFfError } from './phases.js';

/** rsync's own codes for timeouts: 30 (data send/receive), 35 (waiting for the daemon). */
const RSYNC_TRANSIENT_EXITS = new Set([30, 35]);

export interface RetryPolicy {
  /** Tries in all (1 = no retry). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 10_000 };

/**
 * rsync's exit code carried by a transfer error: `details.exitCode`, which the agent sets and
 * the error trailer carries to the director. The message is for humans and is never parsed; an
 * older agent's error (no trailer) has no exit code, so it is not retried.
 */
export function rsyncExitOf(e: FfError): number | undefined {
  const d = e.details?.exitCode;
  return typeof d === 'number' && Number.isInteger(d) ? d : undefined;
}

/**
 * Transient: the node may answer on a second try (UNAVAILABLE), or rsync timed out (30/35).
 * Everything else (refused ticket, full disk, permission, a bad argument) fails at once.
 */
export function isTransientError(e: FfError): boolean {
  if (e.code === 'UNAVAILABLE') return true;
  if (e.code === 'TRANSFER_FAILED' || e.code === 'RESTORE_FAILED' || e.code === 'INTERNAL') {
    const exit = rsyncExitOf(e);
    return exit !== undefined && RSYNC_TRANSIENT_EXITS.has(exit);
  }
  return false;
}

export interface RetryOptions {
  policy?: RetryPolicy;
  signal?: AbortSignal;
  onRetry?: (attempt: number, error: FfError, delayMs: number) => void;
  /** Which failures a new try may cure (default isTransientError). */
  transient?: (e: FfError) => boolean;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `fn`, retrying transient failures with exponential backoff; the last error is thrown as is. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const p = o.policy ?? DEFAULT_RETRY;
  const sleep = o.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const err = asFfError(e);
      if (attempt >= p.attempts || !(o.transient ?? isTransientError)(err) || o.signal?.aborted) throw err;
      const delay = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (attempt - 1));
      o.onRetry?.(attempt, err, delay);
      await sleep(delay);
      if (o.signal?.aborted) throw err;
    }
  }
}

/** Identifies one director run to the target lock: host, pid and a random part. */
export function newHolder(): string {
  return `${hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60)}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/**
 * Fault-injection points for the fault suite: when FREEZEFRAME_FAILPOINT names this point, the
 * director kills itself with SIGKILL there, exactly as a crash would.
 */
export function failpoint(name: string): void {
  if (process.env.FREEZEFRAME_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}

/**
 * A slow step for the fault suite: when FREEZEFRAME_FAILPOINT is `slow-<name>`, waits there
 * FREEZEFRAME_FAILPOINT_MS (default 30 s) or until `signal` aborts, as a long transfer would.
 */
export async function failpointSlow(name: string, signal?: AbortSignal): Promise<void> {
  if (process.env.FREEZEFRAME_FAILPOINT !== `slow-${name}` || signal?.aborted) return;
  const ms = Number(process.env.FREEZEFRAME_FAILPOINT_MS ?? 30_000);
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
