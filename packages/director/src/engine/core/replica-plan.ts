import { FfError } from '@freezeframe/common';
import { manifestDeployment } from './manifest.js';
import { applyRetention, type RetentionPolicy } from './retention.js';
import type { BackupListing } from './types.js';

// What `freezeframe replicate` sends to one remote target, decided from the two targets' listings
// alone (pure, unit-tested): the backups the remote lacks, oldest first, each as a stream
// incremental from the newest backup both hold. A remote whose history is not a prefix of the
// main target's is refused, never overwritten: a zfs/btrfs stream applies only on top of its base.

/** One stream: `backupId`, incremental from `baseId` (empty: a full stream). */
export interface ReplicaStep {
  backupId: string;
  baseId: string;
}

export interface ReplicaPlan {
  /** In the order they must go (oldest first); each step's base is the one before it, or `common`. */
  steps: ReplicaStep[];
  /** The newest backup both targets hold now; undefined when the remote holds none. */
  common?: string;
  /** Backups of the main target older than `common` that the remote lacks: a stream cannot go under it. */
  skipped: string[];
}

export interface PlanNames {
  /** This inventory's deployment: only its backups (or those naming none) are replicated. */
  deployment: string;
  main: string;
  remote: string;
}

const complete = (l: readonly BackupListing[]) => l.filter((b) => b.complete);

/** The main target's complete backups of `deployment` (those whose manifest names it, or none), oldest first. */
export function replicable(main: readonly BackupListing[], deployment: string): string[] {
  return complete(main)
    .filter((b) => {
      const d = manifestDeployment(b);
      return d === undefined || d === deployment;
    })
    .map((b) => b.id)
    .sort();
}

/**
 * What to send from `main` (the deployment's target) to `remote`. Refuses (FAILED_PRECONDITION,
 * naming both) when the remote holds backups but none in common with the main target, or holds
 * one newer than the newest common backup that the main target lacks: either way its history is
 * not the main target's, and no stream may overwrite it.
 */
export function planReplication(main: readonly BackupListing[], remote: readonly BackupListing[], n: PlanNames): ReplicaPlan {
  const mine = replicable(main, n.deployment);
  const onMain = new Set(complete(main).map((b) => b.id));
  const held = complete(remote).map((b) => b.id).sort();
  const heldSet = new Set(held);
  const common = held.filter((id) => onMain.has(id)).pop();
  if (held.length > 0 && common === undefined) {
    throw new FfError('FAILED_PRECONDITION', `${n.remote} holds ${held.length} backup(s) (newest ${held.at(-1)}) but none that ${n.main} holds: their histories diverged; nothing was sent and nothing on ${n.remote} was overwritten`, {
      node: n.remote,
      hint: `a remote target receives only from the target its target.replicaOf names; if ${n.remote} was meant to start over, delete its backups there by hand (or give it an empty dataset or folder)`,
      details: { remote: n.remote, main: n.main, remoteNewest: held.at(-1) },
    });
  }
  if (common !== undefined) {
    const foreign = held.filter((id) => id > common && !onMain.has(id));
    if (foreign.length > 0) {
      throw new FfError('FAILED_PRECONDITION', `${n.remote} holds ${foreign.join(', ')}, newer than ${common} (the newest backup both hold), which ${n.main} does not hold: their histories diverged; nothing was sent and nothing on ${n.remote} was overwritten`, {
        node: n.remote,
        hint: `find out who wrote ${foreign[0]} to ${n.remote}; a stream from ${n.main} applies only on top of its newest backup`,
        details: { remote: n.remote, main: n.main, common, foreign },
      });
    }
  }
  const steps: ReplicaStep[] = [];
  let base = common ?? '';
  const skipped: string[] = [];
  for (const id of mine) {
    if (heldSet.has(id)) continue;
    if (common !== undefined && id < common) {
      skipped.push(id);
      continue;
    }
    steps.push({ backupId: id, baseId: base });
    base = id;
  }
  return { steps, ...(common !== undefined ? { common } : {}), skipped };
}

/** How far a remote is behind: the backups replicate would send, and its newest backup. */
export interface ReplicaLag {
  /** Backups of the main target the remote lacks and could receive (newer than the newest common one). */
  behind: number;
  newest?: { id: string; createdMs: number };
  /** Set when the histories diverged (replicate refuses): the reason. */
  diverged?: string;
}

export function replicaLag(main: readonly BackupListing[], remote: readonly BackupListing[], n: PlanNames): ReplicaLag {
  const newest = complete(remote).sort((a, b) => (a.id < b.id ? -1 : 1)).at(-1);
  const at = newest ? { newest: { id: newest.id, createdMs: newest.createdMs } } : {};
  try {
    return { behind: planReplication(main, remote, n).steps.length, ...at };
  } catch (e) {
    if (e instanceof FfError && e.code === 'FAILED_PRECONDITION') return { behind: 0, diverged: e.message, ...at };
    throw e;
  }
}

/** What retention would do on the remote once `planned` arrived: kept and pruned ids, with why. */
export interface RetentionPreview {
  keep: string[];
  prune: Array<{ id: string; why: string }>;
}

/**
 * Pure: the remote's retention after the plan, never pruning `protect` (the newest common backup
 * after the run: the next stream's base). The remote's backups of other deployments are left out
 * as pruneBackups leaves them.
 */
export function previewRetention(remote: readonly BackupListing[], planned: readonly string[], policy: RetentionPolicy, o: { deployment: string; protect?: string }): RetentionPreview {
  const ids = [
    ...complete(remote)
      .filter((b) => {
        const d = manifestDeployment(b);
        return d === undefined || d === o.deployment;
      })
      .map((b) => b.id),
    ...planned,
  ];
  const d = applyRetention([...new Set(ids)], policy);
  const prune = d.prune.filter((id) => id !== o.protect);
  return { keep: [...d.keep.map((k) => k.id), ...(o.protect && d.prune.includes(o.protect) ? [o.protect] : [])], prune: prune.map((id) => ({ id, why: d.why[id] ?? 'not kept by the policy' })) };
}
