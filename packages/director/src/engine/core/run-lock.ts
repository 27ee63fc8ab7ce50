import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FfError } from '@freezeframe/common';

// The director's own lock: one backup or restore at a time per state folder (one deployment on
// this machine). The target lock refuses a second run too, but only after connecting, and by
// the target's word; this one refuses at once and names the run, its process and its log.

export const RUN_LOCK_FILE = 'running.json';

/** What `<stateDir>/running.json` says about the run that holds the lock. */
export interface RunningJob {
  kind: 'backup' | 'restore' | 'drill';
  /** The run id: the backup id, `restore_<time>` for a restore, `drill_<time>` for a drill (its run record's name). */
  id: string;
  pid: number;
  host: string;
  startedAt: string;
  /** Where a detached run writes its output (`<stateDir>/logs/<id>.log`), or its systemd unit (`journalctl -u`). */
  log?: string;
}

export interface RunLock {
  readonly job: RunningJob;
  /** Removes the lock file if it is still this run's. Harmless twice. */
  release(): void;
}

/** True while process `pid` exists on this machine (EPERM: it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The run holding the lock, and whether its process still lives; undefined when no lock file. */
export function readRunningJob(stateDir: string): { job: RunningJob; alive: boolean } | undefined {
  let text: string;
  try {
    text = readFileSync(join(stateDir, RUN_LOCK_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let job: RunningJob;
  try {
    job = JSON.parse(text) as RunningJob;
  } catch {
    // a lock file being written by O_EXCL's creator is empty for an instant: someone holds it
    return { job: { kind: 'backup', id: '(starting)', pid: 0, host: hostname(), startedAt: new Date().toISOString() }, alive: true };
  }
  return { job, alive: job.host === hostname() ? pidAlive(job.pid) : true };
}

/** The refusal of a second run, naming the one that runs. */
export function runningError(job: RunningJob): FfError {
  return new FfError('FAILED_PRECONDITION', `${job.kind} ${job.id} is running (pid ${job.pid}, started ${job.startedAt}); one run at a time`, {
    hint: `follow it with \`freezeframe status --follow\`${job.log ? ` (log ${job.log})` : ''}; stop it with \`kill -INT ${job.pid}\``,
    details: { running: job },
  });
}

/**
 * Takes the lock for run `job` of this process, or refuses naming the run that
 * holds it. A lock whose process is gone (kill -9, a crash) is stale: it is replaced, and
 * `onStale` hears about it.
 */
export function takeRunLock(stateDir: string, job: Pick<RunningJob, 'kind' | 'id' | 'log'>, onStale?: (old: RunningJob) => void): RunLock {
  const file = join(stateDir, RUN_LOCK_FILE);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const mine: RunningJob = { ...job, pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o640);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const held = readRunningJob(stateDir);
      if (!held) continue;
      if (held.alive || attempt > 2) throw runningError(held.job);
      onStale?.(held.job);
      try {
        unlinkSync(file);
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code !== 'ENOENT') throw e2;
      }
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(mine, null, 2) + '\n');
    } finally {
      closeSync(fd);
    }
    break;
  }
  let released = false;
  const ours = () => {
    const now = readRunningJob(stateDir);
    return now !== undefined && now.job.pid === mine.pid && now.job.id === mine.id;
  };
  return {
    job: mine,
    release() {
      if (released) return;
      released = true;
      try {
        if (ours()) unlinkSync(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    },
  };
}
