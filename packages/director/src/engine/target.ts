import pLimit from 'p-limit';
import { FfError } from '@freezeframe/common';
import { asFfError, type Member } from './phases.js';
import type { AgentNode, BackupListing } from './types.js';

// For the commands that only need the target (list, show, verify, prune): find it among the
// nodes that answer, and resolve a backup id (or `latest`) the same way for every command.

export interface FoundTarget {
  target: Member;
  /** One line per node that did not answer: named, so the operator knows, but not needed here. */
  warnings: string[];
}

/** The one target among the nodes that answer; other nodes being down only warns. */
export async function findTarget(nodes: readonly AgentNode[]): Promise<FoundTarget> {
  const limit = pLimit(16);
  const settled = await Promise.allSettled(nodes.map((n) => limit(async () => ({ node: n, desc: await n.describe() }))));
  const up = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const down = settled.flatMap((s, i) => (s.status === 'rejected' ? [asFfError(s.reason, nodes[i]!.name).message] : []));
  const targets = up.filter((m) => m.desc.roles.includes('target'));
  if (targets.length > 1) throw new FfError('FAILED_PRECONDITION', `more than one target: ${targets.map((t) => t.node.name).join(', ')}`);
  const t = targets[0];
  if (!t) {
    throw new FfError(down.length > 0 ? 'UNAVAILABLE' : 'FAILED_PRECONDITION', `no reachable node has the target role${down.length > 0 ? `:\n  ${down.join('\n  ')}` : ''}`, {
      hint: down.length > 0 ? 'start the agents named above (or fix the inventory), or run `freezeframe health` for details' : 'configure `target:` on the backup node',
    });
  }
  const warnings = down.map((d) => `${d} (not needed for this command; going on without it)`);
  // holdTargetLock wants a preflight member; health is not needed by these commands
  const target: Member = { name: t.node.name, node: t.node, desc: t.desc, health: { name: t.node.name, version: t.desc.version, roles: t.desc.roles, ok: true, problems: [], timeUnixMs: 0, frozen: [] } };
  return { target, warnings };
}

/** The newest complete backup, by id (ids sort by time). */
export function pickLatest(backups: readonly BackupListing[]): BackupListing | undefined {
  return [...backups].filter((b) => b.complete).sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : b.createdMs - a.createdMs))[0];
}

/**
 * What `id` names among the target's backups: `latest` is the newest complete backup (the
 * same in show, verify and restore), anything else that exact id. NOT_FOUND names the target.
 */
export function resolveBackup(backups: readonly BackupListing[], id: string, targetName: string): BackupListing {
  const chosen = id === 'latest' ? pickLatest(backups) : backups.find((b) => b.id === id);
  if (!chosen) {
    throw new FfError('NOT_FOUND', id === 'latest' ? `${targetName}: there is no complete backup yet` : `${targetName}: no backup ${id}`, {
      node: targetName,
      hint: 'see `freezeframe list` for the backups on the target',
    });
  }
  return chosen;
}
