import type { DemoSummary } from '../engine/demo.js';
import type { BackupCommandResult } from '../engine/backup.js';
import type { ReplicateRecord, RestoreScope, RunRecord } from '../engine/core/records.js';
import type { RetentionOutcome } from '../engine/core/retention.js';
import type { BackupListing } from '../engine/core/types.js';
import type { PauseResult } from '../engine/pause.js';
import type { RestoreCommandResult, RestoreRunResult } from '../engine/restore.js';
import { RESTORE_ID_PLACEHOLDER, type RestorePlan } from '../engine/restore-plan.js';
import type { MountResult } from '../engine/mount.js';
import type { ServicesResult } from '../engine/services.js';
import type { ShowResult } from '../engine/show.js';
import type { Stability } from '../engine/stability.js';
import type { StatusResult } from '../engine/status.js';
import type { Detached } from './detach.js';
import type { DrillResult } from '../engine/drill.js';
import { formatBytes, formatDuration, formatRate, table, terminalText } from './format.js';
import type { ReplicateDryRun, ReplicateResult } from '../engine/replicate.js';
import { drillLines } from './render-drill.js';

// One renderer per command's result, for humans.

/**
 * A run record for humans. The run's summary (backup, restore) is short: the outcome, each phase
 * once with its time, the freeze window, one row per source, warnings. `detail` (show) adds the
 * per-node times of each phase, the target entry and the bytes on the wire of each source.
 */
