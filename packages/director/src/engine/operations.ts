import { FfError, VERSION, checkBackupId, checkName, newBackupId, type Inventory } from '@freezeframe/common';
import { closeAll, connectInventory } from './agent-client.js';
import { runBackup, type BackupResult } from './backup.js';
import { asFfError, onEveryNode } from './phases.js';
import { newRunRecord, readRunRecord, stateDirOf, writeRunRecord, type RunRecord } from './records.js';
import { runRestore, type RestoreResult } from './restore.js';
import { findTarget, resolveBackup } from './target.js';
import { lockLeaseFor } from './target-lock.js';
import type { AgentNode, BackupListing, EventSink } from './types.js';

// What each director command does, as functions of an inventory that return data. The CLI
// prints the data; the demo calls the same functions.

async function withNodes<T>(inv: Inventory, fn: (nodes: AgentNode[]) => Promise<T>): Promise<T> {
  const nodes = connectInventory(inv);
  try {
    return await fn(nodes);
  } finally {
    closeAll(nodes);
  }
}

export interface BackupCommandResult extends BackupResult {
  recordFile: string;
}

export async function backup(inv: Inventory, opts: { label?: string; onEvent?: EventSink; now?: Date; resume?: string } = {}): Promise<BackupCommandResult> {
  const stateDir = stateDirOf(inv);
  if (opts.resume) {
    checkBackupId(opts.resume, '--resume');
    const prev = readRunRecord(stateDir, opts.resume);
    if (prev && prev.kind === 'backup' && prev.result === 'ok') {
      throw new FfError('FAILED_PRECONDITION', `backup ${opts.resume} completed already (its record says ok); nothing to resume`, { hint: `freezeframe show ${opts.resume}` });
    }
  }
  const backupId = opts.resume ?? (await unusedBackupId(stateDir, opts.now ?? new Date(), opts.label));
  const record = newRunRecord('backup', backupId, backupId, inv.deployment);
  try {
    const r = await withNodes(inv, (nodes) =>
      runBackup(nodes, {
        deployment: inv.deployment,
        backupId,
        leaseMs: inv.freeze.lease,
        concurrency: inv.transfer.concurrency,
        directorVersion: VERSION,
        record,
        retention: inv.retention,
        ...(opts.resume ? { resume: true } : {}),
        ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      }),
    );
    return { ...r, recordFile: writeRunRecord(stateDir, r.record) };
  } catch (e) {
    writeRunRecord(stateDir, record);
    throw withRecordHint(asFfError(e), backupId);
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

export interface RestoreCommandResult extends RestoreResult {
  recordFile: string;
}

export async function restore(inv: Inventory, opts: { backup: string; only?: string[]; onEvent?: EventSink; force?: boolean }): Promise<RestoreCommandResult> {
  // argument errors before any connection or record
  if (opts.backup !== 'latest') checkBackupId(opts.backup, 'backup id');
  for (const n of opts.only ?? []) checkName(n, '--only');
  const runId = `restore_${newBackupId()}`;
  const record = newRunRecord('restore', runId, opts.backup, inv.deployment);
  const stateDir = stateDirOf(inv);
  try {
    const r = await withNodes(inv, (nodes) =>
      runRestore(nodes, {
        backup: opts.backup,
        record,
        lockLeaseMs: lockLeaseFor(inv.freeze.lease),
        ...(opts.force ? { force: true } : {}),
        ...(opts.only ? { only: opts.only } : {}),
        ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      }),
    );
    return { ...r, recordFile: writeRunRecord(stateDir, r.record) };
  } catch (e) {
    writeRunRecord(stateDir, record);
    throw asFfError(e);
  }
}

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

export async function list(inv: Inventory): Promise<{ target: string; backups: BackupListing[]; warnings: string[] }> {
  return withNodes(inv, async (nodes) => {
    const { target, warnings } = await findTarget(nodes);
    const backups = (await target.node.listBackups()).sort((a, b) => (a.id < b.id ? -1 : 1));
    return { target: target.name, backups, warnings };
  });
}

export type ShowResult = ({ from: 'record'; record: RunRecord } | { from: 'target'; target: string; backup: BackupListing }) & {
  /** Nodes that did not answer (only the target is asked, and only when needed). */
  warnings: string[];
};

/**
 * The local run record of `id`, else the manifest the target stored with the backup. `latest`
 * is resolved on the target first (as verify and restore do), then shown the same way.
 */
export async function show(inv: Inventory, id: string): Promise<ShowResult> {
  const stateDir = stateDirOf(inv);
  if (id !== 'latest') {
    const local = readRunRecord(stateDir, id);
    if (local) return { from: 'record', record: local, warnings: [] };
    checkBackupId(id, 'id');
  }
  return withNodes(inv, async (nodes) => {
    const { target, warnings } = await findTarget(nodes);
    const backups = await target.node.listBackups();
    let b: BackupListing;
    try {
      b = resolveBackup(backups, id, target.name);
    } catch (e) {
      if (id === 'latest') throw e;
      throw new FfError('NOT_FOUND', `no run record for ${id} in ${stateDir} and no such backup on ${target.name}`, { hint: 'see `freezeframe list`' });
    }
    const local = readRunRecord(stateDir, b.id);
    if (local) return { from: 'record', record: local, warnings };
    return { from: 'target', target: target.name, backup: b, warnings };
  });
}

export interface PauseResult {
  id: string;
  nodes: Array<{ node: string; frozen: string[]; leaseExpiresAtMs: number }>;
}

/** Pauses every freeze host under a lease (the agents thaw by themselves when it runs out). */
export async function pause(inv: Inventory, opts: { leaseMs: number }): Promise<PauseResult> {
  const id = newBackupId(new Date(), 'pause');
  return withNodes(inv, async (nodes) => {
    const descs = await onEveryNode(nodes, 'describe', 'UNAVAILABLE', (n) => n.describe());
    const hosts = nodes.filter((_, i) => descs[i]!.roles.includes('freeze'));
    try {
      const r = await onEveryNode(hosts, 'pause', 'FREEZE_FAILED', (n) => n.freeze(id, opts.leaseMs));
      return { id, nodes: hosts.map((h, i) => ({ node: h.name, frozen: r[i]!.frozen, leaseExpiresAtMs: r[i]!.leaseExpiresAtMs })) };
    } catch (e) {
      // all or nothing: a half-paused deployment is worse than none
      await Promise.allSettled(hosts.map((h) => h.thaw(id)));
      throw e;
    }
  });
}

/** Thaws every freeze that any node reports (or only `id`). */
export async function unpause(inv: Inventory, opts: { id?: string } = {}): Promise<{ nodes: Array<{ node: string; id: string; thawed: string[] }> }> {
  return withNodes(inv, async (nodes) => {
    const hs = await onEveryNode(nodes, 'health', 'UNAVAILABLE', (n) => n.health());
    const todo = nodes.flatMap((n, i) => (opts.id ? (hs[i]!.frozen.includes(opts.id) ? [opts.id] : []) : hs[i]!.frozen).map((id) => ({ n, id })));
    const results = await onEveryNode(
      todo.map((t) => ({ ...t, name: t.n.name })),
      'unpause',
      'FREEZE_FAILED',
      (t) => t.n.thaw(t.id),
    );
    return { nodes: todo.map((t, i) => ({ node: t.n.name, id: t.id, thawed: results[i]!.thawed })) };
  });
}
