import { FfError, checkBackupId, checkName, type Inventory } from '@freezeframe/common';
import { appNode, type KeyspaceStep } from './app-client.js';
import { healthReport, type HealthReportRow } from './health.js';
import { checkKeyspaces } from './keyspace.js';
import { restore as restoreSources, type RestoreCommandResult } from './operations.js';
import { asFfError } from './phases.js';
import { stateDirOf, writeRunRecord } from './records.js';
import { startServices, stopServices, type ServicesResult } from './services.js';
import type { EventSink } from './types.js';

// `restore` as an operator runs it: maintenance mode (the restored nodes' services must be
// down), a stability check of every agent before and after, the transfer, and for Cassandra
// nodes the keyspace restore that puts the staged files in place.

export interface StabilityRow {
  node: string;
  ok: boolean;
  /** Unreachable, frozen, a target lock left, or the agent's own problems. */
  problems: string[];
  warnings: string[];
}

export interface Stability {
  ok: boolean;
  nodes: StabilityRow[];
}

/** Every agent reachable, nothing frozen, no target lock held, no problem reported (an application down only warns). */
export function stabilityOf(rows: readonly HealthReportRow[], opts: { beforeRestore?: boolean } = {}): Stability {
  const nodes = rows.map((r): StabilityRow => {
    const warnings = [...r.warnings];
    // an application that does not answer is what a restore fixes, not a reason to refuse one
    const appDown = new Set(r.checks.filter((c) => !c.ok && c.application).map((c) => c.detail));
    const own = (p: string) => (p.startsWith(`${r.node}: `) ? p.slice(r.node.length + 2) : p);
    const problems = r.problems.filter((p) => !appDown.has(p)).map(own);
    if (r.version !== undefined) {
      if (r.frozen.length > 0) problems.push(`frozen by ${r.frozen.join(', ')}`);
      const lock = `target locked by ${r.targetLockPurpose ?? 'a run'} ${r.targetLockedBy}`;
      // a restore that died left its lock: the rerun takes it over (another backup's restore is refused by the lock itself)
      if (r.targetLockedBy && opts.beforeRestore && r.targetLockPurpose === 'restore') warnings.push(`${lock} (a rerun of that restore takes it over)`);
      else if (r.targetLockedBy) problems.push(lock);
    }
    return { node: r.node, ok: r.version !== undefined && problems.length === 0, problems, warnings: [...warnings, ...r.problems.filter((p) => appDown.has(p))].map(own) };
  });
  return { ok: nodes.every((n) => n.ok), nodes };
}

export interface RestoreRunOptions {
  backup: string;
  /** Source nodes to restore; all sources when undefined (with `keyspaces`: all Cassandra sources). */
  only?: string[];
  /** Cassandra nodes: restore only these keyspaces (default: every keyspace in the backup). */
  keyspaces?: string[];
  /** Cassandra nodes: only stage the backup; `restore-keyspace` puts it in place later. */
  stagingOnly?: boolean;
  /** Stop the services first, start them after a successful restore. */
  stopServices?: boolean;
  /** Restore although services run, the stability check failed, or the backup fails verification. */
  force?: boolean;
  onEvent?: EventSink;
  onStep?: (node: string, s: KeyspaceStep) => void;
}

export interface RestoreRunResult extends RestoreCommandResult {
  stability: { before: Stability; after?: Stability };
  /** Cassandra nodes whose keyspaces were put in place, with the agent's steps. */
  keyspaces: Record<string, KeyspaceStep[]>;
  /** Nodes whose services had to be down (every node for a full restore; the restored ones with --only). */
  maintenanceNodes: string[];
  servicesStopped?: ServicesResult;
  servicesStarted?: ServicesResult;
  warnings: string[];
}

const svcList = (r: HealthReportRow) => r.services.filter((s) => s.state === 'running').map((s) => `${s.kind === 'unit' ? '' : 'container '}${s.name}`);

