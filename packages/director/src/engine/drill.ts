import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DRILL_ID_RE, FfError, checkBackupId, errorMessage, formatBytes, parseSamplePercent, type Inventory } from '@freezeframe/common';
import { findTarget, withDeployment, type Connected, type Member } from './core/deployment.js';
import type { DrillCheckResult, DrillRecord, DrillSample } from './core/drill-types.js';
import { afterRunMetrics } from './core/metrics.js';
import { asFfError, onNode, runPhase, type Ctx } from './core/phases.js';
import { addTransfer, finishRecord, liveRecord, newRunRecord, readRunRecord, stateDirOf, unusedRunId, writeRunRecord, type RunRecord } from './core/records.js';
import { resolveBackup } from './core/resolve-backup.js';
import { DEFAULT_RETRY, failpointSlow, newHolder, type RetryPolicy } from './core/retry.js';
import { readRunningJob, runningError, takeRunLock } from './core/run-lock.js';
import { withReceiverCause } from './core/receiver-cause.js';
import { holdTargetLock, lockLeaseFor, type HeldLock } from './core/target-lock.js';
import { sendTree } from './core/transfer.js';
import type { EventSink, TransferStats } from './core/types.js';

// `freezeframe drill`: proves a backup restores. The target sends the backup (or a random sample
// of its files) into a scratch folder on the inventory's drill node, which compares every file
// that arrived with the checksums recorded when the backup was tagged; then the folder is removed,
// whatever happened. One run record (kind `drill`) says how it went; `health --nagios` and the
// metrics file read it (docs/reliability.md, "Restore drills").

export interface DrillOptions {
  /** A backup id, or `latest`. */
  backup: string;
  /** Restore and check about this share of the files (0 < p <= 100); overrides the inventory's drill.sample. */
  samplePercent?: number;
  onEvent?: EventSink;
  /** Stops the drill (the transfer is cancelled); the folder is still removed, the record says `incomplete`. */
  signal?: AbortSignal;
  retry?: RetryPolicy;
  /** The sample's seed (default: random, new for each drill; kept in the record). */
  seed?: string;
}

export interface DrillResult {
  /** Every restored file matched the record. */
  ok: boolean;
  /** The drill's run id, `drill_<time>`. */
  id: string;
  backupId: string;
  node: string;
  target: string;
  /** Where the backup was restored on the node (deleted afterwards). */
  folder: string;
  sample?: DrillSample;
  transfer: TransferStats;
  check: DrillCheckResult;
  /** The folder was deleted. */
  removed: boolean;
  durationMs: number;
  record: RunRecord;
  recordFile: string;
  warnings: string[];
}

/** Names kept in the error of a drill that found differences. */
const SHOWN = 10;

/** The share of a drill: `--sample`, else the inventory's `drill.sample`; undefined (and 100) for the whole backup. */
export function drillShare(inv: Pick<Inventory, 'drill'>, samplePercent?: number): number | undefined {
  const p = samplePercent ?? (inv.drill?.sample !== undefined ? parseSamplePercent(inv.drill.sample) : undefined);
  if (p !== undefined && !(p > 0 && p <= 100)) throw new FfError('INVALID_ARGUMENT', `--sample ${p}% must be more than 0% and at most 100%`, { details: { field: '--sample' } });
  return p === undefined || p >= 100 ? undefined : p;
}

/** The check's findings in one line, the first names of each kind. */
export function differencesText(c: DrillCheckResult): string {
  const parts: string[] = [];
  if (c.differentTotal > 0) parts.push(`${c.differentTotal} differ (${c.different.slice(0, SHOWN).join('; ')}${c.differentTotal > SHOWN ? '; ...' : ''})`);
  if (c.missingTotal > 0) parts.push(`${c.missingTotal} missing (${c.missing.slice(0, SHOWN).join(', ')}${c.missingTotal > SHOWN ? ', ...' : ''})`);
  if (c.extraTotal > 0) parts.push(`${c.extraTotal} not in the record (${c.extra.slice(0, SHOWN).join(', ')}${c.extraTotal > SHOWN ? ', ...' : ''})`);
  parts.push(...c.problems);
  return parts.join('; ');
}

/**
 * A drill node's refusal of the folder (its request field `dir`) as the operator knows it: the
 * inventory's `drill.dir`. Other errors pass unchanged.
 */
