import pLimit from 'p-limit';
import { FfError, VERSION, checkBackupId, errorMessage, formatBytes, newBackupId, type Inventory, type LeaveOutClass } from '@freezeframe/common';
import { preflight, withDeployment, type Deployment, type Member, type SourceMember } from './core/deployment.js';
import { FAN_OUT, asFfError, combineErrors, onEveryNode, onNode, runPhase, type Ctx } from './core/phases.js';
import { afterRunMetrics } from './core/metrics.js';
import { mergeNotHeld, type NotHeld } from './core/receiver-verdict.js';
import { mustCompareLeftOut } from './core/left-out.js';
import { addTransfer, finishRecord, liveRecord, newRunRecord, readRunRecord, stateDirOf, writeRunRecord, type PhaseRecord, type RunRecord } from './core/records.js';
import { readRunningJob, runningError, takeRunLock } from './core/run-lock.js';
import { withReceiverCause } from './core/receiver-cause.js';
import { pruneBackups, type RetentionPolicy } from './core/retention.js';
import { replicateAfterBackup } from './replicate.js';
import { DEFAULT_RETRY, failpoint, failpointSlow, newHolder, type RetryPolicy } from './core/retry.js';
import { holdTargetLock, lockLeaseFor, type HeldLock } from './core/target-lock.js';
import { sendTree } from './core/transfer.js';
import type { AgentNode, BackupListing, EventSink, FreezeResult, ThawResult, TransferStats } from './core/types.js';

// `freezeframe backup`: one consistent backup of the whole deployment, phase by phase
// (docs/design.md, "Backup, phase by phase").

export interface BackupOptions {
  deployment: string;
  backupId: string;
  /** Lease armed on every freeze host; the agent thaws by itself if neither thaw nor renewal arrives. */
  leaseMs: number;
  /** Transfers running at once (inventory `transfer.concurrency`). */
  concurrency: number;
  directorVersion: string;
  /** Filled in as the run goes; the caller writes it whatever the outcome. */
  record: RunRecord;
  onEvent?: EventSink;
  /** How often a held freeze is renewed; default leaseMs / 3. */
  renewEveryMs?: number;
  /** Finish an interrupted backup of the same id: rsync reuses what already arrived; an already tagged id is not tagged again. */
  resume?: boolean;
  /** This run's identity for the target lock (default: host:pid:random). */
  holder?: string;
  /** Target lock lease (default: 3 x leaseMs, at least 5 s). */
  lockLeaseMs?: number;
  /** Retries of transient failures (UNAVAILABLE, rsync timeouts). */
  retry?: RetryPolicy;
  /** Phase 8: after a successful tag and release, prune the target's backups by this policy (inventory `retention`); none when absent. */
  retention?: RetentionPolicy;
  /** Compare every file by content (rsync --checksum), not by size and mtime: `backup --deep`. */
  deep?: boolean;
  /**
   * Stops the run cleanly when aborted (the reason, e.g. `SIGINT`, is recorded): transfers are
   * cancelled, every host thawed, snapshots released, the target unlocked, and the record says
   * `incomplete`. Once the tag began the run finishes instead: the backup is complete.
   */
  signal?: AbortSignal;
}

export interface BackupResult {
  backupId: string;
  snapshot: string;
  record: RunRecord;
}

export interface BackupCommandResult extends BackupResult {
  recordFile: string;
}

export interface BackupCommandOptions {
  label?: string;
  onEvent?: EventSink;
  now?: Date;
  resume?: string;
  /** Use this id (chosen by the `backup --detach` that started this process) instead of a new one. */
  id?: string;
  /** Stops the run cleanly (see BackupOptions.signal). */
  signal?: AbortSignal;
  /** Where this run's output goes when it runs detached: shown by `freezeframe status`. */
  log?: string;
  /** See BackupOptions.deep. */
  deep?: boolean;
}

/**
 * `freezeframe backup [--label L] [--resume ID]`: a new backup id (or the interrupted one), the
 * run on one connection, and its run record written whatever the outcome: while running too
 * (`result: running` with `progress`, for `freezeframe status`). Refused at once, naming it,
 * while another backup or restore of this director runs (the run lock in the state folder).
 */
