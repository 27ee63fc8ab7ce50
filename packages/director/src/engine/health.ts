import { errorMessage, type Inventory } from '@freezeframe/common';
import { formatDuration } from '../cli/format.js';
import { health, list, type HealthRow } from './operations.js';
import { pickLatest } from './restore.js';

// `health --nagios`: the monitoring-plugin convention (one status line, perfdata after '|',
// exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

export const NAGIOS = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
export type NagiosCode = (typeof NAGIOS)[keyof typeof NAGIOS];

export interface NagiosResult {
  code: NagiosCode;
  line: string;
}

const NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

export interface NagiosInput {
  nodes: HealthRow[];
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
    else if (!n.ok || n.problems.length > 0) critical.push(`${n.node}: ${n.problems.join('; ') || 'not ok'}`);
    if (n.frozen.length > 0) warning.push(`${n.node} frozen by ${n.frozen.join(',')}`);
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
    const h = await health(inv);
    // an unreachable target is CRITICAL already; its backups' age is then unknown, not "none"
    if (opts.maxAgeMs === undefined || !h.nodes.some((n) => n.roles.includes('target') && n.version !== undefined)) return nagiosStatus({ nodes: h.nodes });
    const latest = pickLatest((await list(inv)).backups);
    return nagiosStatus({ nodes: h.nodes, maxAgeMs: opts.maxAgeMs, ...(latest?.createdMs ? { lastBackupMs: latest.createdMs } : {}) });
  } catch (e) {
    return { code: NAGIOS.UNKNOWN, line: `FREEZEFRAME UNKNOWN - ${errorMessage(e).split('\n')[0]!.replace(/\|/g, '/')}` };
  }
}