export async function restoreRun(inv: Inventory, opts: RestoreRunOptions): Promise<RestoreRunResult> {
  if (opts.backup !== 'latest') checkBackupId(opts.backup, 'backup id');
  for (const n of opts.only ?? []) checkName(n, '--only');
  const unknown = (opts.only ?? []).filter((n) => !inv.nodes.some((x) => x.name === n));
  if (unknown.length > 0) throw new FfError('INVALID_ARGUMENT', `--only ${unknown.join(', ')}: not in the inventory`, { hint: `nodes: ${inv.nodes.map((n) => n.name).join(', ')}` });
  const keyspaces = opts.keyspaces ? checkKeyspaces(opts.keyspaces) : undefined;
  if (keyspaces && opts.stagingOnly) throw new FfError('INVALID_ARGUMENT', '--keyspace and --staging-only exclude each other');
  const warnings: string[] = [];
  const warn = (message: string, node?: string) => {
    warnings.push(message);
    opts.onEvent?.({ type: 'warning', message, ...(node ? { node } : {}) });
  };

  // ---- stability before: every agent reachable, nothing frozen, no lock left
  const before = await healthReport(inv);
  const stableBefore = stabilityOf(before.nodes, { beforeRestore: true });
  if (!stableBefore.ok) {
    const what = stableBefore.nodes.filter((n) => !n.ok).map((n) => `${n.node}: ${n.problems.join('; ')}`);
    if (!opts.force) {
      throw new FfError('FAILED_PRECONDITION', `the deployment is not stable; nothing was restored:\n  ${what.join('\n  ')}`, {
        hint: 'run `freezeframe health`; wait for a running backup, `freezeframe unpause`, or pass --force',
        details: { stability: stableBefore },
      });
    }
    for (const w of what) warn(`not stable before the restore (restoring anyway: --force): ${w}`);
  }

  // ---- what is restored
  const sources = before.nodes.filter((r) => r.sourceKind !== undefined);
  const cassandra = new Set(sources.filter((r) => r.sourceKind === 'cassandra').map((r) => r.node));
  let only = opts.only && opts.only.length > 0 ? [...opts.only] : undefined;
  if (keyspaces) {
    if (!only) only = [...cassandra];
    const notCassandra = only.filter((n) => !cassandra.has(n));
    if (only.length === 0 || notCassandra.length === only.length) {
      throw new FfError('INVALID_ARGUMENT', `--keyspace applies to Cassandra sources, and ${only.length === 0 ? 'this inventory has none' : `${notCassandra.join(', ')} ${notCassandra.length === 1 ? 'is' : 'are'} not one`}`, {
        hint: cassandra.size > 0 ? `Cassandra sources: ${[...cassandra].join(', ')}` : 'drop --keyspace',
      });
    }
  }
  const restoredNodes = only ?? sources.map((r) => r.node);
  const cassandraNodes = restoredNodes.filter((n) => cassandra.has(n));
  if (keyspaces) {
    const rest = sources.map((r) => r.node).filter((n) => !restoredNodes.includes(n));
    warn(
      `partial restore: keyspaces ${keyspaces.join(', ')} on ${cassandraNodes.join(', ')}; other keyspaces${rest.length ? ` and ${rest.join(', ')}` : ''} keep their current data, so the deployment may be out of sync`,
    );
  }

  // ---- maintenance mode: a full restore needs every node's services down, a partial one the restored nodes'
  const maintenanceNodes = only ? only : before.nodes.map((r) => r.node);
  const up = before.nodes.filter((r) => maintenanceNodes.includes(r.node)).flatMap((r) => (svcList(r).length > 0 ? [`${r.node}: ${svcList(r).join(', ')}`] : []));
  let servicesStopped: ServicesResult | undefined;
  if (up.length > 0 && !opts.stopServices) {
    if (!opts.force) {
      throw new FfError('FAILED_PRECONDITION', `services are running on the nodes to restore; nothing was restored:\n  ${up.join('\n  ')}`, {
        hint: 'pass --stop-services (stopped now, started again after the restore), run `freezeframe stop-services` first, or pass --force to restore under running services',
        details: { running: up },
      });
    }
    for (const u of up) warn(`restoring while services run (--force): ${u}`);
  }
  if (opts.stopServices) {
    servicesStopped = await stopServices(inv, { only: maintenanceNodes });
    opts.onEvent?.({ type: 'warning', message: `services stopped for the restore on ${maintenanceNodes.join(', ')}` });
  }

  // ---- the transfer (target lock, verification, activate, data channel, deactivate)
  let r: RestoreCommandResult;
  try {
    r = await restoreSources(inv, {
      backup: opts.backup,
      ...(only ? { only } : {}),
      ...(opts.force ? { force: true } : {}),
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    });
  } catch (e) {
    const err = asFfError(e);
    if (!opts.stopServices) throw err;
    throw new FfError(err.code, `${err.message}\nThe services stay stopped: run \`freezeframe start-services\` once this is sorted out.`, {
      cause: err,
      ...(err.node ? { node: err.node } : {}),
      ...(err.hint ? { hint: err.hint } : {}),
      ...(err.details ? { details: err.details } : {}),
    });
  }
  const record = r.record as typeof r.record & { keyspaces?: Record<string, KeyspaceStep[]>; stability?: unknown; maintenance?: unknown };

  // ---- Cassandra nodes: the transfer only staged the files; RestoreKeyspace puts them in place
  const ksSteps: Record<string, KeyspaceStep[]> = {};
  let failure: FfError | undefined;
  if (opts.stagingOnly) {
    if (cassandraNodes.length > 0) warn(`staged only (--staging-only): run \`freezeframe restore-keyspace --node <node> --keyspace <ks> ${r.backupId}\` for ${cassandraNodes.join(', ')}`);
  } else {
    for (const node of cassandraNodes) {
      const inNode = inv.nodes.find((n) => n.name === node)!;
      const app = appNode(inNode, inv.tls);
      ksSteps[node] = [];
      try {
        await app.restoreKeyspace(r.backupId, keyspaces ?? [], (s) => {
          ksSteps[node]!.push(s);
          opts.onStep?.(node, s);
        });
      } catch (e) {
        failure = asFfError(e, node);
        break;
      } finally {
        app.close();
      }
    }
  }
  if (cassandraNodes.length > 0) record.keyspaces = ksSteps;

  let servicesStarted: ServicesResult | undefined;
  if (!failure && opts.stopServices) {
    try {
      servicesStarted = await startServices(inv, { only: maintenanceNodes });
    } catch (e) {
      failure = asFfError(e);
    }
  }

  // ---- stability after: reported, never undoing the restore
  const after = stabilityOf((await healthReport(inv)).nodes);
  for (const n of after.nodes.filter((x) => !x.ok)) {
    warn(`not stable after the restore: ${n.node}: ${n.problems.join('; ')}`, n.node);
  }
  record.warnings = [...new Set([...record.warnings, ...warnings])];
  record.stability = { before: stableBefore, after };
  record.maintenance = { nodes: maintenanceNodes, stopServices: !!opts.stopServices, servicesRunningBefore: up };
  if (failure) {
    record.result = 'failed';
    record.error = { code: failure.code, message: failure.message, ...(failure.hint ? { hint: failure.hint } : {}), ...(failure.node ? { node: failure.node } : {}) };
  }
  const recordFile = writeRunRecord(stateDirOf(inv), record);
  if (failure) {
    const stopped = opts.stopServices && !servicesStarted ? '\nThe services stay stopped: run `freezeframe start-services` once this is sorted out.' : '';
    throw new FfError(failure.code, `${failure.message}${stopped}`, {
      cause: failure,
      ...(failure.node ? { node: failure.node } : {}),
      hint: failure.hint ?? `the run record: freezeframe show ${record.id}`,
      details: { ...(failure.details ?? {}), keyspaceSteps: ksSteps },
    });
  }
  return {
    ...r,
    recordFile,
    stability: { before: stableBefore, after },
    keyspaces: ksSteps,
    maintenanceNodes,
    ...(servicesStopped ? { servicesStopped } : {}),
    ...(servicesStarted ? { servicesStarted } : {}),
    warnings: record.warnings,
  };
}