export async function backup(inv: Inventory, opts: BackupCommandOptions = {}): Promise<BackupCommandResult> {
  const stateDir = stateDirOf(inv);
  if (opts.resume) {
    checkBackupId(opts.resume, '--resume');
    const prev = readRunRecord(stateDir, opts.resume);
    if (prev && prev.kind === 'backup' && prev.result === 'ok') {
      throw new FfError('FAILED_PRECONDITION', `backup ${opts.resume} completed already (its record says ok); nothing to resume`, { hint: `freezeframe show ${opts.resume}` });
    }
  }
  if (opts.id) checkBackupId(opts.id, 'backup id');
  const held = readRunningJob(stateDir);
  if (held?.alive) throw runningError(held.job);
  const backupId = opts.resume ?? opts.id ?? (await unusedBackupId(stateDir, opts.now ?? new Date(), opts.label));
  const record = newRunRecord('backup', backupId, backupId, inv.deployment);
  const emit = opts.onEvent;
  const runLock = takeRunLock(stateDir, { kind: 'backup', id: backupId, ...(opts.log ? { log: opts.log } : {}) }, (old) =>
    emit?.({ type: 'warning', message: `the run lock of ${old.kind} ${old.id} (pid ${old.pid}) was stale: its director is gone` }),
  );
  const live = liveRecord(stateDir, record, emit);
  try {
    live.sink({ type: 'run', kind: 'backup', id: backupId, backupId, deployment: inv.deployment });
    live.flush();
    const r = await withDeployment(inv, ({ nodes }) =>
      runBackup(nodes, {
        deployment: inv.deployment,
        backupId,
        leaseMs: inv.freeze.lease,
        concurrency: inv.transfer.concurrency,
        directorVersion: VERSION,
        record,
        retention: inv.retention,
        onEvent: live.sink,
        ...(opts.resume ? { resume: true } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.deep ? { deep: true } : {}),
      }),
    );
    // the backup is tagged and stands: a replication failure only warns (replicate: { after: backup })
    if (inv.replicate?.after === 'backup' && !opts.signal?.aborted) await replicateAfterBackup(inv, r.record, live.sink, opts.signal);
    live.stop();
    return { ...r, recordFile: writeRunRecord(stateDir, r.record) };
  } catch (e) {
    live.stop();
    if (record.result === 'running') finishRecord(record, asFfError(e));
    writeRunRecord(stateDir, record);
    throw withRecordHint(asFfError(e), backupId);
  } finally {
    runLock.release();
    await afterRunMetrics(inv, emit);
  }
}

/**
 * A backup id no earlier run of this director used: ids name seconds, and a second backup
 * started in the same second as the last one waits for the next (the target refuses an id it
 * already holds, before anything is paused, for runs of other directors).
 */
export async function unusedBackupId(stateDir: string, now: Date, label?: string): Promise<string> {
  let id = newBackupId(now, label);
  while (readRunRecord(stateDir, id)) {
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
    id = newBackupId(new Date(), label);
  }
  return id;
}

function withRecordHint(e: FfError, id: string): FfError {
  if (e.hint) return e;
  return new FfError(e.code, e.message, { cause: e.cause, ...(e.node ? { node: e.node } : {}), ...(e.details ? { details: e.details } : {}), hint: `the run record: freezeframe show ${id}` });
}

/** The backup `opts` describes, on nodes already connected (see BackupRun). */
export function runBackup(nodes: readonly AgentNode[], opts: BackupOptions): Promise<BackupResult> {
  return new BackupRun(nodes, opts).run();
}

/**
 * The control plane of a backup alone, for the scale benchmark: the phases up to thaw (preflight,
 * target lock, freeze, snapshot, thaw), then the usual clean-up (snapshots released, target
 * unlocked). Nothing is sent or tagged; the record's phases say what each took.
 */
export function runBackupUntilThaw(nodes: readonly AgentNode[], opts: BackupOptions): Promise<BackupResult> {
  return new BackupRun(nodes, opts).run('thaw');
}

/** What one source's transfer sent, over both passes. */
interface SentSource {
  stats: TransferStats;
  rechecked: number;
  notHeld?: NotHeld;
  /** What the source's `leaveOut` left uncompared in this backup (see left-out.ts). */
  leftOut?: LeaveOutClass[];
}

/** Agents that record and compare the sender's checksums (SentChecksums, AddSentChecksums). */
const FIDELITY_FEATURE = 'sent-checksums';

/** Both ends can: the sender records (its rsync then passes --log-format=%i, which older receivers refuse) and the target compares. */
const fidelityBetween = (source: SourceMember, target: Member) =>
  [source, target].every((x) => (x.desc.features ?? []).includes(FIDELITY_FEATURE)) && !!source.node.sentChecksums && !!target.node.addSentChecksums;

/**
 * One backup run: one method per phase, and the state the phases leave for the clean-up.
 * Whatever fails, every freeze host is thawed and every snapshot taken is removed before run()
 * rejects, and nothing is tagged: the error names the node and the cause.
 */
