import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { FfError, errorMessage, writeFileAtomic, writeFileAtomicSync, type Inventory } from '@freezeframe/common';
import { stateDirOf, type RunRecord } from './records.js';
import type { RetentionOutcome } from './retention.js';
import type { EventSink } from './types.js';

// The Prometheus text file for node_exporter's textfile collector (inventory `metrics.textfile`),
// rewritten after every backup, restore, drill and prune. Everything in it comes from what is on disk
// (the run records, the prune state), so a failed run still carries the last success.

export type MetricsKind = 'backup' | 'restore' | 'prune' | 'drill' | 'replicate';
export const METRICS_KINDS: readonly MetricsKind[] = ['backup', 'restore', 'prune', 'drill', 'replicate'];
/** Kinds whose runs write a run record (prune keeps prune.json instead). */
const RECORD_KINDS = ['backup', 'restore', 'drill', 'replicate'] as const;
const RESULTS = ['ok', 'failed', 'incomplete'] as const;

/** One source's transfer in a run. */
export interface SourceMetrics {
  sentBytes: number;
  transferredBytes: number;
  sizeBytes: number;
  files: number;
  filesTransferred: number;
  durationMs: number;
}

/** The newest finished run of one kind, and the newest successful one. */
export interface RunMetrics {
  endedMs: number;
  result: (typeof RESULTS)[number];
  durationMs: number;
  lastSuccessMs?: number;
  phases: Record<string, number>;
  sources: Record<string, SourceMetrics>;
  freezeWindowMs?: number;
  /** A drill's check: files and bytes compared, and files that differ, are missing or extra. */
  drill?: { filesChecked: number; bytesChecked: number; differences: number };
}

/** What the metrics file says: pure input of metricsText. */
export interface MetricsState {
  deployment: string;
  runs: Partial<Record<MetricsKind, RunMetrics>>;
  /** Backups the newest retention (a backup's phase 8, or prune) kept. */
  backupsKept?: number;
  target?: { node: string; freeBytes: number };
  /** Per remote target (replicate, or a backup with replicate: { after: backup }): its newest replication. */
  remotes?: Record<string, RemoteMetrics>;
}

export interface RemoteMetrics {
  /** The newest replication to it: ended when, and whether it succeeded. */
  endedMs: number;
  ok: boolean;
  lastSuccessMs?: number;
  /** Backups of the main target it lacked after that replication. */
  behind: number;
}

/** `<stateDir>/prune.json`: prune writes no run record, so its outcome is kept here. */
export interface PruneState {
  endedAt: string;
  durationMs: number;
  ok: boolean;
  lastSuccessAt?: string;
  kept?: number;
  pruned?: number;
  failed?: number;
  target?: { node: string; freeBytes: number };
}

const pruneStateFile = (stateDir: string) => join(stateDir, 'prune.json');

/** Pure: a finished run record as its metrics. */
export function runMetrics(rec: RunRecord): RunMetrics | undefined {
  if (rec.result === 'running') return undefined;
  const endedMs = Date.parse(rec.endedAt ?? rec.startedAt);
  const phases: Record<string, number> = {};
  for (const p of rec.phases) if (p.durationMs !== undefined) phases[p.phase] = (phases[p.phase] ?? 0) + p.durationMs;
  const sources: Record<string, SourceMetrics> = {};
  for (const [name, t] of Object.entries(rec.transfers)) {
    sources[name] = { sentBytes: t.bytesSent, transferredBytes: t.bytesTransferred, sizeBytes: t.bytesTotal, files: t.filesTotal, filesTransferred: t.filesTransferred, durationMs: t.durationMs };
  }
  return {
    endedMs,
    result: rec.result,
    durationMs: rec.durationMs ?? 0,
    ...(rec.result === 'ok' ? { lastSuccessMs: endedMs } : {}),
    phases,
    sources,
    ...(rec.freezeWindow ? { freezeWindowMs: rec.freezeWindow.durationMs } : {}),
    ...(rec.drill?.check
      ? { drill: { filesChecked: rec.drill.check.filesChecked, bytesChecked: rec.drill.check.bytesChecked, differences: rec.drill.check.differentTotal + rec.drill.check.missingTotal + rec.drill.check.extraTotal } }
      : {}),
  };
}

function readJson<T>(file: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined; // a damaged record says nothing; the others still count
  }
}

/**
 * Gathers the state from `<stateDir>`: run records newest first (by modification time: a record
 * is last written when its run ends) until each kind has its newest finished run and newest
 * success, plus prune.json. Records of running or crashed runs (`running`) are skipped.
 */
