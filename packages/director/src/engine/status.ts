import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isFfError, type Inventory } from '@freezeframe/common';
import { readRunRecord, stateDirOf, type RunRecord } from './core/records.js';
import { readRunningJob, type RunningJob } from './core/run-lock.js';

// `freezeframe status`: what this director runs now, from the state folder only (no agent is
// asked), so it answers from any terminal at once, also while the run holds every node.

export interface StatusResult {
  deployment: string;
  stateDir: string;
  /**
   * The run holding the run lock. `alive: false`: its process is gone (killed, crashed) without
   * cleaning up; the next run replaces the lock.
   */
  running?: { job: RunningJob; alive: boolean; record?: RunRecord };
  /** The newest other run's record (a finished run, or one whose director died). */
  last?: RunRecord;
}

/** Run ids under `<stateDir>/runs`, newest record file first. */
function recordIdsByAge(stateDir: string): string[] {
  const dir = join(stateDir, 'runs');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const aged = names.flatMap((n) => {
    try {
      return [{ id: n.slice(0, -5), mtime: statSync(join(dir, n)).mtimeMs }];
    } catch {
      return []; // removed meanwhile
    }
  });
  return aged.sort((a, b) => b.mtime - a.mtime || (a.id < b.id ? 1 : -1)).map((x) => x.id);
}

export function status(inv: Pick<Inventory, 'stateDir' | 'deployment'>): StatusResult {
  const stateDir = stateDirOf(inv);
  const held = readRunningJob(stateDir);
  const out: StatusResult = { deployment: inv.deployment, stateDir };
  if (held) {
    const record = readRunRecordQuietly(stateDir, held.job.id);
    out.running = { job: held.job, alive: held.alive, ...(record ? { record } : {}) };
  }
  for (const id of recordIdsByAge(stateDir)) {
    if (id === held?.job.id) continue;
    const rec = readRunRecordQuietly(stateDir, id);
    if (rec) {
      out.last = rec;
      break;
    }
  }
  return out;
}

/** A record that is not (yet) there or not a run record reads as none: status must answer anyway. */
function readRunRecordQuietly(stateDir: string, id: string): RunRecord | undefined {
  try {
    return readRunRecord(stateDir, id);
  } catch (e) {
    if (isFfError(e)) return undefined;
    throw e;
  }
}
