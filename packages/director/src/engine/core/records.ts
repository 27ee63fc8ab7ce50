import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FfError, RUN_ID_RE, newBackupId, writeFileAtomicSync, type Inventory, type LeaveOutClass } from '@freezeframe/common';
import type { RetentionOutcome } from './retention.js';
import type { NotHeld } from './receiver-verdict.js';
import type { DrillRecord } from './drill-types.js';
import type { EventSink, Phase, TransferStats } from './types.js';

/**
 * What one run (backup or restore) did, written to `<stateDir>/runs/<id>.json` whether it
 * succeeded or not: the operator's answer to "what happened last night, and how long did the
 * freeze last?".
 */
export interface RunRecord {
  kind: 'backup' | 'restore' | 'drill' | 'replicate';
  /** File name under runs/: the backup id for backups, `restore_<time>` for restores, `drill_<time>` for drills, `replicate_<time>` for replications. */
  id: string;
  backupId: string;
  deployment: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  /**
   * `running` while the director works (the record is written as it goes); `incomplete`: the run
   * was interrupted (SIGINT, SIGTERM) or its transfer started, and the backup was not tagged:
   * `backup --resume <id>` finishes it.
   */
  result: 'running' | 'ok' | 'failed' | 'incomplete';
  /** The signal that stopped the run (it cleaned up: thawed, released snapshots, unlocked). */
  interrupted?: string;
  /** While running: what the director does now, rewritten every few seconds (freezeframe status). */
  progress?: LiveProgress;
  error?: { code: string; message: string; hint?: string; node?: string };
  phases: PhaseRecord[];
  /** First pause to last thaw, from the agents' own clocks. */
  freezeWindow?: FreezeWindow;
  transfers: Record<string, TransferRecord>;
  bytesTotal: number;
  bytesTransferred: number;
  filesTotal: number;
  filesTransferred: number;
  versions: Record<string, string>;
  warnings: string[];
  /** Target snapshot name when a backup was tagged. */
  snapshot?: string;
  /** Sources a restore wrote. */
  restored?: string[];
  /** A restore's check of the backup against its recorded checksums. */
  /** The check before a restore; `method` says whether every file or a sample was re-read, and why. */
  verified?: { ok: boolean; filesChecked: number; bad: string[]; missing: string[]; problems: string[]; method?: string };
  /** Sources whose transfer did not complete (result `incomplete`). */
  missingSources?: string[];
  /** Set when this run resumed an interrupted backup of the same id. */
  resumed?: boolean;
  /** Leftovers of earlier runs removed at the start of this one. */
  cleanedUp?: string[];
  /** Set for a resumed backup the target had already tagged: nothing was tagged twice. */
  alreadyTagged?: boolean;
  /** Phase 8: what retention kept and pruned (and why) after this backup. */
  retention?: RetentionOutcome;
  /** The target node and its free bytes as preflight found them (the metrics file reports them). */
  target?: { node: string; freeBytes: number };
  /** A restore drill's outcome (kind `drill`). */
  drill?: DrillRecord;
  /** A restore narrowed or redirected by --path, --to-dir, --map or --from-deployment. */
  restoreScope?: RestoreScope;
  /** What a replication (kind `replicate`, or a backup with `replicate: { after: backup }`) sent to each remote. */
  replicate?: ReplicateRecord;
  /** A restore or drill that read the backup from this remote target (`--from`). */
  from?: string;
  /**
   * `backup --deep`: every file compared by content; `contentOnly` counts the files that differed
   * although their size and mtime were equal (rsync's quick check alone would have kept the stale copy).
   */
  deep?: { contentOnly: number };
  /** End-to-end fidelity: files whose sender's checksum the target compared with what landed before the tag, and the sources checked. */
  fidelity?: { files: number; sources: string[] };
}

/** One remote target in a replication. */
export interface ReplicaRemoteRecord {
  remote: string;
  address: string;
  ok: boolean;
  error?: { code: string; message: string; hint?: string };
  /** Streams that arrived, in order; `baseId` empty: a full stream. */
  sent: Array<{ backupId: string; baseId: string; bytes: number; durationMs: number }>;
  /** Backups of the main target it still lacks after the run (replicate would send them). */
  behind: number;
  /** Its newest backup after the run. */
  newest?: string;
  /** Main-target backups older than the newest common one, which a stream cannot put under it. */
  skipped?: string[];
  /** The remote's retention after the streams (its replicate.to[].retention, else the inventory's). */
  retention?: RetentionOutcome;
}