function recordLines(r: RunRecord, detail = false): string[] {
  const versions = Object.entries(r.versions);
  const oneVersion = new Set(versions.map(([, v]) => v)).size === 1 ? versions[0]?.[1] : undefined;
  const lines = [
    `${r.kind} ${r.backupId} ${r.result.toUpperCase()} in ${formatDuration(r.durationMs)}  (deployment ${r.deployment}, started ${r.startedAt}${!detail && oneVersion ? `, agents ${oneVersion}` : ''})`,
  ];
  if (r.error) lines.push(`error ${r.error.code}: ${r.error.message}${r.error.hint ? `\nhint: ${r.error.hint}` : ''}`);
  if (detail) {
    lines.push(
      table(['phase', 'took', 'result', 'nodes'], r.phases.map((p) => [p.phase, formatDuration(p.durationMs), p.ok === undefined ? '-' : p.ok ? 'ok' : 'FAILED', Object.entries(p.nodes).map(([n, v]) => `${n} ${formatDuration(v.durationMs)}${v.ok ? '' : ' FAILED'}`).join(', ')])),
    );
  } else if (r.phases.length > 0) {
    const failed = (p: RunRecord['phases'][number]) => Object.entries(p.nodes).filter(([, v]) => !v.ok).map(([n]) => n);
    lines.push(
      `phases: ${r.phases.map((p) => `${p.phase} ${formatDuration(p.durationMs)}${p.ok === false ? ` FAILED${failed(p).length ? ` (${failed(p).join(', ')})` : ''}` : ''}`).join(', ')}`,
    );
  }
  if (r.freezeWindow) {
    lines.push(
      `freeze window ${formatDuration(r.freezeWindow.durationMs)} on ${r.freezeWindow.hosts.join(', ')}${r.freezeWindow.heldThroughTransfer ? ' (held through the transfers: a source cannot snapshot)' : ''}`,
    );
  }
  if (r.drill) lines.push(...drillLines(r, r.drill, detail));
  if (r.restoreScope) lines.push(...scopeLines(r.restoreScope));
  const t = Object.entries(r.transfers);
  if (t.length > 0 && !r.drill) {
    // rate: bytes on the wire per second of the source's transfer
    const rate = (x: (typeof t)[number][1]) => (x.durationMs > 0 ? formatRate((x.bytesSent * 1000) / x.durationMs) : '-');
    lines.push(
      detail
        ? table(
            ['source', 'entry', 'files', 'changed', 'size', 'sent', 'on wire', 'took', 'rate'],
            t.map(([s, x]) => [s, x.entry, String(x.filesTotal), String(x.filesTransferred), formatBytes(x.bytesTotal), formatBytes(x.bytesTransferred), formatBytes(x.bytesSent), formatDuration(x.durationMs), rate(x)]),
          )
        : table(
            ['source', 'files', 'changed', 'size', 'sent', 'took', 'rate'],
            t.map(([s, x]) => [s, String(x.filesTotal), String(x.filesTransferred), formatBytes(x.bytesTotal), formatBytes(x.bytesTransferred), formatDuration(x.durationMs), rate(x)]),
          ),
      `total: ${r.filesTotal} files, ${formatBytes(r.bytesTotal)}, ${formatBytes(r.bytesTransferred)} sent`,
    );
    if (r.deep) {
      const found = t.filter(([, x]) => x.contentOnly);
      lines.push(
        `deep: every file compared by content; ${r.deep.contentOnly} file(s) differed though size and mtime were equal${found.length ? ` (${found.map(([s, x]) => `${s} ${x.contentOnly}`).join(', ')})` : ''}`,
      );
    }
    if (r.fidelity) lines.push(`fidelity: ${r.fidelity.files} file(s) sent checked on the target against the sender's checksums`);
    const rechecked = t.filter(([, x]) => x.rechecked);
    if (rechecked.length > 0) {
      lines.push(`compared by content (mtime in the second of an earlier snapshot): ${rechecked.map(([s, x]) => `${s} ${x.rechecked} file(s)`).join(', ')}`);
    }
    for (const [s, x] of t) {
      if (x.notHeld) {
        const what = Object.entries(x.notHeld.classes).map(([k, v]) => `${v} ${k}`).join(', ');
        lines.push(`${s}: this backup does NOT hold ${what} (the target cannot store them; allowed by its target.unsupported), e.g. ${x.notHeld.examples.slice(0, 5).join(', ')}`);
      }
      if (x.leftOut?.length) lines.push(`${s}: ${x.leftOut.join(' and ')} not compared (its leaveOut): files not sent keep what an earlier backup stored`);
    }
  }
  if (r.from) lines.push(`from remote target ${r.from} (--from)`);
  if (r.replicate) lines.push(...replicaLines(r.replicate));
  if (r.snapshot) lines.push(`snapshot ${r.snapshot}`);
  if (r.retention) {
    lines.push(`retention: kept ${r.retention.kept.length}, pruned ${r.retention.pruned.length ? r.retention.pruned.map((x) => x.id).join(', ') : 'none'}`);
  }
  // one version everywhere is in the first line; skew is worth its own line
  if (versions.length > 0 && (detail || !oneVersion)) lines.push(`versions: ${versions.map(([n, v]) => `${n} ${v}`).join(', ')}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines;
}

/** What a replication sent to each remote, one line per remote and per stream (run summary and `show`). */
export function replicaLines(x: ReplicateRecord): string[] {
  const lines: string[] = [];
  for (const r of x.remotes) {
    lines.push(`${x.main} -> ${r.remote} (${r.address}): ${r.ok ? 'ok' : 'FAILED'}, sent ${r.sent.length} backup(s)${r.newest ? `, newest there ${r.newest}` : ''}${r.behind > 0 ? `, still ${r.behind} behind` : ''}`);
    for (const s of r.sent) lines.push(`  ${s.backupId}  ${s.baseId ? `incremental from ${s.baseId}` : 'full'}  ${formatBytes(s.bytes)} in ${formatDuration(s.durationMs)}`);
    if (r.skipped?.length) lines.push(`  not sent (older than its newest): ${r.skipped.join(', ')}`);
    if (r.retention) lines.push(`  retention on ${r.remote}: kept ${r.retention.kept.length}, pruned ${r.retention.pruned.length ? r.retention.pruned.map((p) => p.id).join(', ') : 'none'}`);
    if (r.error) lines.push(`  error ${r.error.code}: ${r.error.message}`);
  }
  return lines;
}

export function renderReplicate(r: ReplicateResult): string {
  return [...recordLines(r.record), `record: ${r.recordFile}`].join('\n');
}

export function renderReplicatePlan(r: ReplicateDryRun): string {
  const lines = warningLines(r.warnings);
  for (const v of r.remotes) {
    if (v.error) {
      lines.push(`${r.main} -> ${v.remote} (${v.address}): REFUSED: ${v.error.message}${v.error.hint ? `\n  hint: ${v.error.hint}` : ''}`);
      continue;
    }
    lines.push(`${r.main} -> ${v.remote} (${v.address}): ${v.steps.length === 0 ? 'up to date, nothing to send' : `would send ${v.steps.length} backup(s), about ${formatBytes(v.bytes)}`}${v.common ? ` (newest common backup ${v.common})` : ' (it holds none: the first goes full)'}`);
    for (const s of v.steps) lines.push(`  ${s.backupId}  ${s.baseId ? `incremental from ${s.baseId}` : 'full'}  ${formatBytes(s.bytes)}${s.how ? ` (${s.how})` : ''}`);
    if (v.skipped.length) lines.push(`  not sent (older than its newest): ${v.skipped.join(', ')}`);
    if (v.retention) {
      const p = v.retention.policy;
      lines.push(`  retention on ${v.remote} (last ${p.last}, daily ${p.daily}, weekly ${p.weekly}, monthly ${p.monthly}) would delete: ${v.retention.prune.length ? v.retention.prune.map((x) => x.id).join(', ') : 'nothing'}`);
    }
  }
  lines.push('dry run: nothing was sent or deleted');
  return lines.join('\n');
}

/** How a restore was narrowed or redirected, one line each (run summary and `show`). */
export function scopeLines(s: RestoreScope): string[] {
  const lines: string[] = [];
  if (s.fromDeployment) lines.push(`from deployment ${s.fromDeployment}: the backup was taken by it (--from-deployment)`);
  for (const [to, from] of Object.entries(s.map ?? {})) lines.push(`mapped: ${to} got ${from} of the backup (--map)`);
  if (s.paths) lines.push(`only these paths (--path): ${s.paths.join(', ')}; every other file was left as it was`);
  if (s.toDir) {
    lines.push(`into ${s.toDir} (--to-dir), nothing live was written:`);
    for (const [src, folder] of Object.entries(s.folders ?? {})) lines.push(`  ${src}: ${folder}`);
  }
  return lines;
}

export function renderBackup(r: BackupCommandResult): string {
  return [...recordLines(r.record), `record: ${r.recordFile}`].join('\n');
}

export function renderDrill(r: DrillResult): string {
  return [...recordLines(r.record), `record: ${r.recordFile}`].join('\n');
}

export function renderRestore(r: RestoreCommandResult): string {
  return [...recordLines(r.record), `restored: ${r.restored.join(', ')}`, `record: ${r.recordFile}`].join('\n');
}

/** Nodes a target-only command went on without, one line each. */
export function warningLines(warnings: readonly string[] | undefined): string[] {
  return (warnings ?? []).map((w) => `warning: ${w}`);
}

export function renderList(r: { target: string; backups: BackupListing[]; warnings?: string[] }): string {
  return [...warningLines(r.warnings), listTable(r)].join('\n');
}

function listTable(r: { target: string; backups: BackupListing[] }): string {
  if (r.backups.length === 0) return `no backups on ${r.target}`;
  return table(
    ['backup', 'created', 'entries', 'used', 'complete'],
    r.backups.map((b) => [b.id, b.createdMs ? new Date(b.createdMs).toISOString() : '-', String(b.entries.length), formatBytes(b.usedBytes), b.complete ? 'yes' : 'NO']),
  );
}

export function renderShow(r: ShowResult): string {
  if (r.from === 'record') return [...warningLines(r.warnings), ...recordLines(r.record, true)].join('\n');
  const b = r.backup;
  return [
    ...warningLines(r.warnings),
    `backup ${b.id} on ${r.target} (no local run record; manifest stored with the backup)`,
    `created ${b.createdMs ? new Date(b.createdMs).toISOString() : '-'}, ${formatBytes(b.usedBytes)} used, ${b.complete ? 'complete' : 'INCOMPLETE'}`,
    `entries: ${b.entries.join(', ')}`,
    `manifest: ${JSON.stringify(b.manifest, null, 2)}`,
  ].join('\n');
}

export function renderPause(r: PauseResult): string {
  if (r.nodes.length === 0) return 'no freeze hosts in this deployment';
  return [
    `paused as ${r.id}`,
    ...r.nodes.map((n) => `  ${n.node}: ${n.frozen.join(', ') || '(nothing running)'}; thaws by itself at ${new Date(n.leaseExpiresAtMs).toISOString()}`),
    'undo with `freezeframe unpause`',
  ].join('\n');
}

export function renderUnpause(r: { nodes: Array<{ node: string; id: string; thawed: string[] }> }): string {
  if (r.nodes.length === 0) return 'nothing was frozen';
  return r.nodes.map((n) => `${n.node}: thawed ${n.id}${n.thawed.length ? ` (${n.thawed.join(', ')})` : ''}`).join('\n');
}

export function renderDemo(s: DemoSummary): string {
  const lines: string[] = [];
  lines.push(`freezeframe demo in ${s.dir}`);
  if (s.agents.length) lines.push(table(['agent', 'port', 'data port', 'roles'], s.agents.map((a) => [a.name, String(a.port), String(a.dataPort), a.roles])));
  lines.push(`sample data: ${s.sample.sources} sources, ${s.sample.entries} paths, ${formatBytes(s.sample.bytes)} (digest ${s.sample.digest})`);
  for (const [i, b] of s.backups.entries()) {
    lines.push(
      `backup ${i + 1} ${b.id}: ${b.files} files, ${formatBytes(b.bytesTotal)} in the tree, rsync sent ${formatBytes(b.bytesTransferred)} (${b.bytesTotal ? ((100 * b.bytesTransferred) / b.bytesTotal).toFixed(1) : '0'}%), took ${formatDuration(b.durationMs)}, freeze window ${formatDuration(b.freezeWindowMs)}`,
    );
    lines.push(`  phases: ${Object.entries(b.phases).map(([p, ms]) => `${p} ${formatDuration(ms)}`).join(', ')}`);
  }
  if (s.changes) lines.push(`changed between backups: ${s.changes.modified} modified, ${s.changes.added} added, ${s.changes.deleted} deleted`);
  if (s.restore) {
    lines.push(`restored ${s.restore.backupId} to ${s.restore.sources.join(', ')}: ${formatBytes(s.restore.bytesTotal)}, took ${formatDuration(s.restore.durationMs)}`);
    lines.push(`  phases: ${Object.entries(s.restore.phases).map(([p, ms]) => `${p} ${formatDuration(ms)}`).join(', ')}`);
  }
  if (s.verification) {
    lines.push(
      s.verification.ok
        ? `verification OK: ${s.verification.checked} paths, ${formatBytes(s.verification.bytes)} compared byte for byte (plus modes, symlinks, hard links)`
        : `verification FAILED:\n  ${s.verification.differences.join('\n  ')}`,
    );
  }
  lines.push('steps:', ...s.steps.map((x) => `  ${x.step}: ${formatDuration(x.durationMs)}`));
  if (s.error) lines.push(`error ${s.error.code}: ${s.error.message}${s.error.hint ? `\nhint: ${s.error.hint}` : ''}`);
  lines.push(s.kept ? `kept ${s.dir} (agent logs in nodes/*/agent.log)` : 'temp folder removed');
  lines.push(s.ok ? 'demo OK' : 'demo FAILED');
  return lines.join('\n');
}

export function renderPrune(r: RetentionOutcome): string {
  const p = r.policy;
  const lines = [`retention on ${r.target}: last ${p.last}, daily ${p.daily}, weekly ${p.weekly}, monthly ${p.monthly}${r.dryRun ? ' (dry run: nothing deleted)' : ''}`];
  for (const k of r.kept) lines.push(`  keep   ${k.id}  ${k.reasons.join(', ')}`);
  for (const x of r.pruned) lines.push(`  ${r.dryRun ? 'would delete' : 'deleted'} ${x.id}  ${formatBytes(x.usedBytes)}  (${x.why})`);
  for (const f of r.failed) lines.push(`  FAILED ${f.id}: ${f.error}`);
  if (r.pruned.length === 0 && r.failed.length === 0) lines.push('  nothing to delete');
  return lines.join('\n');
}

export function renderServices(r: ServicesResult, verb: 'stopped' | 'started'): string {
  const lines = r.nodes.filter((n) => n.services.length > 0).map((n) => `${n.node}: ${n.services.map((s) => `${s.kind} ${s.name} ${s.action}`).join(', ')}`);
  return lines.length > 0 ? lines.join('\n') : `nothing ${verb === 'stopped' ? 'to stop' : 'to start'}`;
}

// the rows hold the agents' health texts, which give free space in raw bytes
const stabilityLine = (when: string, s: Stability) =>
  `stability ${when}: ${s.ok ? 'ok' : `NOT OK (${s.nodes.filter((n) => !n.ok).map((n) => `${n.node}: ${n.problems.join('; ')}`).join('; ')})`}`;

export function renderRestoreRun(r: RestoreRunResult): string {
  const lines = [renderRestore(r)];
  for (const [node, steps] of Object.entries(r.keyspaces)) {
    lines.push(`${node}: keyspaces put in place`);
    for (const s of steps) lines.push(`  ${s.step.padEnd(15)} ${s.keyspace ? `${s.keyspace}${s.table ? `.${s.table}` : ''}: ` : ''}${s.detail} (${s.durationMs} ms)`);
  }
  if (r.servicesStopped) lines.push(`services stopped: ${renderServices(r.servicesStopped, 'stopped').replaceAll('\n', '; ')}`);
  if (r.servicesStarted) lines.push(`services started: ${renderServices(r.servicesStarted, 'started').replaceAll('\n', '; ')}`);
  lines.push(stabilityLine('before', r.stability.before));
  if (r.stability.after) lines.push(stabilityLine('after', r.stability.after));
  return lines.join('\n');
}

/** The running run as `status` shows it: phase, phases so far, each source's transfer. */
function runningLines(r: NonNullable<StatusResult['running']>, now: number): string[] {
  const { job, alive, record } = r;
  const since = Date.parse(job.startedAt);
  const lines = [
    alive
      ? `${job.kind} ${job.id} RUNNING for ${formatDuration(now - since)} (pid ${job.pid} on ${job.host}, started ${job.startedAt})`
      : `${job.kind} ${job.id}: its director (pid ${job.pid}) is GONE without cleaning up (started ${job.startedAt})`,
  ];
  if (job.log) lines.push(`log: ${job.log}`);
  const live = record?.progress;
  if (record && record.phases.length > 0) {
    lines.push(`phase: ${live?.phase ?? record.phases.at(-1)!.phase}  (${record.phases.map((p) => `${p.phase} ${p.endedAt ? formatDuration(p.durationMs) : '...'}${p.ok === false ? ' FAILED' : ''}`).join(', ')})`);
  } else {
    lines.push('phase: starting');
  }
  const transfers = Object.entries(live?.transfers ?? {});
  if (transfers.length > 0) {
    lines.push(table(['source', 'sent', 'done', 'rate'], transfers.map(([s, t]) => [s, formatBytes(t.bytes), t.done ? 'done' : `${t.percent}%`, t.done ? '' : t.rate])));
  }
  if (live) lines.push(`updated ${formatDuration(Math.max(0, now - Date.parse(live.updatedAt)))} ago`);
  for (const w of record?.warnings ?? []) lines.push(`warning: ${w}`);
  if (!alive) {
    lines.push(
      job.kind === 'backup'
        ? `the freeze leases thaw and the target lock expires by themselves; finish it with: freezeframe backup --resume ${job.id} (or run \`freezeframe cleanup\`)`
        : `the target lock expires by itself; run the ${job.kind} again`,
    );
  }
  return lines;
}

export function renderStatus(r: StatusResult, now = Date.now()): string {
  const lines: string[] = [];
  if (r.running) lines.push(...runningLines(r.running, now));
  else lines.push(`no backup or restore running (deployment ${r.deployment})`);
  if (r.last) {
    lines.push(r.running ? 'before it:' : 'last run:');
    const last = recordLines(r.last);
    // a record still saying running with no process behind it: the director died mid-run
    if (r.last.result === 'running') last[0] = `${last[0]}\n  (no director runs it: it was killed; ${r.last.kind === 'backup' ? `freezeframe backup --resume ${r.last.backupId}` : `run the ${r.last.kind} again`})`;
    lines.push(...last.map((l) => `  ${l}`));
    if (r.last.result === 'incomplete' && r.last.kind === 'backup') lines.push(`  resume it with: freezeframe backup --resume ${r.last.backupId}`);
  }
  return lines.join('\n');
}

/** One line for `status --follow`: the phase and each source's transfer. */
export function statusLine(r: NonNullable<StatusResult['running']>): string {
  const live = r.record?.progress;
  const phase = live?.phase ?? r.record?.phases.at(-1)?.phase ?? 'starting';
  const t = Object.entries(live?.transfers ?? {}).map(([s, x]) => `${s} ${x.done ? 'done' : `${x.percent}% ${formatBytes(x.bytes)}`}`);
  return `${r.job.kind} ${r.job.id}: ${phase}${t.length ? ` (${t.join(', ')})` : ''}`;
}

export function renderDetached(d: Detached): string {
  return [
    `${d.kind} ${d.id} started in the background (${d.how === 'systemd' ? `unit ${d.unit}` : 'a session of its own'}${d.pid ? `, pid ${d.pid}` : ''})`,
    `log: ${d.log}`,
    'follow it: freezeframe status --follow',
    `stop it:   ${d.how === 'systemd' ? `systemctl${process.getuid?.() === 0 ? '' : ' --user'} stop ${d.unit}` : d.pid ? `kill -INT ${d.pid}` : 'kill -INT <pid> (see freezeframe status)'}`,
  ].join('\n');
}

/** What `restore` would overwrite: `--dry-run`'s output, and the question's preamble on a terminal. */
export function renderRestorePlan(p: RestorePlan, o: { dryRun?: boolean } = {}): string {
  const taken = `restore ${p.backupId} (taken ${p.createdMs > 0 ? new Date(p.createdMs).toISOString() : 'at an unknown time'}) from ${p.target}`;
  const inBackup = (s: RestorePlan['sources'][number]) => {
    const size = s.missing ? 'nothing: the restore would refuse' : s.bytes !== undefined ? `${formatBytes(s.bytes)}, ${s.files} files` : '(size not recorded)';
    return `${s.from ? `${s.from}: ` : ''}${p.paths && !s.missing ? `part of ${size}` : size}`;
  };
  const lines = [
    p.toDir
      ? `${taken} would restore ${p.sources.length} volume(s) of deployment ${p.deployment} into new folders, writing nothing live:`
      : `${taken} would overwrite ${p.sources.length} volume(s) of deployment ${p.deployment}:`,
  ];
  if (p.fromDeployment) lines.push(`the backup was taken by deployment ${p.fromDeployment} (--from-deployment ${p.fromDeployment})`);
  lines.push(table(['source', 'kind', p.toDir ? 'into' : 'volume', 'in the backup'], p.sources.map((s) => [s.source, s.kind, s.into ?? s.volume, inBackup(s)])));
  if (p.paths) {
    lines.push(
      p.toDir
        ? `Only these paths are restored: ${p.paths.join(', ')}.`
        : `Only these paths are restored: ${p.paths.join(', ')}. Inside them, files there that the backup lacks are deleted and every other file is replaced by its backed-up version; every file outside them stays as it is.`,
    );
  } else if (!p.toDir) {
    lines.push('Files there that the backup lacks are deleted; every other file is replaced by its backed-up version.');
  }
  if (p.toDir) lines.push(`Each folder is new, below ${p.toDir}/${RESTORE_ID_PLACEHOLDER} (mode 0700); the live volumes are not touched.`);
  for (const s of p.sources) if (s.writing) lines.push(`warning: ${terminalText(s.writing, false)}`);
  if (p.untouched.length > 0) lines.push(`left as they are: ${p.untouched.join(', ')}`);
  for (const u of p.unreachable) lines.push(`not reachable (not in this plan): ${terminalText(u, false)}`);
  if (o.dryRun) lines.push('dry run: nothing was changed');
  return lines.join('\n');
}

export function renderMount(r: MountResult): string {
  return [
    ...warningLines(r.warnings),
    `backup ${r.backupId} of deployment ${r.deployment} is readable on ${r.target} at ${terminalText(r.root, false)}`,
    `entries: ${r.entries.map((e) => terminalText(e, false)).join(', ') || 'none'}`,
    `when done: freezeframe umount ${r.backupId}`,
  ].join('\n');
}
