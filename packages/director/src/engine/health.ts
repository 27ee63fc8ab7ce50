import { VERSION, type Inventory } from '@freezeframe/common';
import { findTarget, healthAndDescription, withDeployment, type Connected } from './core/deployment.js';
import { asFfError } from './core/phases.js';
import { stateDirOf } from './core/records.js';
import { pickLatest } from './core/resolve-backup.js';
import { drillHistory, type DrillHistory } from './drill.js';
import { checkRemote, withRemotes } from './core/remotes.js';
import { replicaLag } from './core/replica-plan.js';
import type { BackupListing, HealthCheck, NodeDescription, NodeHealth } from './core/types.js';

// What `freezeframe health` and `health --nagios` report; cli/render-health.ts prints it.

/** Beyond this, an agent's clock is flagged: freeze windows and lease expiries are measured on agent clocks. */
export const CLOCK_SKEW_WARN_MS = 5_000;

/** One node as a monitoring check judges it. */
export interface HealthRow {
  node: string;
  address: string;
  ok: boolean;
  version?: string;
  roles: string[];
  problems: string[];
  frozen: string[];
  targetLockedBy?: string;
  source?: string;
  target?: string;
  freeze?: string;
  freeBytes?: number;
}

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
  /** The remote targets of replicate: (a remote's trouble warns: the deployment's target still holds every backup). */
  remotes?: RemoteHealth[];
}

/** One remote target of replicate: as health sees it: its newest backup and how far behind it is. */
export interface RemoteHealth {
  remote: string;
  address: string;
  /** Its newest backup, and when that backup was taken. */
  newest?: { id: string; createdMs: number };
  /** Backups of the deployment's target it lacks (what `replicate` would send). */
  behind: number;
  /** Unreachable, not a remote of this target (target.replicaOf), or diverged: why replicate would fail. */
  problem?: string;
}

/**
 * Each remote's newest backup and lag against `mainList` (the deployment's target's backups);
 * never throws for a remote, reports it.
 */
export async function remotesHealth(inv: Inventory, main: string, mainList: readonly BackupListing[]): Promise<RemoteHealth[]> {
  const entries = inv.replicate?.to ?? [];
  if (entries.length === 0) return [];
  return withRemotes(inv, entries, (nodes) =>
    Promise.all(
      nodes.map(async (node, i): Promise<RemoteHealth> => {
        const address = entries[i]!.address;
        try {
          await checkRemote(node, main);
          const lag = replicaLag(mainList, await node.listBackups(), { deployment: inv.deployment, main, remote: node.name });
          return { remote: node.name, address, behind: lag.behind, ...(lag.newest ? { newest: lag.newest } : {}), ...(lag.diverged ? { problem: lag.diverged } : {}) };
        } catch (e) {
          return { remote: node.name, address, behind: 0, problem: asFfError(e, node.name).message };
        }
      }),
    ),
  );
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
export function healthReport(inv: Inventory): Promise<HealthReport> {
  return withDeployment(inv, async (d) => {
    const h = await healthOf(d);
    if (!inv.replicate) return h;
    const target = h.nodes.find((n) => n.roles.includes('target') && n.version !== undefined);
    if (!target) return { ...h, remotes: inv.replicate.to.map((r) => ({ remote: r.name, address: r.address, behind: 0, problem: "the deployment's target did not answer: the lag is unknown" })) };
    return { ...h, remotes: await remotesHealth(inv, target.node, await d.node(target.node).listBackups()) };
  });
}

/** healthReport over nodes already connected (restore asks before and after, on one connection). */
export async function healthOf({ nodes }: Connected): Promise<HealthReport> {
  const rows = await Promise.all(
    nodes.map(async (n): Promise<HealthReportRow> => {
      const address = n.address;
      try {
        const { health: h, desc: d }: { health: NodeHealth; desc: NodeDescription } = await healthAndDescription(n);
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
          const vols = d.sources ?? [d.source];
          row.source = vols.map((v) => `${v.name ? `${v.name}: ` : ''}${v.kind} ${v.volume}`).join(', ');
          // a node with a Cassandra volume is a Cassandra node (keyspace restores)
          row.sourceKind = vols.find((v) => v.kind === 'cassandra')?.kind ?? d.source.kind;
          row.freeBytes = Math.min(...vols.map((v) => v.freeBytes));
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
}

export interface NagiosInput {
  nodes: Array<HealthRow & { warnings?: string[] }>;
  /** Newest complete backup's creation time, when known. */
  lastBackupMs?: number;
  /** Older than this is WARNING, older than twice this CRITICAL; absent or 0: not checked. */
  maxAgeMs?: number;
  /** False when the target did not answer: the age is then unknown (the node is CRITICAL already), not "no backup". */
  targetReachable?: boolean;
  /** With `replicate:`: each remote's newest backup and lag; WARNING when its newest is older than maxAgeMs, or it has a problem. */
  remotes?: RemoteHealth[];
  /** With `drill:` in the inventory (and health.maxDrillAge > 0): the drills run by this director. */
  drill?: DrillHistory & { maxAgeMs: number };
  now?: number;
}

/**
 * What a monitoring check judges: every node's health and the newest complete backup's age,
 * checked against `opts.maxAgeMs`, else the inventory's `health.maxAge` (26 h by default; 0
 * turns it off). Throws when it cannot check at all (the CLI reports that as UNKNOWN).
 */
export async function nagiosInput(inv: Inventory, opts: { maxAgeMs?: number } = {}): Promise<NagiosInput> {
  const maxAgeMs = opts.maxAgeMs ?? inv.health.maxAge;
  // the drills are this director's records: no node is asked about them
  const drills = inv.drill && inv.health.maxDrillAge > 0 ? { drill: { maxAgeMs: inv.health.maxDrillAge, ...drillHistory(stateDirOf(inv), inv.deployment) } } : {};
  return withDeployment(inv, async (d) => {
    const h = await healthOf(d);
    if (maxAgeMs <= 0) return { nodes: h.nodes, ...drills };
    // an unreachable target is CRITICAL already; its backups' age is then unknown, not "none"
    if (!h.nodes.some((n) => n.roles.includes('target') && n.version !== undefined)) return { nodes: h.nodes, maxAgeMs, targetReachable: false, ...drills };
    const { target } = await findTarget(d.nodes);
    const backups = await target.node.listBackups();
    const latest = pickLatest(backups);
    const remotes = inv.replicate ? { remotes: await remotesHealth(inv, target.name, backups) } : {};
    return { nodes: h.nodes, maxAgeMs, ...(latest?.createdMs ? { lastBackupMs: latest.createdMs } : {}), ...drills, ...remotes };
  });
}