export interface ReplicateRecord {
  /** The deployment's target the streams came from. */
  main: string;
  remotes: ReplicaRemoteRecord[];
}

/** How a restore was narrowed or redirected (restore-scope.ts checks the options). */
export interface RestoreScope {
  /** `--path`: only these subtrees of the one source restored; every other file stays as it is. */
  paths?: string[];
  /** `--to-dir`: the folder (inside the node's restoreDirs) restored into; nothing live is written. */
  toDir?: string;
  /** With `toDir`, per source restored: `<toDir>/<restore id>/<entry>` on its node. */
  folders?: Record<string, string>;
  /** `--map`: each source of this inventory given another backup source, with the source it got. */
  map?: Record<string, string>;
  /** The deployment that took the backup, when it is not this inventory's (`--from-deployment`). */
  fromDeployment?: string;
}

export interface LiveProgress {
  /** The director's process. */
  pid: number;
  phase?: Phase;
  updatedAt: string;
  /** Per source, as rsync reports it. */
  transfers: Record<string, { bytes: number; percent: number; rate: string; done: boolean }>;
}

export interface PhaseRecord {
  phase: Phase;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  ok?: boolean;
  nodes: Record<string, { durationMs: number; ok: boolean; error?: string }>;
}

export interface FreezeWindow {
  firstPauseMs: number;
  lastThawMs: number;
  durationMs: number;
  /** True when a `dir` source (no snapshot) made the director hold the freeze through the transfers. */
  heldThroughTransfer: boolean;
  hosts: string[];
}

export interface TransferRecord extends TransferStats {
  entry: string;
  /** Files the second pass compared by content (mtime in the second of an earlier snapshot). */
  rechecked?: number;
  /** What the target could not store and its config allows it to lose (target.unsupported). */
  notHeld?: NotHeld;
  /** What the source's `leaveOut` left uncompared (ACLs, xattrs): not set when this backup compared them. */
  leftOut?: LeaveOutClass[];
}

export function newRunRecord(kind: RunRecord['kind'], id: string, backupId: string, deployment: string): RunRecord {
  return {
    kind,
    id,
    backupId,
    deployment,
    startedAt: new Date().toISOString(),
    result: 'running',
    phases: [],
    transfers: {},
    bytesTotal: 0,
    bytesTransferred: 0,
    filesTotal: 0,
    filesTransferred: 0,
    versions: {},
    warnings: [],
  };
}

export function addTransfer(rec: RunRecord, source: string, entry: string, stats: TransferStats, extra: Pick<TransferRecord, 'rechecked' | 'notHeld'> = {}): void {
  rec.transfers[source] = { entry, ...stats, ...extra };
  rec.bytesTotal += stats.bytesTotal;
  rec.bytesTransferred += stats.bytesTransferred;
  rec.filesTotal += stats.filesTotal;
  rec.filesTransferred += stats.filesTransferred;
}

export function finishRecord(rec: RunRecord, error?: FfError): void {
  const end = new Date();
  rec.endedAt = end.toISOString();
  rec.durationMs = end.getTime() - Date.parse(rec.startedAt);
  delete rec.progress;
  if (error) {
    rec.result = rec.interrupted || (rec.missingSources && rec.missingSources.length > 0) ? 'incomplete' : 'failed';
    rec.error = { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}), ...(error.node ? { node: error.node } : {}) };
  } else {
    rec.result = 'ok';
  }
}

/** `stateDir` from the inventory, else `~/.local/state/freezeframe/<deployment>` (XDG_STATE_HOME respected). */
export function stateDirOf(inv: Pick<Inventory, 'stateDir' | 'deployment'>): string {
  if (inv.stateDir) return inv.stateDir;
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'freezeframe', inv.deployment);
}

function recordPath(stateDir: string, id: string): string {
  if (!RUN_ID_RE.test(id) || id.includes('..')) throw new FfError('INVALID_ARGUMENT', `run id ${JSON.stringify(id)} is not valid`);
  return join(stateDir, 'runs', `${id}.json`);
}

/**
 * A run id not yet used in `stateDir`: `<kind>_<YYYYMMDD_HHMMSS>`, waiting for the next second
 * when this one has a record already (two runs in one second would share a record, and two
 * restores --to-dir a folder).
 */