export class BackupRun {
  private readonly backupId: string;
  private readonly rec: RunRecord;
  private readonly ctx: Ctx;
  private readonly retry: RetryPolicy;
  private dep: Deployment | undefined;
  private lock: HeldLock | undefined;
  /** The target's tagged backups before this run: each source is compared with the newest holding it. */
  private tagged: BackupListing[] = [];
  /** Each source's entry (by source id), as its snapshot named it. */
  private readonly entries = new Map<string, string>();
  /** Sources whose sender's list reached the target (checked at the tag). */
  private readonly relayed = new Set<string>();
  private readonly freezeAttempted: Member[] = [];
  private readonly pauses: FreezeResult[] = [];
  private thawed = false;
  /** A `dir` source has no snapshot: its data is only consistent while the freeze holds, so it is held through the transfers. */
  private holdFreeze = false;
  private renewTimer: NodeJS.Timeout | undefined;
  private renewalError: FfError | undefined;
  private readonly snapshotAttempted: SourceMember[] = [];
  private readonly transfersAbort = new AbortController();
  private transferStarted = false;
  private snapshot = '';
  private failure: FfError | undefined;
  /** The phase an interruption stopped. */
  private interruptedDuring: string | undefined;
  /** Set once the tag began: from then on an interruption lets the run finish. */
  private tagging = false;
  /** Between the first pause and the thaw (see pauseWindow). */
  private windowOpen = false;
  private readonly onAbort = () => {
    if (!this.tagging) this.transfersAbort.abort(this.opts.signal?.reason);
  };

  constructor(
    private readonly nodes: readonly AgentNode[],
    private readonly opts: BackupOptions,
  ) {
    this.backupId = checkBackupId(opts.backupId);
    this.rec = opts.record;
    this.ctx = { record: this.rec, emit: opts.onEvent ?? (() => {}) };
    this.retry = opts.retry ?? DEFAULT_RETRY;
  }

  /** `until: 'thaw'` stops after the thaw (runBackupUntilThaw). */
  async run(until?: 'thaw'): Promise<BackupResult> {
    if (this.opts.resume) this.rec.resumed = true;
    if (this.opts.deep) this.rec.deep = { contentOnly: 0 };
    const signal = this.opts.signal;
    signal?.addEventListener('abort', this.onAbort, { once: true });
    try {
      this.checkInterrupted();
      const dep = await this.preflight();
      this.checkInterrupted();
      await this.lockTarget(dep);
      if (await this.taggedAlready(dep)) return await this.cleanUpAndFinish();
      await this.removeLeftovers(dep);
      this.checkInterrupted();
      await this.freeze(dep);
      this.checkInterrupted();
      await this.takeSnapshots(dep);
      this.checkInterrupted();
      await this.holdOrThaw(dep);
      this.pauseWindow(false);
      if (until !== 'thaw') {
        await this.transfer(dep);
        this.checkInterrupted();
        await this.endHeldFreeze(dep);
        this.checkInterrupted();
        await this.tag(dep);
      }
    } catch (e) {
      // a transfer cancelled by the interruption failed because of it: the interruption is the cause
      this.failure = this.interruption() ?? asFfError(e);
    } finally {
      signal?.removeEventListener('abort', this.onAbort);
      this.pauseWindow(false);
    }
    return this.cleanUpAndFinish();
  }

  /** Tells the listeners when applications are (about to be) paused until the thaw: see the `pause-window` event. */
  private pauseWindow(open: boolean): void {
    if (open === this.windowOpen) return;
    this.windowOpen = open;
    this.ctx.emit({ type: 'pause-window', open });
  }

  /** The error of an interrupted run (signal aborted before the tag began), else undefined. */
  private interruption(): FfError | undefined {
    const signal = this.opts.signal;
    if (!signal?.aborted || this.tagging) return undefined;
    const reason = typeof signal.reason === 'string' ? signal.reason : 'an abort';
    if (!this.rec.interrupted) {
      this.rec.interrupted = reason;
      this.interruptedDuring = this.rec.phases.at(-1)?.phase;
    }
    return new FfError('CANCELLED', `backup ${this.backupId} interrupted by ${reason}`);
  }

  private checkInterrupted(): void {
    const e = this.interruption();
    if (e) throw e;
  }

  private warn(message: string, node?: string): void {
    this.rec.warnings.push(message);
    this.ctx.emit({ type: 'warning', message, ...(node ? { node } : {}) });
  }

  private async preflight(): Promise<Deployment> {
    this.dep = await preflight(this.ctx, this.nodes, { forBackup: true, ...(this.opts.resume ? { resumeOf: this.backupId } : {}) });
    return this.dep;
  }

