import { VERSION, errorMessage, type Inventory } from '@freezeframe/common';
import { formatBytes, formatDuration, table } from '../cli/format.js';
import { closeAll, connectInventory } from './agent-client.js';
import { list, type HealthRow } from './operations.js';
import { asFfError } from './phases.js';
import { pickLatest } from './restore.js';
import type { HealthCheck, NodeDescription, NodeHealth } from './types.js';

// `freezeframe health` and `health --nagios` (the monitoring-plugin convention: one status
// line, perfdata after '|', exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

/** Beyond this, an agent's clock is flagged: freeze windows and lease expiries are measured on agent clocks. */
export const CLOCK_SKEW_WARN_MS = 5_000;

/** One node as `health` reports it: the agent's checks plus what only the director can see (skews). */
export interface HealthReportRow extends HealthRow {
  /** Not blocking: services left stopped, Cassandra stopped by freezeframe, version or clock skew. */
  warnings: string[];
  checks: HealthCheck[];
  services: Array<{ kind: string; name: string; id: string; state: string }>;
  servicesStopped: string[];
  /** Agent clock minus director clock, at the agent's answer. */
  clockSkewMs?: number;
  sourceKind?: string;
  targetLockPurpose?: string;
  /** What the target's file system cannot store (the agent's probe), and whether target.unsupported allows it. */
  targetLimits?: Array<{ class: string; detail: string; allowed: boolean }>;
}

export interface HealthReport {
  ok: boolean;
  directorVersion: string;
  nodes: HealthReportRow[];
}

/** Pure: what only the director sees, from one agent's answers and the director's clock at the answer. */
export function skewWarnings(node: string, agentVersion: string, agentTimeMs: number, directorTimeMs: number, directorVersion = VERSION): { warnings: string[]; clockSkewMs?: number } {
  const warnings: string[] = [];
  if (agentVersion !== directorVersion) warnings.push(`${node}: agent version ${agentVersion} differs from the director's ${directorVersion}`);
  if (agentTimeMs <= 0) return { warnings };
  const clockSkewMs = agentTimeMs - directorTimeMs;
  if (Math.abs(clockSkewMs) > CLOCK_SKEW_WARN_MS) {
    warnings.push(`${node}: clock differs from the director's by ${(clockSkewMs / 1000).toFixed(1)} s (is NTP running?)`);
  }
  return { warnings, clockSkewMs };
}

/**
 * Health and Describe on every node, in parallel; never throws for a node, reports it.
 * `ok` is false when any node is unreachable or has problems; warnings never make it false.
 */
export async function healthReport(inv: Inventory): Promise<HealthReport> {
  const nodes = connectInventory(inv);
  try {
    const rows = await Promise.all(
      nodes.map(async (n, i): Promise<HealthReportRow> => {
        const address = inv.nodes[i]!.address;
        try {
          const [h, d]: [NodeHealth, NodeDescription] = await Promise.all([n.health(), n.describe()]);
          const answeredAt = Date.now();
          const skew = skewWarnings(n.name, h.version, h.timeUnixMs, answeredAt);
          const row: HealthReportRow = {
            node: n.name,
            address,
            ok: h.ok,
            version: h.version,
            roles: h.roles,
            problems: h.problems,
            frozen: h.frozen,
            warnings: [...(h.warnings ?? []), ...skew.warnings],
            checks: h.checks ?? [],
            services: h.services ?? [],
            servicesStopped: h.servicesStopped ?? [],
            ...(skew.clockSkewMs !== undefined ? { clockSkewMs: skew.clockSkewMs } : {}),
          };
          if (h.targetLockedBy) {
            row.targetLockedBy = h.targetLockedBy;
            if (h.targetLockPurpose) row.targetLockPurpose = h.targetLockPurpose;
          }
          if (d.source) {
            row.source = `${d.source.kind} ${d.source.volume}`;
            row.sourceKind = d.source.kind;
            row.freeBytes = d.source.freeBytes;
          }
          if (d.target) {
            row.target = d.target.kind;
            row.freeBytes = d.target.freeBytes;
            if (d.target.limits?.length) row.targetLimits = d.target.limits;
          }
          if (d.freeze) row.freeze = d.freeze.kind;
          return row;
        } catch (e) {
          return { node: n.name, address, ok: false, roles: [], problems: [asFfError(e, n.name).message], frozen: [], warnings: [], checks: [], services: [], servicesStopped: [] };
        }
      }),
    );
    const targets = rows.filter((r) => r.roles.includes('target'));
    if (rows.every((r) => r.version !== undefined) && targets.length !== 1) {
      for (const r of rows) r.problems.push(targets.length === 0 ? 'no node has the target role' : 'more than one target');
    }
    return { ok: rows.every((r) => r.ok && r.problems.length === 0), directorVersion: VERSION, nodes: rows };
  } finally {
    closeAll(nodes);
  }
}