export function gatherMetrics(stateDir: string, deployment: string): MetricsState {
  const state: MetricsState = { deployment, runs: {} };
  const runsDir = join(stateDir, 'runs');
  let names: string[] = [];
  try {
    names = readdirSync(runsDir).filter((n) => n.endsWith('.json'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const files = names
    .flatMap((n) => {
      try {
        return [{ file: join(runsDir, n), mtimeMs: statSync(join(runsDir, n)).mtimeMs }];
      } catch {
        return []; // removed meanwhile
      }
    })
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  const done = { backup: false, restore: false, drill: false, replicate: false };
  // remotes seen without a success yet: the search goes on until each has one (or the records end)
  const remotesPending = new Set<string>();
  let keptFrom = 0;
  let targetFrom = 0;
  for (const { file } of files) {
    if (RECORD_KINDS.every((k) => done[k]) && remotesPending.size === 0) break;
    const rec = readJson<RunRecord>(file);
    if (!rec || !(RECORD_KINDS as readonly string[]).includes(rec.kind) || rec.deployment !== deployment) continue;
    const m = runMetrics(rec);
    if (!m) continue;
    for (const r of rec.replicate?.remotes ?? []) {
      const remotes = (state.remotes ??= {});
      const have = remotes[r.remote];
      if (!have) {
        remotes[r.remote] = { endedMs: m.endedMs, ok: r.ok, behind: r.behind, ...(r.ok ? { lastSuccessMs: m.endedMs } : {}) };
        if (!r.ok) remotesPending.add(r.remote);
      } else if (have.lastSuccessMs === undefined && r.ok) {
        have.lastSuccessMs = m.endedMs;
        remotesPending.delete(r.remote);
      }
    }
    // newest first: the first record that has a value gives it
    if (rec.target && targetFrom === 0) {
      state.target = rec.target;
      targetFrom = m.endedMs;
    }
    if (rec.kind === 'backup' && rec.retention && !rec.retention.dryRun && keptFrom === 0) {
      state.backupsKept = rec.retention.kept.length;
      keptFrom = m.endedMs;
    }
    const have = state.runs[rec.kind];
    if (!have) state.runs[rec.kind] = m;
    else if (have.lastSuccessMs === undefined && m.lastSuccessMs !== undefined) have.lastSuccessMs = m.lastSuccessMs;
    if (state.runs[rec.kind]!.lastSuccessMs !== undefined) done[rec.kind] = true;
  }
  const prune = readJson<PruneState>(pruneStateFile(stateDir));
  if (prune) {
    const endedMs = Date.parse(prune.endedAt);
    state.runs.prune = {
      endedMs,
      result: prune.ok ? 'ok' : 'failed',
      durationMs: prune.durationMs,
      ...(prune.lastSuccessAt ? { lastSuccessMs: Date.parse(prune.lastSuccessAt) } : {}),
      phases: {},
      sources: {},
    };
    if (prune.kept !== undefined && endedMs > keptFrom) state.backupsKept = prune.kept;
    if (prune.target && endedMs > targetFrom) state.target = prune.target;
  }
  return state;
}

/** Pure: the Prometheus text format (through prom-client's registry) of a state. */
export async function metricsText(state: MetricsState): Promise<string> {
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Gauge<L>({ name: `freezeframe_${name}`, help, labelNames, registers: [registry] });
  const deployment = state.deployment;
  const lastRun = gauge('last_run_timestamp_seconds', 'When the newest finished run of this kind ended (Unix time).', ['deployment', 'kind']);
  const lastSuccess = gauge('last_success_timestamp_seconds', 'When the newest successful run of this kind ended (Unix time).', ['deployment', 'kind']);
  const success = gauge('last_run_success', '1 if the newest finished run of this kind succeeded, else 0.', ['deployment', 'kind']);
  const result = gauge('last_run_result', 'The newest finished run of this kind: 1 for its result (ok, failed, incomplete), 0 for the others.', ['deployment', 'kind', 'result']);
  const duration = gauge('last_run_duration_seconds', 'How long the newest finished run of this kind took.', ['deployment', 'kind']);
  const phase = gauge('last_run_phase_duration_seconds', 'How long each phase of the newest finished run of this kind took.', ['deployment', 'kind', 'phase']);
  const sent = gauge('last_run_source_sent_bytes', 'Bytes rsync sent on the wire for each source in the newest finished run.', ['deployment', 'kind', 'source']);
  const transferred = gauge('last_run_source_transferred_bytes', 'Literal (changed) data of each source in the newest finished run.', ['deployment', 'kind', 'source']);
  const size = gauge('last_run_source_size_bytes', 'Size of each source tree in the newest finished run.', ['deployment', 'kind', 'source']);
  const files = gauge('last_run_source_files', 'Files in each source tree in the newest finished run.', ['deployment', 'kind', 'source']);
  const changed = gauge('last_run_source_files_transferred', 'Files transferred (changed) for each source in the newest finished run.', ['deployment', 'kind', 'source']);
  const srcDuration = gauge('last_run_source_duration_seconds', 'How long the transfer of each source took in the newest finished run.', ['deployment', 'kind', 'source']);
  const freeze = gauge('last_backup_freeze_window_seconds', 'First pause to last thaw in the newest finished backup.', ['deployment']);
  const drillFiles = gauge('last_drill_files_checked', 'Files the newest finished restore drill compared with the checksums recorded at backup time.', ['deployment']);
  const drillBytes = gauge('last_drill_bytes_checked', 'Bytes of those files.', ['deployment']);
  const drillDiff = gauge('last_drill_differences', 'Files the newest finished restore drill found different, missing or not in the record (0 for a good drill).', ['deployment']);
  const kept = gauge('backups_kept', 'Backups the newest retention (after a backup, or prune) kept on the target.', ['deployment']);
  const replSuccess = gauge('replicate_last_success_timestamp_seconds', 'When the newest successful replication to this remote target ended (Unix time).', ['deployment', 'remote']);
  const replOk = gauge('replicate_last_run_success', '1 if the newest replication to this remote target succeeded, else 0.', ['deployment', 'remote']);
  const replLag = gauge('replicate_lag_backups', "Backups of the deployment's target this remote target lacked after the newest replication to it.", ['deployment', 'remote']);
  const free = gauge('target_free_bytes', 'Free bytes on the target when the newest run began.', ['deployment', 'target']);
  for (const kind of METRICS_KINDS) {
    const r = state.runs[kind];
    if (!r) continue;
    const l = { deployment, kind };
    lastRun.set(l, r.endedMs / 1000);
    if (r.lastSuccessMs !== undefined) lastSuccess.set(l, r.lastSuccessMs / 1000);
    success.set(l, r.result === 'ok' ? 1 : 0);
    for (const x of RESULTS) result.set({ ...l, result: x }, r.result === x ? 1 : 0);
    duration.set(l, r.durationMs / 1000);
    for (const [p, ms] of Object.entries(r.phases)) phase.set({ ...l, phase: p }, ms / 1000);
    for (const [source, s] of Object.entries(r.sources)) {
      const ls = { ...l, source };
      sent.set(ls, s.sentBytes);
      transferred.set(ls, s.transferredBytes);
      size.set(ls, s.sizeBytes);
      files.set(ls, s.files);
      changed.set(ls, s.filesTransferred);
      srcDuration.set(ls, s.durationMs / 1000);
    }
    if (kind === 'backup' && r.freezeWindowMs !== undefined) freeze.set({ deployment }, r.freezeWindowMs / 1000);
    if (kind === 'drill' && r.drill) {
      drillFiles.set({ deployment }, r.drill.filesChecked);
      drillBytes.set({ deployment }, r.drill.bytesChecked);
      drillDiff.set({ deployment }, r.drill.differences);
    }
  }
  if (state.backupsKept !== undefined) kept.set({ deployment }, state.backupsKept);
  for (const [remote, r] of Object.entries(state.remotes ?? {})) {
    if (r.lastSuccessMs !== undefined) replSuccess.set({ deployment, remote }, r.lastSuccessMs / 1000);
    replOk.set({ deployment, remote }, r.ok ? 1 : 0);
    replLag.set({ deployment, remote }, r.behind);
  }
  if (state.target) free.set({ deployment, target: state.target.node }, state.target.freeBytes);
  return registry.metrics();
}

/**
 * Rewrites the inventory's metrics file (nothing without `metrics.textfile`) from what is on
 * disk; atomically, mode 0644 so node_exporter's user can read it (its folder, if made, 0755).
 */
export async function writeMetrics(inv: Inventory): Promise<string | undefined> {
  const file = inv.metrics?.textfile;
  if (!file) return undefined;
  const text = await metricsText(gatherMetrics(stateDirOf(inv), inv.deployment));
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  await writeFileAtomic(file, text, 0o644);
  return file;
}

/**
 * After a run: writeMetrics, where a failure is a warning (the run's outcome stands; a stale file
 * shows in node_exporter's `node_textfile_mtime_seconds`). Never throws.
 */
export async function afterRunMetrics(inv: Inventory, onEvent?: EventSink): Promise<string | undefined> {
  try {
    await writeMetrics(inv);
    return undefined;
  } catch (e) {
    const message = `metrics: cannot write ${inv.metrics?.textfile}: ${errorMessage(e)}`;
    onEvent?.({ type: 'warning', message });
    return message;
  }
}

/** Records a prune's outcome in `<stateDir>/prune.json` (carrying the last success forward). */
export function recordPrune(inv: Inventory, outcome: { startedMs: number; ok: boolean; retention?: RetentionOutcome; target?: { node: string; freeBytes: number } }): void {
  if (!inv.metrics?.textfile) return;
  const stateDir = stateDirOf(inv);
  const prev = readJson<PruneState>(pruneStateFile(stateDir));
  const end = new Date();
  const state: PruneState = {
    endedAt: end.toISOString(),
    durationMs: end.getTime() - outcome.startedMs,
    ok: outcome.ok,
    ...(outcome.ok ? { lastSuccessAt: end.toISOString() } : prev?.lastSuccessAt ? { lastSuccessAt: prev.lastSuccessAt } : {}),
    ...(outcome.retention ? { kept: outcome.retention.kept.length, pruned: outcome.retention.pruned.length, failed: outcome.retention.failed.length } : {}),
    ...(outcome.target ? { target: outcome.target } : {}),
  };
  try {
    writeFileAtomicSync(pruneStateFile(stateDir), JSON.stringify(state, null, 2) + '\n', 0o640);
  } catch (e) {
    throw new FfError('INTERNAL', `cannot write ${pruneStateFile(stateDir)}: ${errorMessage(e)}`, { cause: e });
  }
}