  private async lockTarget(dep: Deployment): Promise<void> {
    this.lock = await holdTargetLock(this.ctx, dep.target, {
      backupId: this.backupId,
      leaseMs: this.opts.lockLeaseMs ?? lockLeaseFor(this.opts.leaseMs),
      purpose: 'backup',
      holder: this.opts.holder ?? newHolder(),
      takeover: !!this.opts.resume,
    });
  }

  /** True when a resumed backup was tagged already: the director may have died after the tag but before its record, and a backup is tagged exactly once. */
  private async taggedAlready(dep: Deployment): Promise<boolean> {
    const target = dep.target.node.name;
    this.tagged = await dep.target.node.listBackups();
    const existing = this.tagged.find((b) => b.id === this.backupId);
    if (!existing) return false;
    if (!this.opts.resume) {
      throw new FfError('ALREADY_EXISTS', `a backup named ${this.backupId} is already tagged on ${target}; nothing was paused`, {
        node: target,
        hint: 'start the backup again: it gets a new id',
      });
    }
    this.rec.alreadyTagged = true;
    this.rec.snapshot = `${this.backupId} (tagged by the interrupted run)`;
    this.snapshot = this.rec.snapshot;
    this.warn(`backup ${this.backupId} was already tagged on ${target}; nothing to resume`);
    return true;
  }

  /** Not a phase of its own: leftovers are rare, and their removal is reported as warnings. */
  private async removeLeftovers(dep: Deployment): Promise<void> {
    const limit = pLimit(FAN_OUT);
    const results = await Promise.allSettled(dep.members.map((m) => limit(() => m.node.cleanup([this.backupId]))));
    const removed: string[] = [];
    results.forEach((r, i) => {
      const name = dep.members[i]!.node.name;
      if (r.status === 'fulfilled') {
        removed.push(...r.value.removed.map((x) => `${name}: ${x}`));
        for (const pr of r.value.problems) this.rec.warnings.push(`cleanup on ${name}: ${pr}`);
      } else {
        this.rec.warnings.push(`cleanup on ${name} failed: ${asFfError(r.reason, name).message}`);
      }
    });
    if (removed.length > 0) {
      this.rec.cleanedUp = removed;
      this.ctx.emit({ type: 'warning', message: `removed leftovers of earlier runs: ${removed.join(', ')}` });
    }
  }

  private async freeze(dep: Deployment): Promise<void> {
    this.holdFreeze = dep.sources.some((s) => !s.vol.pointInTime) && dep.freezeHosts.length > 0;
    if (dep.freezeHosts.length === 0) return;
    await runPhase(this.ctx, 'freeze', (p) => {
      this.pauseWindow(true);
      return onEveryNode(dep.freezeHosts, 'freeze', 'FREEZE_FAILED', async (m) => {
        this.freezeAttempted.push(m);
        const r = await onNode(this.ctx, p, m.node.name, () => m.node.freeze(this.backupId, this.opts.leaseMs), (r) => (r.frozen.length ? `paused ${r.frozen.join(', ')}` : ''));
        this.pauses.push(r);
        return r;
      });
    });
    failpoint('after-freeze');
  }

  private async takeSnapshots(dep: Deployment): Promise<void> {
    await runPhase(this.ctx, 'snapshot', (p) => {
      this.pauseWindow(true);
      return onEveryNode(dep.sources, 'snapshot', 'SNAPSHOT_FAILED', async (m) => {
        this.snapshotAttempted.push(m);
        const r = await onNode(this.ctx, p, m.id, () => m.node.prepareSnapshot(this.backupId, m.vol.entry), (r) => r.entry);
        this.entries.set(m.id, r.entry || m.vol.entry);
        return r;
      });
    });
  }

  /** With every source point-in-time the freeze ends here; otherwise it is renewed until the transfers end. */
  private async holdOrThaw(dep: Deployment): Promise<void> {
    if (!this.holdFreeze) {
      if (this.freezeAttempted.length > 0) await this.thawAll(this.freezeAttempted);
      return;
    }
    const held = dep.sources.filter((s) => !s.vol.pointInTime).map((s) => `${s.id} (${s.vol.kind})`);
    this.warn(`freeze held through the transfers: ${held.join(', ')} cannot snapshot`);
    let renewing = false;
    this.renewTimer = setInterval(() => {
      if (renewing || this.renewalError) return;
      renewing = true;
      this.renewFreeze(dep)
        .catch((e: unknown) => {
          this.renewalError = asFfError(e);
          this.transfersAbort.abort();
        })
        .finally(() => {
          renewing = false;
        });
    }, this.opts.renewEveryMs ?? Math.max(50, Math.floor(this.opts.leaseMs / 3)));
  }

