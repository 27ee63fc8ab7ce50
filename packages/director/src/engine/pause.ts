import { newBackupId, type Inventory } from '@freezeframe/common';
import { withDeployment } from './core/deployment.js';
import { onEveryNode } from './core/phases.js';

// `freezeframe pause` and `unpause`: the freeze on its own, for maintenance outside a backup.

export interface PauseResult {
  id: string;
  nodes: Array<{ node: string; frozen: string[]; leaseExpiresAtMs: number }>;
}

/** Pauses every freeze host under a lease (the agents thaw by themselves when it runs out). */
export async function pause(inv: Inventory, opts: { leaseMs: number }): Promise<PauseResult> {
  const id = newBackupId(new Date(), 'pause');
  return withDeployment(inv, async ({ nodes }) => {
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
  return withDeployment(inv, async ({ nodes }) => {
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
