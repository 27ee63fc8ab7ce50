import type { DemoSummary } from '../engine/demo.js';
import type { RestoreRunResult, Stability } from '../engine/maintenance.js';
import type { BackupCommandResult, PauseResult, RestoreCommandResult, ShowResult } from '../engine/operations.js';
import type { RunRecord } from '../engine/records.js';
import type { RetentionOutcome } from '../engine/retention.js';
import type { ServicesResult } from '../engine/services.js';
import type { BackupListing } from '../engine/types.js';
import { formatBytes, formatDuration, table } from './format.js';

// One renderer per command's result, for humans.

function recordLines(r: RunRecord): string[] {
  const lines = [
    `${r.kind} ${r.backupId}  deployment ${r.deployment}  ${r.result.toUpperCase()}`,
    `started ${r.startedAt}, took ${formatDuration(r.durationMs)}`,
  ];
  if (r.error) lines.push(`error ${r.error.code}: ${r.error.message}${r.error.hint ? `\nhint: ${r.error.hint}` : ''}`);
  if (r.freezeWindow) {
    lines.push(
      `freeze window ${formatDuration(r.freezeWindow.durationMs)} on ${r.freezeWindow.hosts.join(', ')}${r.freezeWindow.heldThroughTransfer ? ' (held through the transfers: a source cannot snapshot)' : ''}`,
    );
  }
  if (r.snapshot) lines.push(`snapshot ${r.snapshot}`);
  lines.push('', table(['phase', 'took', 'result', 'nodes'], r.phases.map((p) => [p.phase, formatDuration(p.durationMs), p.ok === undefined ? '-' : p.ok ? 'ok' : 'FAILED', Object.entries(p.nodes).map(([n, v]) => `${n} ${formatDuration(v.durationMs)}${v.ok ? '' : ' FAILED'}`).join(', ')])));
  const t = Object.entries(r.transfers);
  if (t.length > 0) {
    lines.push(
      '',
      table(
        ['source', 'entry', 'files', 'changed', 'size', 'sent', 'on wire', 'took', 'rate'],
        t.map(([s, x]) => [
          s,
          x.entry,
          String(x.filesTotal),
          String(x.filesTransferred),
          formatBytes(x.bytesTotal),
          formatBytes(x.bytesTransferred),
          formatBytes(x.bytesSent),
          formatDuration(x.durationMs),
          x.durationMs > 0 ? `${formatBytes((x.bytesSent * 1000) / x.durationMs)}/s` : '-',
        ]),
      ),
      `total: ${r.filesTotal} files, ${formatBytes(r.bytesTotal)}, ${formatBytes(r.bytesTransferred)} sent`,
    );
    for (const [s, x] of t) {
      if (x.rechecked) lines.push(`${s}: ${x.rechecked} file(s) compared by content (mtime in the second of an earlier snapshot)`);
      if (x.notHeld) {
        const what = Object.entries(x.notHeld.classes).map(([k, v]) => `${v} ${k}`).join(', ');
        lines.push(`${s}: this backup does NOT hold ${what} (the target cannot store them; allowed by its target.unsupported), e.g. ${x.notHeld.examples.slice(0, 5).join(', ')}`);
      }
    }
  }
  if (r.retention) {
    lines.push(`retention: kept ${r.retention.kept.length}, pruned ${r.retention.pruned.length ? r.retention.pruned.map((x) => x.id).join(', ') : 'none'}`);
  }
  const versions = Object.entries(r.versions);
  if (versions.length > 0) lines.push(`versions: ${versions.map(([n, v]) => `${n} ${v}`).join(', ')}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines;
}

export function renderBackup(r: BackupCommandResult): string {
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
  if (r.from === 'record') return [...warningLines(r.warnings), ...recordLines(r.record)].join('\n');
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