  private renewFreeze(dep: Deployment): Promise<FreezeResult[]> {
    return onEveryNode(dep.freezeHosts, 'freeze renewal', 'FREEZE_FAILED', (m) => m.node.freeze(this.backupId, this.opts.leaseMs));
  }

  private stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  private async transfer(dep: Deployment): Promise<void> {
    const { sources, target } = dep;
    this.transferStarted = true;
    await runPhase(this.ctx, 'transfer', async (p) => {
      const limit = pLimit(Math.max(1, this.opts.concurrency));
      const settled = await Promise.allSettled(sources.map((m) => limit(() => this.transferSource(p, m, target))));
      const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ node: sources[i]!.id, error: asFfError(s.reason, sources[i]!.id) }] : []));
      // a transfer cancelled because another one failed is not a cause worth reporting
      const causes = failures.filter((f) => f.error.code !== 'CANCELLED');
      if (this.renewalError) throw this.renewalError;
      if (failures.length > 0) throw combineErrors('transfer', 'TRANSFER_FAILED', causes.length > 0 ? causes : failures);
    });
  }

  private async transferSource(p: PhaseRecord, m: SourceMember, target: Member): Promise<void> {
    const name = m.id;
    if (this.transfersAbort.signal.aborted) throw new FfError('CANCELLED', `${name}: not started because another step failed`, { node: name });
    const entry = this.entries.get(name) ?? m.vol.entry;
    try {
      const sent = await onNode(
        this.ctx,
        p,
        name,
        () => this.sendSource(m, target, entry),
        (s) =>
          `${s.stats.filesTotal} files, ${formatBytes(s.stats.bytesTotal)}, ${formatBytes(s.stats.bytesTransferred)} sent` +
          `${s.rechecked ? `, ${s.rechecked} rechecked by content` : ''}${s.notHeld ? `, ${s.notHeld.total} not held (allowed)` : ''}` +
          `${s.leftOut ? `, ${s.leftOut.join(' and ')} left out` : ''}`,
      );
      const stats = sent.stats;
      if (stats.exitCode !== 0) throw new FfError('TRANSFER_FAILED', `${name}: rsync exited with ${stats.exitCode}`, { node: name, details: { exitCode: stats.exitCode } });
      if (sent.notHeld) {
        const classes = Object.entries(sent.notHeld.classes).map(([k, v]) => `${v} ${k}`).join(', ');
        this.warn(`${name}: ${target.node.name} does not hold ${classes} of this source (allowed by its target.unsupported)`, name);
      }
      if (this.rec.deep) this.rec.deep.contentOnly += stats.contentOnly ?? 0;
      if (stats.leftOutDiffered) {
        // the volume carries what its leaveOut says it does not: backups since the setting may lack it
        const classes = m.vol.leaveOut ?? [];
        this.warn(
          `${name}: ${stats.leftOutDiffered} files or folders had ${classes.join(' or ')} unlike the stored copy, which leaveOut (${classes.join(', ')}) says this volume does not carry; this backup holds them as they are, later ones without a comparison will not see changes to them`,
          name,
        );
      }
      await this.relaySentChecksums(m, target, entry);
      addTransfer(this.rec, name, entry, stats, { rechecked: sent.rechecked, ...(sent.notHeld ? { notHeld: sent.notHeld } : {}), ...(sent.leftOut ? { leftOut: sent.leftOut } : {}) });
    } catch (e) {
      this.transfersAbort.abort();
      throw await withReceiverCause(asFfError(e, name), target.node, { backupId: this.backupId, source: m.node.name, direction: 'backup', checkTargetSpace: true });
    }
  }

  /**
   * One source's transfer: rsync's ordinary pass, then, for the files whose mtime the quick
   * check cannot tell apart from the stored copy's, a second pass that compares content (the
   * agent's recheck.ts says which). Each pass is sendTree's: it counts only when the receiving
   * rsync also succeeded.
   */
  private async sendSource(m: SourceMember, target: Member, entry: string): Promise<SentSource> {
    const name = m.id;
    // the basis the target compares the source with: the newest tagged backup holding its entry
    const previous = this.tagged.filter((b) => b.id < this.backupId && b.entries.includes(entry)).map((b) => b.id).sort().pop();
    const fidelity = fidelityBetween(m, target);
    const leaveOut = m.vol.leaveOut ?? [];
    const compareLeftOut = mustCompareLeftOut(leaveOut, { entry, deep: !!this.opts.deep, previousManifest: this.tagged.find((b) => b.id === previous)?.manifest });
    const leftOut = leaveOut.length > 0 && !compareLeftOut ? { leftOut: [...leaveOut] } : {};
    const pass = (recheck: boolean) =>
      sendTree({
        direction: 'backup',
        backupId: this.backupId,
        // the ticket names the sending node; the entry names its volume
        source: m.node.name,
        entry,
        sender: m.node,
        receiver: target,
        recheck: recheck || !previous,
        send: async (args) => {
          await failpointSlow('transfer', this.transfersAbort.signal);
          return m.node.performRsync(
            { ...args, entry: m.vol.entry, ...(previous ? { previousBackupId: previous } : {}), ...(recheck ? { recheck: true } : {}), ...(this.opts.deep ? { deep: true } : {}), ...(fidelity ? { sentChecksums: true } : {}), ...(compareLeftOut ? { compareLeftOut: true } : {}) },
            { signal: this.transfersAbort.signal, onProgress: (progress) => this.ctx.emit({ type: 'progress', phase: 'transfer', node: name, progress }) },
          );
        },
        retry: this.retry,
        signal: this.transfersAbort.signal,
        onRetry: (attempt, e, delayMs) => this.warn(`${name}: transfer failed (${e.message}); retry ${attempt} in ${delayMs} ms`, name),
      });
    const first = await pass(false);
    const rechecked = first.stats.recheckFiles ?? 0;
    if (rechecked === 0) return { stats: first.stats, rechecked, ...(first.notHeld ? { notHeld: first.notHeld } : {}), ...leftOut };
    const second = await pass(true);
    const notHeld = mergeNotHeld(first.notHeld, second.notHeld);
    return {
      stats: {
        ...first.stats,
        filesTransferred: first.stats.filesTransferred + second.stats.filesTransferred,
        bytesTransferred: first.stats.bytesTransferred + second.stats.bytesTransferred,
        bytesSent: first.stats.bytesSent + second.stats.bytesSent,
        durationMs: first.stats.durationMs + second.stats.durationMs,
        sentChecksums: (first.stats.sentChecksums ?? 0) + (second.stats.sentChecksums ?? 0),
        leftOutDiffered: (first.stats.leftOutDiffered ?? 0) + (second.stats.leftOutDiffered ?? 0),
      },
      rechecked,
      ...(notHeld ? { notHeld } : {}),
      ...leftOut,
    };
  }

  /**
   * Copies the sender's list of files sent (with their checksums) to the target page by page, so
   * the tag compares it with what landed. Skipped, with a warning, when either agent predates it.
   */
  private async relaySentChecksums(m: SourceMember, target: Member, entry: string): Promise<void> {
    const src = m.node;
    const tgt = target.node;
    if (!fidelityBetween(m, target) || !src.sentChecksums || !tgt.addSentChecksums) {
      const older = (x: Member | SourceMember) => !(x.desc.features ?? []).includes(FIDELITY_FEATURE);
      this.warn(
        `${m.id}: the sender's checksums are not compared with what landed${this.opts.deep ? ', and --deep cannot count what it found' : ''} (${older(m) ? m.node.name : tgt.name} is an older agent)`,
        m.id,
      );
      return;
    }
    let offset = 0;
    for (;;) {
      const page = await src.sentChecksums(this.backupId, m.vol.entry, offset);
      await tgt.addSentChecksums(this.backupId, entry, offset, page);
      offset = page.nextOffset;
      if (page.eof) break;
    }
    this.relayed.add(m.id);
  }

  private async endHeldFreeze(dep: Deployment): Promise<void> {
    if (!this.holdFreeze) return;
    this.stopRenewing();
    if (this.renewalError) throw this.renewalError;
    // an agent may have ended the freeze at its freezeMaxTotal since the last renewal; this
    // one is refused then, so a transfer that was not frozen throughout is never tagged
    await this.renewFreeze(dep);
    await this.thawAll(this.freezeAttempted);
  }

  private async thawAll(hosts: Member[]): Promise<void> {
    const results = await runPhase(this.ctx, 'thaw', (p) =>
      onEveryNode(hosts, 'thaw', 'FREEZE_FAILED', (m) =>
        onNode(this.ctx, p, m.node.name, () => m.node.thaw(this.backupId), (r: ThawResult) => (r.thawed.length ? `thawed ${r.thawed.join(', ')}` : '')),
      ),
    );
    this.thawed = true;
    const firstPause = Math.min(...this.pauses.map((r) => r.pausedAtMs).filter((t) => t > 0));
    const lastThaw = Math.max(...results.map((r) => r.thawedAtMs).filter((t) => t > 0));
    if (Number.isFinite(firstPause) && Number.isFinite(lastThaw)) {
      this.rec.freezeWindow = {
        firstPauseMs: firstPause,
        lastThawMs: lastThaw,
        durationMs: lastThaw - firstPause,
        heldThroughTransfer: this.holdFreeze,
        hosts: hosts.map((h) => h.node.name),
      };
    }
  }

  private async tag(dep: Deployment): Promise<void> {
    const target = dep.target;
    const lost = this.lock?.lost();
    if (lost) throw new FfError('FAILED_PRECONDITION', `target lock lost before tagging: ${lost.message}`, { cause: lost, node: target.node.name });
    failpoint('before-tag');
    // the fidelity tests change a file on the target here, after it landed and before the tag
    await failpointSlow('tag', this.opts.signal);
    this.tagging = true;
    await runPhase(this.ctx, 'tag', (p) =>
      onNode(
        this.ctx,
        p,
        target.node.name,
        async () => {
          const manifest = buildManifest(this.opts, this.rec, dep, this.entries);
          const sources = dep.sources.map((s) => s.id);
          const requireSentChecksums = sources.every((s) => this.relayed.has(s));
          const r = await target.node
            .tag(this.backupId, { deployment: this.opts.deployment, json: JSON.stringify(manifest) }, [...this.entries.values()], { requireSentChecksums })
            .catch((e: unknown) => {
              throw this.namedFidelityError(asFfError(e, target.node.name), dep);
            });
          if (this.relayed.size > 0) this.rec.fidelity = { files: r.sentChecked ?? 0, sources: [...this.relayed] };
          this.snapshot = r.snapshot;
          this.rec.snapshot = r.snapshot;
          return r;
        },
        (r) => r.snapshot,
      ).catch((e: unknown) => {
        const err = asFfError(e, target.node.name);
        // the files named and their count stay machine-readable in details
        if (err.code === 'FIDELITY_FAILED') throw err;
        throw combineErrors('tag', 'TARGET_FAILED', [{ node: target.node.name, error: err }]);
      }),
    );
    failpoint('after-tag');
  }

  /** The target's FIDELITY_FAILED, naming the source (node and volume) its entry belongs to. */
  private namedFidelityError(e: FfError, dep: Deployment): FfError {
    if (e.code !== 'FIDELITY_FAILED') return e;
    const entry = e.details?.entry;
    const source = dep.sources.find((s) => (this.entries.get(s.id) ?? s.vol.entry) === entry);
    if (!source) return e;
    const bare = e.message.startsWith(`${dep.target.node.name}: `) ? e.message.slice(dep.target.node.name.length + 2) : e.message;
    return new FfError(e.code, `tag refused on ${dep.target.node.name}: source ${source.id} (node ${source.node.name}), entry ${bare}`, {
      cause: e,
      node: e.node ?? dep.target.node.name,
      details: { ...e.details, source: source.id, sourceNode: source.node.name },
      ...(e.hint ? { hint: e.hint } : {}),
    });
  }

  /** Undoes what the phases left (freeze, snapshots), runs retention after a tag, and releases the target lock. */
  private async cleanUp(): Promise<void> {
    this.stopRenewing();
    if (!this.thawed && this.freezeAttempted.length > 0) {
      try {
        await this.thawAll(this.freezeAttempted);
      } catch (e) {
        this.warn(`could not thaw after failure (the agents' leases will thaw): ${errorMessage(e)}`);
        this.failure ??= asFfError(e);
      }
    }
    if (this.snapshotAttempted.length > 0) {
      try {
        await runPhase(this.ctx, 'release', (p) =>
          onEveryNode(this.snapshotAttempted, 'release', 'SNAPSHOT_FAILED', (m) => onNode(this.ctx, p, m.id, () => m.node.removeSnapshot(this.backupId, m.vol.entry))),
        );
      } catch (e) {
        // the backup itself is fine (or already failed); a leftover snapshot is cleaned up next time
        this.warn(`snapshots not removed: ${errorMessage(e)}`);
      }
    }
    // the tag released the target lock on the agent: take it again, so no other run starts while backups are deleted
    if (!this.failure && this.snapshot && this.opts.retention && !this.opts.signal?.aborted && this.dep && this.lock && (await this.lock.renew())) await this.retention(this.dep.target, this.opts.retention);
    await this.lock?.release();
    this.lock = undefined;
  }

  /** Phase 8, under the run's target lock. A retention problem is a warning: the backup itself is fine. */
  private async retention(target: Member, policy: RetentionPolicy): Promise<void> {
    try {
      const r = await runPhase(this.ctx, 'retention', (p) =>
        onNode(
          this.ctx,
          p,
          target.node.name,
          () => pruneBackups(target.node, { policy, deployment: this.opts.deployment, protect: [this.backupId] }),
          (r) => `kept ${r.kept.length}, pruned ${r.pruned.length}${r.failed.length ? `, ${r.failed.length} not deleted` : ''}`,
        ),
      );
      this.rec.retention = r;
      for (const f of r.failed) this.warn(`retention: backup ${f.id} not deleted: ${f.error}`, target.node.name);
    } catch (e) {
      this.warn(`retention skipped (the backup itself is fine; \`freezeframe prune\` retries): ${errorMessage(e)}`, target.node.name);
    }
  }

  private async cleanUpAndFinish(): Promise<BackupResult> {
    const warned = this.rec.warnings.length;
    await this.cleanUp();
    const cleanedUp = this.rec.warnings.length === warned;
    const { rec, failure, backupId } = this;
    if (failure && (this.transferStarted || rec.interrupted) && !this.snapshot) {
      const sourceNames = (this.dep?.sources ?? []).map((s) => s.id);
      rec.missingSources = sourceNames.filter((n) => !rec.transfers[n]);
      // every source arrived but the tag failed: the whole set is still untagged
      if (rec.missingSources.length === 0) rec.missingSources = [...sourceNames];
    }
    finishRecord(rec, failure);
    if (failure) {
      if (rec.interrupted) {
        const phase = this.interruptedDuring;
        throw new FfError('CANCELLED', `backup ${backupId} interrupted by ${rec.interrupted}${phase ? ` during ${phase}` : ''}; ${cleanedUp ? 'stopped cleanly: every host thawed, snapshots released, target unlocked' : 'stopped; the clean-up had problems (see the warnings)'}\nbackup ${backupId} is incomplete (not tagged)`, {
          cause: failure,
          hint: `resume it with: freezeframe backup --resume ${backupId}`,
          details: { interrupted: rec.interrupted, backupId, missingSources: rec.missingSources ?? [] },
        });
      }
      if (rec.result === 'incomplete') {
        throw new FfError(failure.code, `${failure.message}\nbackup ${backupId} is incomplete (not tagged; missing: ${rec.missingSources!.join(', ')})`, {
          cause: failure.cause ?? failure,
          ...(failure.node ? { node: failure.node } : {}),
          ...(failure.details ? { details: failure.details } : {}),
          hint: `${failure.hint ? `${failure.hint}; then ` : ''}resume it with: freezeframe backup --resume ${backupId}`,
        });
      }
      throw failure;
    }
    return { backupId, snapshot: this.snapshot, record: rec };
  }
}

