import { access, constants } from 'node:fs/promises';
import { VERSION, errorMessage, findBinary } from '@freezeframe/common';
import type { HealthResponse } from '@freezeframe/common/generated/freezeframe/v1/HealthResponse.js';
import { roles, type AgentContext } from '../context.js';
import { currentLock } from '../target-lock.js';

/** Below this, a source or target is reported as a problem (snapshots and backups grow). */
const MIN_FREE_BYTES = 64 << 20;

export async function health(ctx: AgentContext): Promise<HealthResponse> {
  const problems: string[] = [];
  const name = ctx.config.name;
  try {
    findBinary('rsync');
  } catch (e) {
    problems.push(`${name}: ${errorMessage(e)}`);
  }
  try {
    await access(ctx.config.runDir, constants.W_OK);
  } catch (e) {
    problems.push(`${name}: runDir ${ctx.config.runDir} is not writable: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
  }
  const checkFree = async (what: string, f: () => Promise<number>) => {
    try {
      const free = await f();
      if (free < MIN_FREE_BYTES) problems.push(`${name}: ${what} has only ${free} bytes free`);
    } catch (e) {
      problems.push(`${name}: ${what}: ${errorMessage(e)}`);
    }
  };
  if (ctx.source) await checkFree(`source volume ${ctx.source.volume}`, () => ctx.source!.freeBytes());
  if (ctx.target) await checkFree('target', () => ctx.target!.freeBytes());
  const lock = currentLock(ctx);
  return {
    name,
    version: VERSION,
    roles: roles(ctx),
    ok: problems.length === 0,
    problems,
    target_locked_by: lock?.backupId ?? '',
    target_locked_since: lock ? new Date(lock.since).toISOString() : '',
    target_lock_purpose: lock?.purpose ?? '',
    target_lock_expires_unix_ms: String(lock?.expires ?? 0),
    time_unix_ms: String(Date.now()),
    frozen: ctx.lease?.holders() ?? [],
  };
}
