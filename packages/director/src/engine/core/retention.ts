import { backupIdTime } from '@freezeframe/common';
import { manifestDeployment } from './manifest.js';
import { asFfError } from './phases.js';
import type { AgentNode } from './types.js';

// Retention: which tagged backups a policy keeps, and the deletion of the rest on the target
// (phase 8 of a backup, and `freezeframe prune`).

/**
 * Which tagged backups a retention policy keeps: the newest `last`, then the newest backup of
 * each of the most recent `daily` days, `weekly` ISO weeks and `monthly` months that have one
 * (the grandfather-father-son scheme operators expect). The newest backup is always kept.
 */
export interface RetentionPolicy {
  last: number;
  daily: number;
  weekly: number;
  monthly: number;
}

export interface RetentionDecision {
  keep: { id: string; reasons: string[] }[];
  prune: string[];
  /** Why each pruned id is not kept, bucket by bucket (e.g. "day 2024-01-02 keeps 20240102_180000"). */
  why: Record<string, string>;
}

/** Time of a backup id (`YYYYMMDD_HHMMSS[-label]`, UTC). */
export function backupTime(id: string): Date {
  const ms = backupIdTime(id);
  if (ms === undefined) throw new Error(`not a backup id: ${id}`);
  return new Date(ms);
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function applyRetention(ids: readonly string[], policy: RetentionPolicy): RetentionDecision {
  const newestFirst = [...ids].sort((a, b) => backupTime(b).getTime() - backupTime(a).getTime() || (a < b ? 1 : -1));
  const reasons = new Map<string, string[]>();
  const mark = (id: string, why: string) => reasons.set(id, [...(reasons.get(id) ?? []), why]);

  newestFirst.slice(0, Math.max(1, policy.last)).forEach((id) => mark(id, 'last'));
  const buckets: [string, number, (d: Date) => string][] = [
    ['daily', policy.daily, (d) => d.toISOString().slice(0, 10)],
    ['weekly', policy.weekly, isoWeek],
    ['monthly', policy.monthly, (d) => d.toISOString().slice(0, 7)],
  ];
  const keepers = new Map<string, Map<string, string>>();
  for (const [name, count, key] of buckets) {
    const seen = new Map<string, string>();
    keepers.set(name, seen);
    for (const id of newestFirst) {
      if (seen.size >= count) break;
      const k = key(backupTime(id));
      if (seen.has(k)) continue;
      seen.set(k, id);
      mark(id, `${name} ${k}`);
    }
  }
  const prune = newestFirst.filter((id) => !reasons.has(id));
  const unit = { daily: 'day', weekly: 'week', monthly: 'month' } as Record<string, string>;
  const why: Record<string, string> = {};
  for (const id of prune) {
    const parts = [`not among the newest ${Math.max(1, policy.last)}`];
    for (const [name, count, key] of buckets) {
      const k = key(backupTime(id));
      const keeper = keepers.get(name)!.get(k);
      if (count === 0) parts.push(`no ${name} backups kept`);
      else if (keeper) parts.push(`${unit[name]} ${k} keeps ${keeper}`);
      else parts.push(`${unit[name]} ${k} is older than the newest ${count} ${unit[name]}s with a backup`);
    }
    why[id] = parts.join('; ');
  }
  return {
    keep: newestFirst.filter((id) => reasons.has(id)).map((id) => ({ id, reasons: reasons.get(id)! })),
    prune,
    why,
  };
}

/** What retention did (or, in a dry run, would do) on a target; stored in the run record. */
export interface RetentionOutcome {
  target: string;
  policy: RetentionPolicy;
  dryRun: boolean;
  kept: { id: string; reasons: string[] }[];
  /** Deleted (or to delete, in a dry run), with why and what they held alone. */
  pruned: { id: string; why: string; usedBytes: number }[];
  /** Deletions refused or failed; those backups are still there. */
  failed: { id: string; error: string }[];
}

export interface PruneOptions {
  policy: RetentionPolicy;
  /** Only backups whose manifest names this deployment (or none) are candidates. */
  deployment: string;
  /** Never pruned, whatever the policy says (the backup a run just made). */
  protect?: readonly string[];
  dryRun?: boolean;
}

/**
 * Decides with `applyRetention` over the target's tagged backups and deletes what it prunes
 * (nothing in a dry run). A refused or failed deletion is reported in `failed` and the rest go
 * on; only a failure to list the backups rejects.
 */
export async function pruneBackups(target: AgentNode, opts: PruneOptions): Promise<RetentionOutcome> {
  const listed = (await target.listBackups()).filter((b) => b.complete);
  const foreign = listed.filter((b) => {
    const d = manifestDeployment(b);
    return d !== undefined && d !== opts.deployment;
  });
  const mine = listed.filter((b) => !foreign.includes(b));
  const decision = applyRetention(
    mine.map((b) => b.id),
    opts.policy,
  );
  const protect = new Set(opts.protect ?? []);
  const kept = [
    ...decision.keep.map((k) => (protect.has(k.id) ? { id: k.id, reasons: [...k.reasons, 'this run'] } : k)),
    ...decision.prune.filter((id) => protect.has(id)).map((id) => ({ id, reasons: ['this run'] })),
    ...foreign.map((b) => ({ id: b.id, reasons: [`deployment ${manifestDeployment(b)}`] })),
  ];
  const used = new Map(listed.map((b) => [b.id, b.usedBytes]));
  const todo = decision.prune.filter((id) => !protect.has(id));
  const out: RetentionOutcome = { target: target.name, policy: opts.policy, dryRun: !!opts.dryRun, kept, pruned: [], failed: [] };
  // oldest first: an interrupted prune has removed the least valuable backups
  for (const id of [...todo].reverse()) {
    const entry = { id, why: decision.why[id] ?? 'not kept by the policy', usedBytes: used.get(id) ?? 0 };
    if (opts.dryRun) {
      out.pruned.push(entry);
      continue;
    }
    try {
      await target.deleteBackup(id);
      out.pruned.push(entry);
    } catch (e) {
      out.failed.push({ id, error: asFfError(e, target.name).message });
    }
  }
  return out;
}
