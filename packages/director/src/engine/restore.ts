import { CASSANDRA_SYSTEM_KEYSPACES, FfError, KEYSPACE_RE, RESTORE_ID_RE, checkBackupId, checkSourceSelector, errorMessage, nodeOf, formatBytes, type Inventory } from '@freezeframe/common';
import { notNeeded, preflight, withDeployment, type Connected, type Member, type SourceMember } from './core/deployment.js';
import { withOptionalRemote } from './core/remotes.js';
import { asFfError, combineErrors, onNode, runPhase, type Ctx } from './core/phases.js';
import { afterRunMetrics } from './core/metrics.js';
import { addTransfer, finishRecord, liveRecord, newRunRecord, stateDirOf, unusedRunId, writeRunRecord, type RestoreScope, type RunRecord } from './core/records.js';
import { readRunningJob, runningError, takeRunLock } from './core/run-lock.js';
import { withReceiverCause } from './core/receiver-cause.js';
import { resolveBackup } from './core/resolve-backup.js';
import { RECENT_SECONDS, activityWarning } from './core/volume-activity.js';
import { DEFAULT_RETRY, failpoint, failpointSlow, newHolder, type RetryPolicy } from './core/retry.js';
import { holdTargetLock, lockLeaseFor, type HeldLock } from './core/target-lock.js';
import { sendTree } from './core/transfer.js';
import type { AgentNode, EventSink, KeyspaceStep } from './core/types.js';
import { healthOf, type HealthReportRow } from './health.js';
import { backupSources, checkScopeOptions, crossDeployment, namingOption, needFeatures, resolveMap, type MapPair, type ScopeOptions } from './restore-scope.js';
import { startServicesOn, stopServicesOn, type ServicesResult } from './services.js';
import { stabilityOf, type Stability } from './stability.js';

// `freezeframe restore`, one flow on one connection that writes one run record: the stability
// check before, maintenance mode (the restored nodes' services must be down), the transfer from
// the target (lock, verification, activate, one source at a time, deactivate), for Cassandra
// nodes the keyspace restore that puts the staged files in place, and the stability check after
// (docs/design.md, "Restore").

export interface RestoreOptions {
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
  /** `--verify-all`: re-read every file of the backup before restoring, even where the target's file system proves it unchanged (then a sample is read). */
  verifyAll?: boolean;
  /** `--path`: only these subtrees of the one source `only` names; every other file stays as it is. */
  paths?: string[];
  /** `--to-dir`: restore into `<toDir>/<run id>/<entry>` on each node (inside its restoreDirs), not into the live volumes. */
  toDir?: string;
  /** `--map from=to`: backup sources restored onto this inventory's sources of other names. */
  map?: string[];
  /** `--from-deployment`: the deployment that took the backup, when not this inventory's. */
  fromDeployment?: string;
  /** `--from`: read the backup from this remote target (one of replicate.to) instead of the deployment's target. */
  from?: string;
  onEvent?: EventSink;
  onStep?: (node: string, s: KeyspaceStep) => void;
  /** Run id (`restore_<time>`, chosen by the `restore --detach` that started this process) instead of a new one. */
  id?: string;
  /** Stops the restore between sources and cancels the running transfer; the record says `incomplete`. */
  signal?: AbortSignal;
  /** Where this run's output goes when it runs detached: shown by `freezeframe status`. */
  log?: string;
}


