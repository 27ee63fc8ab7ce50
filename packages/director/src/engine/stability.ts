import type { HealthReportRow } from './health.js';

// Whether the deployment is quiet enough to restore into, asked before a restore (refused when
// not, unless --force) and after it (reported).

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

/**
 * Every agent reachable, nothing frozen, no target lock held, no problem reported (an application
 * down only warns). A node in `goOnWithout` that did not answer is not needed by this restore:
 * its problem only warns.
 */
export function stabilityOf(rows: readonly HealthReportRow[], opts: { beforeRestore?: boolean; goOnWithout?: readonly string[] } = {}): Stability {
  const nodes = rows.map((r): StabilityRow => {
    const own = (p: string) => (p.startsWith(`${r.node}: `) ? p.slice(r.node.length + 2) : p);
    if (r.version === undefined && opts.goOnWithout?.includes(r.node)) return { node: r.node, ok: true, problems: [], warnings: r.problems.map(own) };
    const warnings = [...r.warnings];
    // an application that does not answer is what a restore fixes, not a reason to refuse one
    const appDown = new Set(r.checks.filter((c) => !c.ok && c.application).map((c) => c.detail));
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