export function namingDrillDir(e: unknown, dir: string): FfError {
  const err = asFfError(e);
  if (err.details?.field !== 'dir') return err;
  const said = err.node && err.message.startsWith(`${err.node}: `) ? err.message.slice(err.node.length + 2) : err.message;
  return new FfError(err.code, `inventory drill.dir ${dir} refused by ${err.node ?? 'the drill node'}: ${said}`, {
    cause: err,
    ...(err.node ? { node: err.node } : {}),
    ...(err.hint ? { hint: err.hint } : {}),
    details: { ...err.details, field: 'drill.dir' },
  });
}

function drillConfig(inv: Inventory): NonNullable<Inventory['drill']> {
  const cfg = inv.drill;
  if (!cfg) {
    throw new FfError('CONFIG_INVALID', 'the inventory has no drill: section: a drill needs a node and a folder to restore into', {
      hint: 'add `drill: { node: <node>, dir: <folder inside one of its restoreDirs> }` to the inventory (docs/config.md)',
      details: { field: 'drill' },
    });
  }
  if (!inv.nodes.some((n) => n.name === cfg.node)) {
    throw new FfError('CONFIG_INVALID', `inventory drill.node: ${cfg.node} is not one of its nodes (${inv.nodes.map((n) => n.name).join(', ')})`, { details: { field: 'drill.node' } });
  }
  return cfg;
}

/**
 * `freezeframe drill [<id|latest>] [--sample N%]`. Throws when the drill could not run to its
 * end (the record says failed or incomplete); returns with `ok: false` when it ran and found
 * files that differ from the record, are missing or extra (the record says failed).
 */
export async function drill(inv: Inventory, opts: DrillOptions): Promise<DrillResult> {
  if (opts.backup !== 'latest') checkBackupId(opts.backup, 'backup id');
  const cfg = drillConfig(inv);
  const share = drillShare(inv, opts.samplePercent);
  const sample: DrillSample | undefined = share === undefined ? undefined : { percent: share, seed: opts.seed ?? randomBytes(8).toString('hex') };
  const stateDir = stateDirOf(inv);
  const held = readRunningJob(stateDir);
  if (held?.alive) throw runningError(held.job);
  const id = await unusedRunId(stateDir, 'drill');
  const record = newRunRecord('drill', id, opts.backup, inv.deployment);
  const info: DrillRecord = { node: cfg.node, dir: cfg.dir, folder: join(cfg.dir, id, 'restored'), removed: false, ...(sample ? { sample } : {}) };
  record.drill = info;
  const runLock = takeRunLock(stateDir, { kind: 'drill', id }, (old) =>
    opts.onEvent?.({ type: 'warning', message: `the run lock of ${old.kind} ${old.id} (pid ${old.pid}) was stale: its director is gone` }),
  );
  const live = liveRecord(stateDir, record, opts.onEvent);
  try {
    live.sink({ type: 'run', kind: 'drill', id, backupId: opts.backup, deployment: inv.deployment });
    const r = await withDeployment(inv, (d) => drillFlow(d, inv, { ...opts, onEvent: live.sink }, record, info, sample));
    live.stop();
    const recordFile = writeRunRecord(stateDir, record);
    return { ...r, recordFile };
  } catch (e) {
    live.stop();
    const err = asFfError(e);
    if (record.result === 'running') finishRecord(record, err);
    const recordFile = writeRunRecord(stateDir, record);
    throw new FfError(err.code, err.message, {
      cause: err,
      ...(err.node ? { node: err.node } : {}),
      hint: err.hint ?? `the run record: freezeframe show ${id} (${recordFile})`,
      details: { ...(err.details ?? {}), drillId: id, ...(record.interrupted ? { interrupted: record.interrupted } : {}) },
    });
  } finally {
    live.stop();
    runLock.release();
    await afterRunMetrics(inv, opts.onEvent);
  }
}