export interface RestoreCommandResult extends RestoreResult {
  recordFile: string;
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

/** `--keyspace` names: application keyspaces, each once. */
export function checkKeyspaces(list: readonly string[]): string[] {
  if (list.length === 0) throw new FfError('INVALID_ARGUMENT', '--keyspace names no keyspace');
  for (const k of list) {
    if (!KEYSPACE_RE.test(k)) throw new FfError('INVALID_ARGUMENT', `--keyspace ${JSON.stringify(k)} is not a keyspace name (letters, digits, _)`);
    if (CASSANDRA_SYSTEM_KEYSPACES.includes(k.toLowerCase())) {
      throw new FfError('INVALID_ARGUMENT', `--keyspace ${k} is a system keyspace; freezeframe restores application keyspaces only`);
    }
  }
  if (new Set(list).size !== list.length) throw new FfError('INVALID_ARGUMENT', `--keyspace names a keyspace twice: ${list.join(', ')}`);
  return [...list];
}

/** A restore's run record: the flow adds what it did around the transfer. */
type RestoreRecord = RunRecord & { keyspaces?: Record<string, KeyspaceStep[]>; stability?: unknown; maintenance?: unknown };

const svcList = (r: HealthReportRow) => r.services.filter((s) => s.state === 'running').map((s) => `${s.kind === 'unit' ? '' : 'container '}${s.name}`);

const servicesStayStopped = '\nThe services stay stopped: run `freezeframe start-services` once this is sorted out.';

/**
 * `freezeframe restore <id|latest>`. Refused before anything moves when the deployment is not
 * stable or services run on the nodes to restore (unless --force). With `only`, nodes that do
 * not answer are named in the warnings and left alone, as long as the target answers.
 */
export async function restore(inv: Inventory, opts: RestoreOptions): Promise<RestoreRunResult> {
  // argument errors before any connection or record
  if (opts.backup !== 'latest') checkBackupId(opts.backup, 'backup id');
  for (const n of opts.only ?? []) checkSourceSelector(n, '--only');
  const unknown = (opts.only ?? []).filter((n) => !inv.nodes.some((x) => x.name === nodeOf(n)));
  if (unknown.length > 0) throw new FfError('INVALID_ARGUMENT', `--only ${unknown.join(', ')}: not in the inventory`, { hint: `nodes: ${inv.nodes.map((n) => n.name).join(', ')}` });
  const keyspaces = opts.keyspaces ? checkKeyspaces(opts.keyspaces) : undefined;
  if (keyspaces && opts.stagingOnly) throw new FfError('INVALID_ARGUMENT', '--keyspace and --staging-only exclude each other');
  if (opts.id !== undefined && !RESTORE_ID_RE.test(opts.id)) throw new FfError('INVALID_ARGUMENT', `restore run id ${JSON.stringify(opts.id.slice(0, 60))} is not restore_<yyyymmdd>_<hhmmss>`);
  const scopeArgs = checkScopeOptions({ ...opts, ...(keyspaces ? { keyspaces } : {}) });
  const stateDir = stateDirOf(inv);
  const held = readRunningJob(stateDir);
  if (held?.alive) throw runningError(held.job);
  const record: RestoreRecord = newRunRecord('restore', opts.id ?? (await unusedRunId(stateDir, 'restore')), opts.backup, inv.deployment);
  const runLock = takeRunLock(stateDir, { kind: 'restore', id: record.id, ...(opts.log ? { log: opts.log } : {}) }, (old) =>
    opts.onEvent?.({ type: 'warning', message: `the run lock of ${old.kind} ${old.id} (pid ${old.pid}) was stale: its director is gone` }),
  );
  // the record is on disk from the first phase on (a refusal before it leaves none)
  const live = liveRecord(stateDir, record, opts.onEvent);
  try {
    live.sink({ type: 'run', kind: 'restore', id: record.id, backupId: opts.backup, deployment: inv.deployment });
    if (opts.from !== undefined) record.from = opts.from;
    return await withOptionalRemote(inv, opts.from, '--from', (from) => withDeployment(inv, (d) => restoreFlow(d, inv, { ...opts, onEvent: live.sink }, keyspaces, record, scopeArgs, from)));
  } catch (e) {
    if (record.result === 'running' && record.phases.length > 0) {
      finishRecord(record, asFfError(e));
      writeRunRecord(stateDir, record);
    }
    throw e;
  } finally {
    live.stop();
    runLock.release();
    await afterRunMetrics(inv, opts.onEvent);
  }
}

async function restoreFlow(d: Connected, inv: Inventory, opts: RestoreOptions, keyspaces: string[] | undefined, record: RestoreRecord, scopeArgs: ScopeOptions, from?: Member): Promise<RestoreRunResult> {
  const warnings: string[] = [];
  const warn = (message: string, node?: string) => {
    warnings.push(message);
    opts.onEvent?.({ type: 'warning', message, ...(node ? { node } : {}) });
  };

  // ---- stability before: every agent reachable, nothing frozen, no lock left
  const before = await healthOf(d);
  // with --only, a node that does not answer is not needed, as long as the target answers
  const targetAnswers = from !== undefined || before.nodes.some((r) => r.version !== undefined && r.roles.includes('target'));
  const onlyNodes = opts.only && opts.only.length > 0 ? [...new Set(opts.only.map(nodeOf))] : undefined;
  const absent = onlyNodes && targetAnswers ? before.nodes.filter((r) => r.version === undefined && !onlyNodes.includes(r.node)) : [];
  for (const r of absent) for (const p of r.problems) warn(notNeeded(p), r.node);
  const stableBefore = stabilityOf(before.nodes, { beforeRestore: true, goOnWithout: absent.map((r) => r.node) });
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
  let only = onlyNodes ? [...onlyNodes] : undefined;
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
  // into a folder, nothing is put in place: no keyspace restore
  const cassandraNodes = scopeArgs.toDir ? [] : restoredNodes.filter((n) => cassandra.has(n));
  if (scopeArgs.paths && cassandraNodes.length > 0) {
    throw new FfError('INVALID_ARGUMENT', `--path: ${cassandraNodes.join(', ')} is a Cassandra source, restored by keyspace; nothing was restored`, {
      hint: 'restore keyspaces with --keyspace, or look at a subtree with --path and --to-dir',
      details: { field: '--path' },
    });
  }
  if (keyspaces) {
    const rest = sources.map((r) => r.node).filter((n) => !restoredNodes.includes(n));
    warn(
      `partial restore: keyspaces ${keyspaces.join(', ')} on ${cassandraNodes.join(', ')}; other keyspaces${rest.length ? ` and ${rest.join(', ')}` : ''} keep their current data, so the deployment may be out of sync`,
    );
  }

  // ---- maintenance mode: a full restore needs every node's services down, a partial one the restored
  // nodes'; a restore into a folder (--to-dir) writes no live data and needs none
  const maintenanceNodes = scopeArgs.toDir ? [] : only ? only : before.nodes.map((r) => r.node);
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
  const maintained = d.nodes.filter((n) => maintenanceNodes.includes(n.name));
  if (opts.stopServices) {
    servicesStopped = await stopServicesOn(maintained);
    opts.onEvent?.({ type: 'warning', message: `services stopped for the restore on ${maintenanceNodes.join(', ')}` });
  }

  // ---- the transfer (target lock, verification, activate, data channel, deactivate)
  const stateDir = stateDirOf(inv);
  let r: RestoreResult;
  try {
    r = await restoreSources(
      d.nodes.filter((n) => !absent.some((a) => a.node === n.name)),
      {
        backup: opts.backup,
        record,
        lockLeaseMs: lockLeaseFor(inv.freeze.lease),
        ...(absent.length > 0 ? { absent: absent.map((a) => a.node) } : {}),
        ...(opts.force ? { force: true } : {}),
        ...(opts.verifyAll ? { verifyAll: true } : {}),
        ...scopeArgs,
        deployment: inv.deployment,
        // the sources themselves: a node's volumes, or one of them (`node:volume`)
        ...(opts.only && opts.only.length > 0 ? { only: opts.only } : only ? { only } : {}),
        ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(from ? { from } : {}),
      },
    );
  } catch (e) {
    writeRunRecord(stateDir, record);
    const err = asFfError(e);
    if (!opts.stopServices) throw err;
    throw new FfError(err.code, `${err.message}${servicesStayStopped}`, {
      cause: err,
      ...(err.node ? { node: err.node } : {}),
      ...(err.hint ? { hint: err.hint } : {}),
      ...(err.details ? { details: err.details } : {}),
    });
  }

  // ---- Cassandra nodes: the transfer only staged the files; RestoreKeyspace puts them in place
  const ksSteps: Record<string, KeyspaceStep[]> = {};
  let failure: FfError | undefined;
  if (opts.stagingOnly) {
    if (cassandraNodes.length > 0) warn(`staged only (--staging-only): run \`freezeframe restore-keyspace --node <node> --keyspace <ks> ${r.backupId}\` for ${cassandraNodes.join(', ')}`);
  } else {
    for (const node of cassandraNodes) {
      if (opts.signal?.aborted) {
        record.interrupted = String(opts.signal.reason);
        failure = new FfError('CANCELLED', `restore interrupted by ${record.interrupted} before the keyspaces of ${node} were put in place`, { node, details: { interrupted: record.interrupted } });
        break;
      }
      const steps: KeyspaceStep[] = [];
      ksSteps[node] = steps;
      try {
        await d.node(node).restoreKeyspace(r.backupId, keyspaces ?? [], (s) => {
          steps.push(s);
          opts.onStep?.(node, s);
        });
      } catch (e) {
        failure = asFfError(e, node);
        break;
      }
    }
  }
  if (cassandraNodes.length > 0) record.keyspaces = ksSteps;

  let servicesStarted: ServicesResult | undefined;
  if (!failure && opts.stopServices) {
    try {
      servicesStarted = await startServicesOn(maintained);
    } catch (e) {
      failure = asFfError(e);
    }
  }

  // ---- stability after: reported, never undoing the restore
  const after = stabilityOf((await healthOf(d)).nodes);
  for (const n of after.nodes.filter((x) => !x.ok)) {
    warn(`not stable after the restore: ${n.node}: ${n.problems.join('; ')}`, n.node);
  }
  record.warnings = [...new Set([...record.warnings, ...warnings])];
  record.stability = { before: stableBefore, after };
  record.maintenance = { nodes: maintenanceNodes, stopServices: !!opts.stopServices, servicesRunningBefore: up };
  if (failure) {
    delete record.progress;
    record.result = record.interrupted ? 'incomplete' : 'failed';
    record.error = { code: failure.code, message: failure.message, ...(failure.hint ? { hint: failure.hint } : {}), ...(failure.node ? { node: failure.node } : {}) };
  }
  const recordFile = writeRunRecord(stateDir, record);
  if (failure) {
    const stopped = opts.stopServices && !servicesStarted ? servicesStayStopped : '';
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

export interface RestoreSourcesOptions {
  /** A backup id, or `latest` for the newest complete backup on the target. */
  backup: string;
  /** Source node names to restore; all sources when undefined. */
  only?: string[];
  /** Nodes of the inventory not among `nodes`: they did not answer and, with `only`, are not needed. */
  absent?: string[];
  /** Filled in as the run goes; `backupId` is set once `latest` is resolved. The caller writes it. */
  record: RunRecord;
  onEvent?: EventSink;
  /** Restore even when the backup fails verification against its recorded checksums. */
  force?: boolean;
  /** Re-read every file before restoring, also where a sample would do (see RestoreOptions.verifyAll). */
  verifyAll?: boolean;
  /** Target lock lease (default 90 s); the lock is renewed while the restore runs. */
  lockLeaseMs?: number;
  holder?: string;
  retry?: RetryPolicy;
  /** Cancels the running transfer and stops before the next source; the record says `incomplete`. */
  signal?: AbortSignal;
  /** Only these subtrees (checked: see checkPaths) of the one source selected. */
  paths?: string[];
  /** Into `<toDir>/<record id>/<entry>` on each node instead of its volume (checked: see checkToDir). */
  toDir?: string;
  /** Backup sources restored onto sources of this inventory of other names. */
  map?: MapPair[];
  /** This inventory's deployment: a backup another one took is refused unless `fromDeployment` names it. Unset: no check (restore-keyspace). */
  deployment?: string;
  fromDeployment?: string;
  /** `--from`: the remote target that sends the backup instead of the deployment's target. */
  from?: Member;
}

export interface RestoreResult {
  backupId: string;
  restored: string[];
  record: RunRecord;
  /** How the restore was narrowed or redirected (absent for a plain restore). */
  scope?: RestoreScope;
}

/**
 * The transfer of a restore, on nodes already connected: activate the backup on the target,
 * push each selected source's tree back through its data channel, one source at a time, then
 * deactivate — also when a source fails.
 */
export async function restoreSources(nodes: readonly AgentNode[], opts: RestoreSourcesOptions): Promise<RestoreResult> {
  const rec = opts.record;
  const ctx: Ctx = { record: rec, emit: opts.onEvent ?? (() => {}) };
  const warn = (message: string, node?: string) => {
    rec.warnings.push(message);
    ctx.emit({ type: 'warning', message, ...(node ? { node } : {}) });
  };
  const restored: string[] = [];
  const absent = opts.absent ?? [];
  const scope: RestoreScope = {
    ...(opts.paths ? { paths: opts.paths } : {}),
    ...(opts.toDir ? { toDir: opts.toDir, folders: {} } : {}),
  };
  const hasScope = () => Object.keys(scope).length > 0;
  let failure: FfError | undefined;
  let backupId = opts.backup;
  let lock: HeldLock | undefined;
  const interrupted = () => {
    if (!opts.signal?.aborted) return;
    rec.interrupted = String(opts.signal.reason);
    throw new FfError('CANCELLED', `restore of backup ${backupId} interrupted by ${rec.interrupted}; restored so far: ${restored.join(', ') || 'nothing'}`, {
      hint: 'run the restore again: it starts over',
      details: { interrupted: rec.interrupted, restored: [...restored] },
    });
  };
  try {
    if (backupId !== 'latest') checkBackupId(backupId, 'backup id');
    for (const n of opts.only ?? []) checkSourceSelector(n, '--only');
    interrupted();
    const dep = await preflight(ctx, nodes, { forBackup: false, ...(opts.from ? { target: opts.from } : {}) });
    interrupted();
    const target = dep.target;

    const backups = await target.node.listBackups();
    const chosen = resolveBackup(backups, backupId, target.node.name);
    if (!chosen.complete) throw new FfError('FAILED_PRECONDITION', `backup ${chosen.id} is incomplete and cannot be restored`, { node: target.node.name });
    backupId = chosen.id;
    rec.backupId = backupId;
    // another deployment's backup only when asked for by name, before anything is locked or moved
    const fromDeployment = opts.deployment !== undefined ? crossDeployment(chosen, opts.deployment, opts.fromDeployment) : undefined;
    if (fromDeployment) scope.fromDeployment = fromDeployment;
    if (hasScope()) rec.restoreScope = scope;
    // a rerun of an interrupted restore of the same backup takes over the lock its dead run left
    lock = await holdTargetLock(ctx, target, { backupId, leaseMs: opts.lockLeaseMs ?? 90_000, purpose: 'restore', holder: opts.holder ?? newHolder(), takeover: true });

    let selected: SourceMember[];
    if (opts.only && opts.only.length > 0) {
      const picks = opts.only.map((n) => ({ n, of: dep.sources.filter((s) => s.id === n || (!n.includes(':') && s.node.name === n)) }));
      const unknown = picks.filter((x) => x.of.length === 0).map((x) => x.n);
      if (unknown.length > 0) {
        throw new FfError('INVALID_ARGUMENT', `--only names ${unknown.join(', ')}, which ${unknown.length === 1 ? 'is not a source' : 'are not sources'} in this inventory`, {
          hint: `sources: ${dep.sources.map((s) => s.id).join(', ')}`,
        });
      }
      selected = [...new Set(picks.flatMap((x) => x.of))];
      const rest = dep.sources.filter((s) => !selected.includes(s)).map((s) => s.id);
      if (opts.toDir) {
        // nothing live is written: the others are not left behind
      } else if (absent.length > 0) {
        const left = absent.length === 1 ? `${absent[0]} did not answer and is left as it is` : `${absent.join(', ')} did not answer and are left as they are`;
        warn(`partial restore: ${selected.length} of ${dep.sources.length} reachable sources${rest.length > 0 ? `; ${rest.join(', ')} keep their current data` : ''}; ${left}, so the deployment may not be consistent`);
      } else if (selected.length < dep.sources.length) {
        warn(`partial restore: ${selected.length} of ${dep.sources.length} sources; ${rest.join(', ')} keep their current data, so the deployment may not be consistent`);
      }
    } else {
      selected = dep.sources;
    }
    if (opts.paths && selected.length !== 1) {
      throw new FfError('INVALID_ARGUMENT', `--path needs --only naming exactly one source; ${opts.only?.join(', ') ?? 'the selection'} names ${selected.length}: ${selected.map((s) => s.id).join(', ')}`, {
        hint: `name one volume: --only ${selected[0]?.id ?? '<node>:<volume>'}`,
        details: { field: '--path' },
      });
    }
    // --map: the backup's source each mapped source of this inventory gets; the others get their own entry
    const mapped = opts.map ? resolveMap(opts.map, backupSources(chosen), dep.sources.map((s) => ({ id: s.id, node: s.node.name, entry: s.vol.entry })), backupId) : new Map<string, { name: string; entry: string }>();
    const left = [...mapped.keys()].filter((id) => !selected.some((s) => s.id === id));
    if (left.length > 0) throw new FfError('INVALID_ARGUMENT', `--map names ${left.join(', ')}, which the restore leaves out (--only)`, { details: { field: '--map' } });
    if (mapped.size > 0) scope.map = Object.fromEntries([...mapped].map(([id, b]) => [id, b.name]));
    if (hasScope()) rec.restoreScope = scope;
    const entryOf = (s: SourceMember) => mapped.get(s.id)?.entry ?? s.vol.entry;
    needFeatures(opts, target, selected.map((s) => ({ name: s.node.name, desc: s.desc })));
    if (opts.paths && !opts.toDir) warn(`partial restore of ${selected[0]!.id}: only ${opts.paths.join(', ')}; every other file of it keeps its current data`);

    // an application writing to a volume loses what it writes, and may see files change underneath
    // (--to-dir leaves the live volumes alone)
    const activity = opts.toDir ? [] : await Promise.all(selected.map((s) => s.node.volumeActivity?.(s.vol.entry, RECENT_SECONDS).then((a) => activityWarning(s.id, a), () => undefined)));
    for (const [i, w] of activity.entries()) if (w) warn(w, selected[i]!.node.name);

    const wanted = selected.map(entryOf).filter((e) => chosen.entries.length === 0 || chosen.entries.includes(e));
    await runPhase(ctx, 'verify', (p) =>
      onNode(ctx, p, target.node.name, async () => {
        const v = await target.node.verifyBackup(backupId, wanted, { forRestore: !opts.verifyAll });
        rec.verified = { ok: v.ok, filesChecked: v.filesChecked, bad: v.bad, missing: v.missing, problems: v.problems, ...(v.method ? { method: v.method } : {}) };
        if (v.ok) return v;
        const what = [...v.bad, ...v.missing, ...v.problems];
        const msg = `backup ${backupId} fails verification on ${target.node.name}: ${what.slice(0, 10).join('; ')}${what.length > 10 ? `; and ${what.length - 10} more` : ''}`;
        if (!opts.force) throw new FfError('FAILED_PRECONDITION', msg, { node: target.node.name, hint: 'restore another backup, or pass --force to restore this one anyway', details: { bad: v.bad, missing: v.missing, problems: v.problems } });
        warn(`${msg} (restoring anyway: --force)`, target.node.name);
        return v;
      }, (v) => `${v.method ?? `${v.filesChecked} files checked`}${v.ok ? '' : ', FAILED'}`),
    );

    interrupted();
    const entries = await runPhase(ctx, 'activate', (p) =>
      onNode(ctx, p, target.node.name, () => target.node.activateBackup(backupId), (e) => `${e.length} entries`),
    );
    try {
      const missing = selected.filter((s) => !entries.includes(entryOf(s)));
      if (missing.length > 0) {
        throw new FfError('NOT_FOUND', `backup ${backupId} has no data for ${missing.map((m) => `${m.id} (${entryOf(m)})`).join(', ')}`, {
          hint: fromDeployment
            ? `the backup's sources: ${backupSources(chosen).map((b) => b.name).join(', ')}; map them onto this inventory's with --map <backup source>=<source>`
            : 'a source added after this backup was taken cannot be restored from it; use --only for the others',
        });
      }
      const known = new Set([...dep.sources.map((s) => s.vol.entry), ...[...mapped.values()].map((b) => b.entry)]);
      const orphans = entries.filter((e) => !known.has(e));
      // a node not asked may be the source that claims them; another deployment's backup holds its own nodes
      if (orphans.length > 0 && absent.length === 0 && !fromDeployment) warn(`backup ${backupId} holds entries no source in the inventory claims: ${orphans.join(', ')}`);

      const sizes = new Map(backupSources(chosen).flatMap((b) => (b.bytes ? [[b.entry, b.bytes] as const] : [])));
      await runPhase(ctx, 'restore', async (p) => {
        for (const s of selected) {
          const name = s.id;
          interrupted();
          const entry = entryOf(s);
          const expectedBytes = sizes.get(entry);
          if (opts.toDir) scope.folders![name] = `${opts.toDir}/${rec.id}/${entry}`;
          try {
            const { stats } = await onNode(
              ctx,
              p,
              name,
              () =>
                // the node's rsync must have stored everything (sendTree asks it): a restore that
                // misses a file would otherwise say ok, and --delete-after removes what the backup lacks
                sendTree({
                  direction: 'restore',
                  backupId,
                  source: s.node.name,
                  entry,
                  sender: target.node,
                  receiver: s,
                  // the node writes into its own volume (another node's entry with --map), or into a folder of its restoreDirs
                  open: () =>
                    s.node
                      .openReceive({
                        backupId,
                        source: s.node.name,
                        direction: 'restore',
                        peer: target.node.name,
                        entry,
                        ...(opts.toDir ? { toDir: opts.toDir, restoreId: rec.id } : { intoEntry: s.vol.entry }),
                      })
                      .catch((e: unknown) => {
                        throw namingOption(asFfError(e, s.node.name), opts.toDir);
                      }),
                  send: async (args) => {
                    await failpointSlow('restore', opts.signal);
                    return target.node
                      .restoreSource({ ...args, entry, ...(opts.paths ? { paths: opts.paths } : expectedBytes ? { expectedBytes } : {}) }, { onProgress: (progress) => ctx.emit({ type: 'progress', phase: 'restore', node: name, progress }), ...(opts.signal ? { signal: opts.signal } : {}) })
                      .catch((e: unknown) => {
                        throw namingOption(asFfError(e, target.node.name), opts.toDir);
                      });
                  },
                  retry: opts.retry ?? DEFAULT_RETRY,
                  ...(opts.signal ? { signal: opts.signal } : {}),
                  onRetry: (n, e, d) => warn(`${name}: restore failed (${e.message}); retry ${n} in ${d} ms`, name),
                }),
              ({ stats: st }) => `${st.filesTotal} files, ${formatBytes(st.bytesTotal)}, ${formatBytes(st.bytesTransferred)} sent`,
            );
            if (stats.exitCode !== 0) throw new FfError('RESTORE_FAILED', `${name}: rsync exited with ${stats.exitCode}`, { node: name, details: { exitCode: stats.exitCode } });
            addTransfer(rec, name, entry, stats);
            restored.push(name);
            failpoint('after-restore-source');
          } catch (e) {
            interrupted();
            const err = await withReceiverCause(asFfError(e, name), s.node, { backupId, source: s.node.name, direction: 'restore' });
            // a refused --to-dir or --path is the operator's to fix, said as it is
            if (err.details?.field === '--to-dir' || err.details?.field === '--path') throw err;
            throw combineErrors(`restore of ${name}`, 'RESTORE_FAILED', [{ node: name, error: err }]);
          }
        }
      });
    } finally {
      try {
        await runPhase(ctx, 'deactivate', (p) => onNode(ctx, p, target.node.name, () => target.node.deactivateBackup(backupId)));
      } catch (e) {
        warn(`could not deactivate backup ${backupId} on ${target.node.name}: ${errorMessage(e)}`, target.node.name);
      }
    }
  } catch (e) {
    failure = asFfError(e);
  } finally {
    await lock?.release();
  }
  rec.restored = restored;
  finishRecord(rec, failure);
  if (failure) throw failure;
  return { backupId, restored, record: rec, ...(hasScope() ? { scope } : {}) };
}