export async function unusedRunId(stateDir: string, kind: 'restore' | 'drill' | 'replicate', now: () => Date = () => new Date()): Promise<string> {
  for (;;) {
    const id = `${kind}_${newBackupId(now())}`;
    if (!existsSync(recordPath(stateDir, id))) return id;
    await new Promise((r) => setTimeout(r, 1000 - (now().getTime() % 1000) + 5));
  }
}

/** Written atomically and durably: a reader never sees half a record. Returns the path. */
export function writeRunRecord(stateDir: string, rec: RunRecord): string {
  const file = recordPath(stateDir, rec.id);
  writeFileAtomicSync(file, JSON.stringify(rec, null, 2) + '\n', 0o640);
  return file;
}

/** The record of run `id`, or undefined when there is none on this machine. */
export function readRunRecord(stateDir: string, id: string): RunRecord | undefined {
  const file = recordPath(stateDir, id);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FfError('INTERNAL', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as RunRecord;
  } catch (e) {
    throw new FfError('INTERNAL', `${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** How often a running record is rewritten while only progress changes. */
const LIVE_EVERY_MS = 2_000;

export interface LiveRecord {
  /** Passes every event on to `next`, and keeps the record on disk current. */
  sink: EventSink;
  /** Writes the record now (a phase started or ended, the run began). */
  flush(): void;
  stop(): void;
}

/**
 * Keeps the record of a running run on disk (`result: running` with `progress`), so `freezeframe
 * status` in another terminal sees its phase and transfers: written at once when a phase starts or
 * ends, at most every LIVE_EVERY_MS for progress. A failed write is a warning for the terminal, never
 * the run's failure. Nothing is written inside a pause window (the engine's `pause-window` events):
 * the write is synchronous with two fsyncs, and the applications wait meanwhile; `status` shows
 * the phase the window opened in until it closes.
 */
export function liveRecord(stateDir: string, rec: RunRecord, next?: EventSink, opts: { everyMs?: number; pid?: number } = {}): LiveRecord {
  const everyMs = opts.everyMs ?? LIVE_EVERY_MS;
  const live: LiveProgress = { pid: opts.pid ?? process.pid, updatedAt: new Date().toISOString(), transfers: {} };
  let lastWrite = 0;
  let stopped = false;
  let warned = false;
  let paused = false;
  const flush = () => {
    // a finished record is the caller's to write
    if (stopped || paused || rec.result !== 'running') return;
    live.updatedAt = new Date().toISOString();
    rec.progress = live;
    try {
      writeRunRecord(stateDir, rec);
    } catch (e) {
      if (!warned) next?.({ type: 'warning', message: `cannot write the running record (freezeframe status will not see it): ${(e as Error).message}` });
      warned = true;
    }
    lastWrite = Date.now();
  };
  // progress between phase changes: written by a timer too, so a long quiet transfer stays current
  const timer = setInterval(() => {
    if (Date.now() - lastWrite >= everyMs) flush();
  }, everyMs);
  timer.unref?.();
  const sink: EventSink = (e) => {
    next?.(e);
    if (e.type === 'pause-window') {
      paused = e.open;
      flush();
    } else if (e.type === 'phase-start' || e.type === 'phase-end') {
      if (e.type === 'phase-start') live.phase = e.phase;
      flush();
    } else if (e.type === 'progress') {
      const t = (live.transfers[e.node] ??= { bytes: 0, percent: 0, rate: '', done: false });
      t.bytes = Math.max(t.bytes, e.progress.bytes);
      t.percent = Math.max(t.percent, e.progress.percent);
      t.rate = e.progress.rate;
      if (Date.now() - lastWrite >= everyMs) flush();
    } else if (e.type === 'node' && e.status === 'done' && (e.phase === 'transfer' || e.phase === 'restore')) {
      const t = (live.transfers[e.node] ??= { bytes: 0, percent: 0, rate: '', done: false });
      t.done = true;
      t.percent = 100;
    }
  };
  return {
    sink,
    flush,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** Tracks phase timings into the record; the engine calls it around every phase. */
export function startPhase(rec: RunRecord, phase: Phase): PhaseRecord {
  const p: PhaseRecord = { phase, startedAt: new Date().toISOString(), nodes: {} };
  rec.phases.push(p);
  return p;
}

export function endPhase(p: PhaseRecord, ok: boolean): number {
  const end = new Date();
  p.endedAt = end.toISOString();
  p.durationMs = end.getTime() - Date.parse(p.startedAt);
  p.ok = ok;
  return p.durationMs;
}