export function renderHealthReport(r: HealthReport): string {
  const lines = [
    table(
      ['node', 'address', 'status', 'version', 'roles', 'detail'],
      r.nodes.map((n) => [
        n.node,
        n.address,
        n.version === undefined ? 'UNREACHABLE' : !n.ok || n.problems.length > 0 ? 'PROBLEM' : n.warnings.length > 0 || n.frozen.length > 0 ? 'warning' : 'ok',
        n.version ?? '-',
        n.roles.join(',') || '-',
        [
          n.source ? `source ${n.source}` : '',
          n.target ? `target ${n.target}` : '',
          n.freeze ? `freeze ${n.freeze}` : '',
          n.freeBytes !== undefined ? `${formatBytes(n.freeBytes)} free` : '',
          n.clockSkewMs !== undefined ? `clock ${n.clockSkewMs >= 0 ? '+' : ''}${(n.clockSkewMs / 1000).toFixed(1)}s` : '',
          n.services.length > 0 ? `services ${n.services.map((s) => `${s.name} ${s.state}`).join(', ')}` : '',
          n.frozen.length ? `FROZEN by ${n.frozen.join(',')}` : '',
          n.targetLockedBy ? `locked by ${n.targetLockPurpose ?? ''} ${n.targetLockedBy}`.replace('  ', ' ') : '',
        ]
          .filter(Boolean)
          .join('; '),
      ]),
    ),
  ];
  for (const n of r.nodes) {
    for (const c of n.checks) lines.push(`  ${n.node} ${c.ok ? 'ok     ' : 'FAILED '} ${c.name}: ${c.detail}`);
    for (const p of n.problems) if (!n.checks.some((c) => !c.ok && c.detail === p)) lines.push(`  ${n.node} PROBLEM ${p}`);
    for (const w of n.warnings) lines.push(`  ${n.node} WARNING ${w}`);
    for (const l of n.targetLimits ?? []) lines.push(`  ${n.node} cannot store ${l.detail}${l.allowed ? ' (allowed by target.unsupported)' : ''}`);
  }
  lines.push(r.ok ? (r.nodes.some((n) => n.warnings.length > 0) ? 'all nodes healthy, with warnings' : 'all nodes healthy') : 'some nodes have problems');
  return lines.join('\n');
}

export const NAGIOS = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
export type NagiosCode = (typeof NAGIOS)[keyof typeof NAGIOS];

export interface NagiosResult {
  code: NagiosCode;
  line: string;
}

const NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

export interface NagiosInput {
  nodes: Array<HealthRow & { warnings?: string[] }>;
  /** Newest complete backup's creation time, when known. */
  lastBackupMs?: number;
  /** Older than this is WARNING, older than twice this CRITICAL. */
  maxAgeMs?: number;
  now?: number;
}

/** Pure: the status line for a health result (unit-tested without agents). */
export function nagiosStatus(i: NagiosInput): NagiosResult {
  const now = i.now ?? Date.now();
  const critical: string[] = [];
  const warning: string[] = [];
  for (const n of i.nodes) {
    if (n.version === undefined) critical.push(`${n.node} unreachable${n.problems[0] ? ` (${n.problems[0].split('\n')[0]})` : ''}`);
    else if (!n.ok || n.problems.length > 0) critical.push(`${n.node}: ${n.problems.map((p) => (p.startsWith(`${n.node}: `) ? p.slice(n.node.length + 2) : p)).join('; ') || 'not ok'}`);
    if (n.frozen.length > 0) warning.push(`${n.node} frozen by ${n.frozen.join(',')}`);
    // skew between agents is reported once below; a row's own warning names the director's version
    for (const w of n.warnings ?? []) warning.push(w.startsWith(`${n.node}:`) ? w : `${n.node}: ${w}`);
  }
  const versions = new Set(i.nodes.flatMap((n) => (n.version ? [n.version] : [])));
  if (versions.size > 1) warning.push(`version skew: ${[...versions].join(' vs ')}`);
  let age: number | undefined;
  if (i.maxAgeMs !== undefined) {
    if (i.lastBackupMs === undefined) critical.push('no complete backup on the target');
    else {
      age = now - i.lastBackupMs;
      if (age > 2 * i.maxAgeMs) critical.push(`last backup is ${formatDuration(age)} old`);
      else if (age > i.maxAgeMs) warning.push(`last backup is ${formatDuration(age)} old`);
    }
  }
  const code: NagiosCode = critical.length > 0 ? NAGIOS.CRITICAL : warning.length > 0 ? NAGIOS.WARNING : NAGIOS.OK;
  const detail = [...critical, ...warning];
  const ok = i.nodes.filter((n) => n.version !== undefined && n.ok && n.problems.length === 0).length;
  const summary = detail.length > 0 ? detail.join('; ') : `${ok} nodes healthy${age !== undefined ? `, last backup ${formatDuration(age)} ago` : ''}`;
  const perf = [`nodes=${i.nodes.length}`, `healthy=${ok}`, `problems=${detail.length}`, ...(age !== undefined ? [`last_backup_age=${Math.round(age / 1000)}s`] : [])];
  return { code, line: `FREEZEFRAME ${NAMES[code]} - ${summary.replace(/\|/g, '/').replace(/\n/g, ' ')} | ${perf.join(' ')}` };
}

/** Runs the checks; any failure to check at all is UNKNOWN, never a crash. */
export async function nagios(loadInventory: () => Inventory, opts: { maxAgeMs?: number } = {}): Promise<NagiosResult> {
  try {
    const inv = loadInventory();
    const h = await healthReport(inv);
    // an unreachable target is CRITICAL already; its backups' age is then unknown, not "none"
    if (opts.maxAgeMs === undefined || !h.nodes.some((n) => n.roles.includes('target') && n.version !== undefined)) return nagiosStatus({ nodes: h.nodes });
    const latest = pickLatest((await list(inv)).backups);
    return nagiosStatus({ nodes: h.nodes, maxAgeMs: opts.maxAgeMs, ...(latest?.createdMs ? { lastBackupMs: latest.createdMs } : {}) });
  } catch (e) {
    return { code: NAGIOS.UNKNOWN, line: `FREEZEFRAME UNKNOWN - ${errorMessage(e).split('\n')[0]!.replace(/\|/g, '/')}` };
  }
}
