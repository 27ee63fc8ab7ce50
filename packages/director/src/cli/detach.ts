import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FfError, findBinary, run } from '@freezeframe/common';
import { readRunRecord } from '../engine/core/records.js';
import { readRunningJob, runningError } from '../engine/core/run-lock.js';

// `backup --detach` and `restore --detach`: the run as a process of its own that outlives the
// terminal, the ssh session and the command that started it (docs/cli.md, "Runs in the
// background"). Where systemd runs: a transient unit (its output in the journal, `systemctl
// stop` stops it cleanly with SIGTERM). Elsewhere: this program again in a session of its own,
// output to a log file in the state folder.

/** Set in a detached run's environment: where its output goes (shown by `freezeframe status`). */
export const DETACHED_LOG_ENV = 'FREEZEFRAME_DETACHED_LOG';
/** How long the starting command waits for the run to take the run lock. */
const START_TIMEOUT_MS = 20_000;

export interface Detached {
  kind: 'backup' | 'restore';
  id: string;
  how: 'systemd' | 'session';
  /** The detached process (session); systemd-run's unit has its own. */
  pid?: number;
  unit?: string;
  /** The log file (session) or the command that shows the journal (systemd). */
  log: string;
}

/** True when systemd is the init system (its runtime folder exists, as sd_booted() checks). */
export function systemdRuns(runtimeDir = '/run/systemd/system'): boolean {
  return existsSync(runtimeDir);
}

/**
 * This program as a command line: node and the script (or the single executable alone). The
 * NODE_OPTIONS of the starting shell is not passed on (main.js's shebang drops it too).
 */
export function selfCommand(execPath = process.execPath, argv1 = process.argv[1]): string[] {
  return argv1 && argv1 !== execPath && /\.[cm]?js$/.test(argv1) ? [execPath, argv1] : [execPath];
}

export function unitName(kind: string, id: string): string {
  return `freezeframe-${kind}-${id.replace(/[^A-Za-z0-9_.-]/g, '-')}`;
}

/**
 * systemd-run's arguments for a transient service running `command`: SIGTERM to the director
 * alone (KillMode=mixed) and time to clean up before SIGKILL, its output in the journal, the
 * unit gone once it ended (--collect). Not root: the user's service manager (--user).
 */
export function systemdRunArgv(o: { unit: string; description: string; command: readonly string[]; cwd: string; env: Record<string, string>; user: boolean }): string[] {
  return [
    ...(o.user ? ['--user'] : []),
    `--unit=${o.unit}`,
    `--description=${o.description}`,
    '--collect',
    '--quiet',
    '--property=Type=exec',
    '--property=KillMode=mixed',
    '--property=KillSignal=SIGTERM',
    '--property=TimeoutStopSec=5min',
    '--property=SendSIGHUP=no',
    `--working-directory=${o.cwd}`,
    ...Object.entries(o.env).map(([k, v]) => `--setenv=${k}=${v}`),
    '--',
    ...o.command,
  ];
}

/** Environment a detached run needs to find what the starting command found: the state folder and the inventory. */
function carriedEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['HOME', 'XDG_STATE_HOME', 'FREEZEFRAME_INVENTORY', 'FREEZEFRAME_FAILPOINT']) {
    const v = env[k];
    if (v) out[k] = v;
  }
  return out;
}

export interface DetachOptions {
  kind: 'backup' | 'restore';
  id: string;
  deployment: string;
  stateDir: string;
  /** The director's arguments for the run: `-i <inventory> backup --run-id <id> ...`. */
  args: readonly string[];
  env: Record<string, string | undefined>;
  /** Force the path (tests); default: systemd where it runs. */
  how?: 'systemd' | 'session';
}

/**
 * Starts the run detached and waits until it holds the run lock (or has already finished), so a
 * refusal or a start-up failure is said here and not only in the log. Refused at once while
 * another run holds the lock.
 */
export async function startDetached(o: DetachOptions): Promise<Detached> {
  const held = readRunningJob(o.stateDir);
  if (held?.alive) throw runningError(held.job);
  const how = o.how ?? (systemdRuns() ? 'systemd' : 'session');
  const command = [...selfCommand(), ...o.args];
  let exited: { code: number | null } | undefined;
  let d: Detached;
  if (how === 'systemd') {
    const unit = unitName(o.kind, o.id);
    const log = `journalctl -u ${unit}`;
    const argv = systemdRunArgv({
      unit,
      description: `freezeframe ${o.kind} ${o.id} (deployment ${o.deployment})`,
      command,
      cwd: process.cwd(),
      env: { ...carriedEnv(o.env), [DETACHED_LOG_ENV]: log },
      user: process.getuid?.() !== 0,
    });
    await run({ bin: findBinary('systemd-run'), args: argv, timeoutMs: 30_000 });
    d = { kind: o.kind, id: o.id, how, unit, log };
  } else {
    const logDir = join(o.stateDir, 'logs');
    mkdirSync(logDir, { recursive: true, mode: 0o700 });
    const log = join(logDir, `${o.id}.log`);
    const fd = openSync(log, 'a', 0o640);
    // not the tool runner (common/run.ts): this child must outlive us, in a session of its own
    // (detached: setsid), with no pipe back to this process
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_OPTIONS') env[k] = v;
    Object.assign(env, carriedEnv(o.env), { [DETACHED_LOG_ENV]: log });
    const child = spawn(command[0]!, command.slice(1), { detached: true, stdio: ['ignore', fd, fd], cwd: process.cwd(), env });
    closeSync(fd);
    child.on('exit', (code) => (exited = { code }));
    child.on('error', () => (exited = { code: null }));
    child.unref();
    d = { kind: o.kind, id: o.id, how, ...(child.pid ? { pid: child.pid } : {}), log };
  }
  const t0 = Date.now();
  // holds the lock, or (a run that ended within a poll) its record says it ended after we started it
  const started = () => readRunningJob(o.stateDir)?.job.id === o.id || endedSince(o.stateDir, o.id, t0);
  while (!started()) {
    if (exited) {
      if (exited.code === 0) return d;
      throw new FfError('INTERNAL', `the detached ${o.kind} ${o.id} ended before it started (exit ${exited.code ?? 'by a signal'})${logTail(d.log)}`, { hint: `its log: ${d.log}` });
    }
    if (Date.now() - t0 > START_TIMEOUT_MS) {
      throw new FfError('DEADLINE_EXCEEDED', `the detached ${o.kind} ${o.id} did not start within ${START_TIMEOUT_MS / 1000} s`, { hint: `its log: ${d.log}; \`freezeframe status\`` });
    }
    await sleep(50);
  }
  const job = readRunningJob(o.stateDir)?.job;
  if (how === 'systemd' && job?.id === o.id) d.pid = job.pid;
  return d;
}

function endedSince(stateDir: string, id: string, t0: number): boolean {
  const rec = readRunRecord(stateDir, id);
  return rec !== undefined && rec.endedAt !== undefined && Date.parse(rec.endedAt) >= t0 - 1000;
}

/** The last lines of a log file, to say why a detached run did not start. */
function logTail(log: string): string {
  if (!log.startsWith('/') || !existsSync(log)) return '';
  const text = readFileSync(log, 'utf8').trim().split('\n').slice(-10).join('\n');
  return text ? `:\n${text}` : '';
}