function buildManifest(opts: BackupOptions, rec: RunRecord, dep: { sources: SourceMember[]; members: Member[] }, entries: Map<string, string>) {
  return {
    backupId: opts.backupId,
    deployment: opts.deployment,
    createdAt: rec.startedAt,
    director: { version: opts.directorVersion },
    sources: dep.sources.map((s) => {
      const t = rec.transfers[s.id];
      return {
        name: s.id,
        ...(s.id !== s.node.name ? { node: s.node.name } : {}),
        kind: s.vol.kind,
        volume: s.vol.volume,
        entry: entries.get(s.id) ?? s.vol.entry,
        pointInTime: s.vol.pointInTime,
        bytes: t?.bytesTotal ?? 0,
        bytesTransferred: t?.bytesTransferred ?? 0,
        files: t?.filesTotal ?? 0,
        filesTransferred: t?.filesTransferred ?? 0,
        durationMs: t?.durationMs ?? 0,
        ...(t?.rechecked ? { rechecked: t.rechecked } : {}),
        // what this backup does not hold of the source, because the target cannot store it
        ...(t?.notHeld ? { notHeld: t.notHeld } : {}),
        // the source's setting (the next backup compares again when it widens), and what this
        // backup's transfer did not compare: files it did not rewrite keep what an earlier one stored
        ...(s.vol.leaveOut?.length ? { leaveOut: s.vol.leaveOut, leftOut: t?.leftOut ?? [] } : {}),
      };
    }),
    entries: [...entries.values()],
    bytes: rec.bytesTotal,
    bytesTransferred: rec.bytesTransferred,
    files: rec.filesTotal,
    durations: Object.fromEntries(rec.phases.filter((p) => p.durationMs !== undefined).map((p) => [p.phase, p.durationMs])),
    freezeWindow: rec.freezeWindow ?? null,
    versions: Object.fromEntries(dep.members.map((m) => [m.node.name, { agent: m.desc.version, rsync: m.desc.rsyncVersion }])),
  };
}