async function drillFlow(d: Connected, inv: Inventory, opts: DrillOptions, rec: RunRecord, info: DrillRecord, sample: DrillSample | undefined): Promise<Omit<DrillResult, 'recordFile'>> {
  const emit = opts.onEvent ?? (() => {});
  const ctx: Ctx = { record: rec, emit };
  const id = rec.id;
  const warn = (message: string, node?: string) => {
    rec.warnings.push(message);
    emit({ type: 'warning', message, ...(node ? { node } : {}) });
  };
  let during: string | undefined;
  const interrupted = () => {
    if (!opts.signal?.aborted) return;
    rec.interrupted = String(opts.signal.reason);
    during ??= rec.phases.at(-1)?.phase;
    // the message is made once the clean-up ran (below)
    throw new FfError('CANCELLED', `drill ${id} interrupted by ${rec.interrupted}`, { details: { interrupted: rec.interrupted } });
  };
  const node = d.node(info.node);
  let target: Member | undefined;
  let lock: HeldLock | undefined;
  let opened = false;
  let transfer: TransferStats | undefined;
  let check: DrillCheckResult | undefined;
  let failure: FfError | undefined;
  let backupId = rec.backupId;
  try {
    interrupted();
    // ---- preflight: only the target and the drill node are needed; leftovers of earlier drills go
    const dataPort = await runPhase(ctx, 'preflight', async (p) => {
      const found = await findTarget(d.nodes);
      target = found.target;
      rec.versions[target.node.name] = target.desc.version;
      if (target.desc.target) rec.target = { node: target.node.name, freeBytes: target.desc.target.freeBytes };
      for (const w of found.warnings) if (!w.startsWith(`${node.name}:`)) warn(w);
      const desc = await onNode(ctx, p, node.name, () => node.describe());
      rec.versions[node.name] = desc.version;
      const chosen = resolveBackup(await target.node.listBackups(), backupId, target.node.name);
      if (!chosen.complete) throw new FfError('FAILED_PRECONDITION', `backup ${chosen.id} is incomplete and cannot be drilled`, { node: target.node.name });
      backupId = chosen.id;
      rec.backupId = backupId;
      lock = await holdTargetLock(ctx, target, { backupId, leaseMs: lockLeaseFor(inv.freeze.lease), purpose: 'drill', holder: newHolder() });
      // the agent checks drill.dir here first: a folder it refuses stops the drill before the backup is
      // touched; every drill_* folder goes, so this drill's own is made fresh
      const left = await onNode(ctx, p, node.name, () => node.removeDrill({ drillId: '', dir: info.dir, leftovers: true }).catch((e: unknown) => { throw namingDrillDir(e, info.dir); }));
      if (left.length > 0) {
        info.leftoversRemoved = left;
        warn(`${node.name}: removed the folders of earlier drills that did not finish: ${left.join(', ')}`, node.name);
      }
      return desc.dataPort;
    });
    const t = target!;
    // the connected client of the target: it also speaks the drill RPCs
    const sender = d.node(t.node.name);
    interrupted();
    await runPhase(ctx, 'activate', (p) => onNode(ctx, p, t.node.name, () => t.node.activateBackup(backupId), (e) => `${e.length} entries`));
    try {
      interrupted();
      opened = true;
      const moved = await runPhase(ctx, 'restore', (p) =>
        onNode(
          ctx,
          p,
          node.name,
          async () => {
            try {
              return await sendTree({
                direction: 'restore',
                backupId,
                // the drill node's ticket names the drill as its source
                source: id,
                entry: id,
                sender: t.node,
                receiver: { node, desc: { dataPort } },
                open: () => node.openDrill({ drillId: id, dir: info.dir, backupId, peer: t.node.name }).catch((e: unknown) => { throw namingDrillDir(e, info.dir); }),
                send: async (args) => {
                  // the fault suite's slow transfer: the ticket is open and the folder made
                  await failpointSlow('transfer', opts.signal);
                  return sender.drillSource({ ...args, ...(sample ? { sample } : {}) }, { onProgress: (progress) => emit({ type: 'progress', phase: 'restore', node: node.name, progress }), ...(opts.signal ? { signal: opts.signal } : {}) });
                },
                retry: opts.retry ?? DEFAULT_RETRY,
                ...(opts.signal ? { signal: opts.signal } : {}),
                onRetry: (n, e, delay) => warn(`${node.name}: drill transfer failed (${e.message}); retry ${n} in ${delay} ms`, node.name),
              });
            } catch (e) {
              interrupted();
              throw await withReceiverCause(asFfError(e, node.name), node, { backupId, source: id, direction: 'restore' });
            }
          },
          ({ stats }) => `${stats.filesTotal} files, ${formatBytes(stats.bytesTotal)}`,
        ),
      );
      transfer = moved.stats;
      info.transfer = transfer;
      addTransfer(rec, node.name, sample ? `sample of ${sample.percent}%` : 'whole backup', transfer);
      interrupted();
      check = await runPhase(ctx, 'check', (p) =>
        onNode(ctx, p, node.name, () => node.checkDrill({ drillId: id, dir: info.dir, backupId, ...(sample ? { sample } : {}) }), (c) => `${c.filesChecked} of ${c.filesExpected} files checked${c.ok ? ', all match' : ', DIFFERENCES'}`),
      );
      info.check = check;
    } finally {
      try {
        await runPhase(ctx, 'deactivate', (p) => onNode(ctx, p, t.node.name, () => t.node.deactivateBackup(backupId)));
      } catch (e) {
        warn(`could not deactivate backup ${backupId} on ${t.node.name}: ${errorMessage(e)}`, t.node.name);
      }
    }
  } catch (e) {
    failure = asFfError(e);
  } finally {
    // the scratch folder goes on every path, also after a failure or an interruption
    if (opened) {
      try {
        await runPhase(ctx, 'cleanup', (p) => onNode(ctx, p, node.name, () => node.removeDrill({ drillId: id, dir: info.dir })));
        info.removed = true;
      } catch (e) {
        warn(`could not remove ${join(info.dir, id)} on ${node.name} (the next drill removes it): ${errorMessage(e)}`, node.name);
      }
    }
    await lock?.release();
  }
  if (failure?.code === 'CANCELLED' && rec.interrupted) {
    const folder = !opened ? 'nothing was restored yet' : info.removed ? `its folder on ${info.node} was removed` : `its folder on ${info.node} could not be removed (see the warnings)`;
    failure = new FfError('CANCELLED', `drill ${id} of backup ${backupId} interrupted by ${rec.interrupted}${during ? ` during ${during}` : ''}; ${folder}`, {
      cause: failure,
      details: { interrupted: rec.interrupted },
      hint: 'run the drill again',
    });
  }
  if (failure) {
    finishRecord(rec, failure);
    throw failure;
  }
  finishRecord(rec);
  if (!check!.ok) {
    rec.result = 'failed';
    rec.error = {
      code: 'RESTORE_FAILED',
      message: `drill ${id}: backup ${backupId} did not restore as recorded on ${info.node}: ${differencesText(check!)}`,
      node: info.node,
      hint: `the restored backup is not what was recorded when it was tagged: \`freezeframe verify ${backupId}\` checks the target's copy; rely on another backup until this is understood`,
    };
  }
  return {
    ok: check!.ok,
    id,
    backupId,
    node: info.node,
    target: target!.node.name,
    folder: info.folder,
    ...(sample ? { sample } : {}),
    transfer: transfer!,
    check: check!,
    removed: info.removed,
    durationMs: rec.durationMs ?? 0,
    record: rec,
    warnings: rec.warnings,
  };
}

