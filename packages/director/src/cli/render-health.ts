import { errorMessage, type Inventory } from '@freezeframe/common';
import { nagiosInput, type HealthReport, type NagiosInput } from '../engine/health.js';
import { formatBytes, formatDuration, table } from './format.js';

// `freezeframe health` for humans, and `health --nagios` (the monitoring-plugin convention: one
// status line, perfdata after '|', exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

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
    // the agents' check texts give free space in raw bytes
    for (const c of n.checks) lines.push(`  ${n.node} ${c.ok ? 'ok     ' : 'FAILED '} ${c.name}: ${c.detail}`);
    for (const p of n.problems) if (!n.checks.some((c) => !c.ok && c.detail === p)) lines.push(`  ${n.node} PROBLEM ${p}`);
    for (const w of n.warnings) lines.push(`  ${n.node} WARNING ${w}`);
    for (const l of n.targetLimits ?? []) lines.push(`  ${n.node} cannot store ${l.detail}${l.allowed ? ' (allowed by target.unsupported)' : ''}`);
  }
  for (const x of r.remotes ?? []) {
    const newest = x.newest ? `newest ${x.newest.id} (${ageText(Math.max(0, Date.now() - x.newest.createdMs))} old)` : 'no backup yet';
    lines.push(`  remote ${x.remote} (${x.address}): ${x.problem ? `PROBLEM ${x.problem}` : `${newest}, ${x.behind} backup(s) behind`}`);
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

/** Backup ages and thresholds: hours and minutes from an hour on (26h00m, not 1560m00s). */
function ageText(ms: number): string {
  if (ms < 3_600_000) return formatDuration(ms);
  const minutes = Math.floor(ms / 60_000);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * Pure: the status line for a health result (unit-tested without agents). Each node counts once
 * in the perfdata: `critical` (unreachable or reporting problems), else `warning` (frozen, or a
 * warning of its own), else `healthy`; so nodes = healthy + warning + critical. Deployment-wide
 * findings (version skew between agents, the newest backup's age) are in the text and the state.
 */
export function nagiosStatus(i: NagiosInput): NagiosResult {
  const now = i.now ?? Date.now();
  const critical: string[] = [];
  const warning: string[] = [];
  const count = { healthy: 0, warning: 0, critical: 0 };
  for (const n of i.nodes) {
    const before = { critical: critical.length, warning: warning.length };
    if (n.version === undefined) critical.push(`${n.node} unreachable${n.problems[0] ? ` (${n.problems[0].split('\n')[0]})` : ''}`);
    else if (!n.ok || n.problems.length > 0) critical.push(`${n.node}: ${n.problems.map((p) => (p.startsWith(`${n.node}: `) ? p.slice(n.node.length + 2) : p)).join('; ') || 'not ok'}`);
    if (n.frozen.length > 0) warning.push(`${n.node} frozen by ${n.frozen.join(',')}`);
    // skew between agents is reported once below; a row's own warning names the director's version
    for (const w of n.warnings ?? []) warning.push(w.startsWith(`${n.node}:`) ? w : `${n.node}: ${w}`);
    if (critical.length > before.critical) count.critical++;
    else if (warning.length > before.warning) count.warning++;
    else count.healthy++;
  }
  const versions = new Set(i.nodes.flatMap((n) => (n.version ? [n.version] : [])));
  if (versions.size > 1) warning.push(`version skew: ${[...versions].join(' vs ')}`);
  let age: number | undefined;
  const maxAgeMs = i.maxAgeMs !== undefined && i.maxAgeMs > 0 ? i.maxAgeMs : undefined;
  if (maxAgeMs !== undefined && i.targetReachable !== false) {
    if (i.lastBackupMs === undefined) critical.push('no complete backup on the target');
    else {
      age = Math.max(0, now - i.lastBackupMs);
      if (age > 2 * maxAgeMs) critical.push(`last backup is ${ageText(age)} old (critical over ${ageText(2 * maxAgeMs)})`);
      else if (age > maxAgeMs) warning.push(`last backup is ${ageText(age)} old (warning over ${ageText(maxAgeMs)})`);
    }
  }
  let drillAge: number | undefined;
  const d = i.drill;
  if (d && d.maxAgeMs > 0) {
    if (d.lastOkMs !== undefined) drillAge = Math.max(0, now - d.lastOkMs);
    if (d.last && d.last.result !== 'ok') {
      warning.push(`newest restore drill ${d.last.id} ${d.last.result === 'failed' ? 'FAILED' : 'did not finish'} ${ageText(Math.max(0, now - d.last.endedMs))} ago (freezeframe show ${d.last.id})`);
    } else if (drillAge === undefined) {
      warning.push('no restore drill has run yet (freezeframe drill)');
    } else if (drillAge > d.maxAgeMs) {
      warning.push(`last restore drill is ${ageText(drillAge)} old (warning over ${ageText(d.maxAgeMs)})`);
    }
  }
  // a remote's trouble is a WARNING, never CRITICAL: the deployment's target still holds every backup
  let remotesBehind = 0;
  for (const x of i.remotes ?? []) {
    remotesBehind += x.behind;
    if (x.problem) warning.push(`remote ${x.problem.startsWith(`${x.remote}:`) ? x.problem : `${x.remote}: ${x.problem}`}`);
    else if (!x.newest) warning.push(`remote ${x.remote} holds no backup yet (freezeframe replicate)`);
    else if (maxAgeMs !== undefined && now - x.newest.createdMs > maxAgeMs) {
      warning.push(`remote ${x.remote}: newest backup ${x.newest.id} is ${ageText(Math.max(0, now - x.newest.createdMs))} old (warning over ${ageText(maxAgeMs)}), ${x.behind} behind`);
    }
  }
  const code: NagiosCode = critical.length > 0 ? NAGIOS.CRITICAL : warning.length > 0 ? NAGIOS.WARNING : NAGIOS.OK;
  const detail = [...critical, ...warning];
  const summary =
    detail.length > 0 ? detail.join('; ') : `${count.healthy} nodes healthy${age !== undefined ? `, last backup ${ageText(age)} ago` : ''}${drillAge !== undefined ? `, last drill ${ageText(drillAge)} ago` : ''}`;
  const perf = [
    `nodes=${i.nodes.length}`,
    `healthy=${count.healthy}`,
    `warning=${count.warning}`,
    `critical=${count.critical}`,
    // 'label'=value[UOM];warn;crit;min
    ...(age !== undefined && maxAgeMs !== undefined ? [`last_backup_age=${Math.round(age / 1000)}s;${Math.round(maxAgeMs / 1000)};${Math.round((2 * maxAgeMs) / 1000)};0`] : []),
    ...(i.remotes?.length ? [`remotes_behind=${remotesBehind};;;0`] : []),
    ...(drillAge !== undefined && d ? [`last_drill_age=${Math.round(drillAge / 1000)}s;${Math.round(d.maxAgeMs / 1000)};;0`] : []),
  ];
  return { code, line: `FREEZEFRAME ${NAMES[code]} - ${summary.replace(/\|/g, '/').replace(/\n/g, ' ')} | ${perf.join(' ')}` };
}

/** Runs the checks; any failure to check at all is UNKNOWN, never a crash. */
export async function nagios(loadInventory: () => Inventory, opts: { maxAgeMs?: number } = {}): Promise<NagiosResult> {
  // the age check is on by default: --max-age, else the inventory's health.maxAge (26h); 0 turns it off
  try {
    return nagiosStatus(await nagiosInput(loadInventory(), opts));
  } catch (e) {
    return { code: NAGIOS.UNKNOWN, line: `FREEZEFRAME UNKNOWN - ${errorMessage(e).split('\n')[0]!.replace(/\|/g, '/')}` };
  }
}