/** What `health --nagios` judges of the drills: the newest finished one and when one last succeeded. */
export interface DrillHistory {
  last?: { id: string; result: RunRecord['result']; endedMs: number };
  lastOkMs?: number;
}

/**
 * The drills recorded in `<stateDir>/runs` for `deployment`, newest first by id (ids sort by
 * time), until the newest finished one and the newest success are known. Records of running
 * drills, of other deployments and damaged files are skipped.
 */
export function drillHistory(stateDir: string, deployment: string): DrillHistory {
  let names: string[];
  try {
    names = readdirSync(join(stateDir, 'runs'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  const ids = names.filter((n) => n.endsWith('.json') && DRILL_ID_RE.test(n.slice(0, -5))).map((n) => n.slice(0, -5)).sort().reverse();
  const h: DrillHistory = {};
  for (const id of ids) {
    let rec: RunRecord | undefined;
    try {
      rec = readRunRecord(stateDir, id);
    } catch {
      continue;
    }
    if (!rec || rec.kind !== 'drill' || rec.deployment !== deployment || rec.result === 'running') continue;
    const endedMs = Date.parse(rec.endedAt ?? rec.startedAt);
    h.last ??= { id, result: rec.result, endedMs };
    if (rec.result === 'ok') {
      h.lastOkMs = endedMs;
      break;
    }
  }
  return h;
}
