import pLimit from 'p-limit';
import { FfError, channelCredentials, readTls, type ErrorCode, type Inventory } from '@freezeframe/common';
import { GrpcAgentNode } from './agent-client.js';
import { FAN_OUT, asFfError, onNode, runPhase, type Ctx } from './phases.js';
import { lowSpaceMessage } from './receiver-cause.js';
import type { AgentNode, NodeDescription, NodeHealth, SourceVolumeDesc } from './types.js';

// The deployment as a command sees it: its agents connected once for the whole command, which
// of them answer and what they are (preflight, for the commands that need every node; findTarget,
// for those that need only the target), and the nodes a command goes on without.

/** Every node of the inventory, connected: one channel per node, the TLS material read once. */
export interface Connected {
  nodes: GrpcAgentNode[];
  /** The client of node `name`, which must be in the inventory. */
  node(name: string): GrpcAgentNode;
}

/** One client per inventory node, sharing the director's TLS material; the caller closes them (closeAll). */
export function connectInventory(inv: Inventory): GrpcAgentNode[] {
  const creds = channelCredentials(readTls(inv.tls));
  return inv.nodes.map((n) => new GrpcAgentNode(n, creds));
}

export function closeAll(nodes: readonly { close(): void }[]): void {
  for (const n of nodes) n.close();
}

/** Connects to every node of `inv`, runs `fn`, and closes every channel whatever `fn` did. */
export async function withDeployment<T>(inv: Inventory, fn: (d: Connected) => Promise<T>): Promise<T> {
  const nodes = connectInventory(inv);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  try {
    return await fn({
      nodes,
      node(name) {
        const n = byName.get(name);
        if (!n) throw new Error(`node ${name} is not in the inventory`);
        return n;
      },
    });
  } finally {
    closeAll(nodes);
  }
}

/** A node that did not answer, said by a command that can go on without it. */
export function notNeeded(message: string): string {
  return `${message} (not needed for this command; going on without it)`;
}

/** A node's Health and Describe answers: one round trip when its client can, else two at once. */
export async function healthAndDescription(node: AgentNode): Promise<{ health: NodeHealth; desc: NodeDescription }> {
  if (node.describeWithHealth) return node.describeWithHealth();
  const [health, desc] = await Promise.all([node.health(), node.describe()]);
  return { health, desc };
}

export interface Member {
  name: string;
  node: AgentNode;
  health: NodeHealth;
  desc: NodeDescription;
}

/**
 * One source volume of a node: what backup and restore send, one entry each. A node with one
 * volume (`source:`) is one source named like the node; one with `sources:` is one source per
 * volume, named `<node>:<volume name>`.
 */
export interface SourceMember extends Member {
  /** The source's name in records, manifests, `--only` and messages (also its `name`). */
  id: string;
  vol: SourceVolumeDesc;
}

export interface Deployment {
  members: Member[];
  target: Member;
  sources: SourceMember[];
  freezeHosts: Member[];
}

/** The source volumes of `members`, in inventory order and each node's config order. */
export function sourceMembers(members: readonly Member[]): SourceMember[] {
  return members
    .filter((m) => m.desc.roles.includes('source'))
    .flatMap((m) => (m.desc.sources ?? (m.desc.source ? [m.desc.source] : [])).map((vol) => {
      const id = vol.name ? `${m.node.name}:${vol.name}` : m.node.name;
      return { ...m, name: id, id, vol };
    }));
}

const CLOCK_SKEW_WARN_MS = 5_000;
/** Losses rsync reports file by file: a backup meeting one fails unless target.unsupported allows it. */
const REPORTED_CLASSES = new Set(['xattrs', 'acls', 'owners', 'times', 'hardlinks']);

/**
 * What a backup would lose on the target, said before anything is frozen: the agent probed its
 * file system. A class it cannot store fails the backup at the first file that has it (naming
 * the file) unless the operator listed it in target.unsupported.
 */
export function targetLimitWarnings(target: Member): string[] {
  const name = target.node.name;
  return (target.desc.target?.limits ?? []).map((l) => {
    if (l.allowed) return `${name} cannot store ${l.detail}; its target.unsupported allows that: backups lack them, and their manifest says so`;
    if (REPORTED_CLASSES.has(l.class)) {
      return `${name} cannot store ${l.detail}: a backup fails, naming the file, if a source has any (list ${l.class} in its target.unsupported to back up without them)`;
    }
    return `${name} cannot store ${l.detail}`;
  });
}

/**
 * The agent's failed free-space check as the director says it: free and needed, where the
 * director's threshold comes from, and what to do.
 */
function spaceProblem(m: Member, problem: string): string | undefined {
  const failed = (m.health.checks ?? []).find((c) => !c.ok && c.detail === problem && (c.name === 'target-space' || c.name === 'source-space'));
  if (!failed) return undefined;
  // the agent's detail names the volume; among several, the one whose free space it reports
  const vol = (m.desc.sources ?? []).find((v) => problem.includes(v.volume)) ?? m.desc.source;
  const free = failed.name === 'target-space' ? m.desc.target?.freeBytes : vol?.freeBytes;
  if (free === undefined) return undefined;
  const what = failed.name === 'target-space' ? 'target' : `source volume ${vol?.volume ?? ''}`.trim();
  const low = lowSpaceMessage(m.node.name, what, free);
  return `${low.message}; ${low.hint}`;
}

/**
 * Health and Describe on every node in parallel. Anything wrong (unreachable, unhealthy,
 * wrong identity, not exactly one target, no source, target locked, a leftover freeze) stops
 * here, before anything is paused; the error lists every problem.
 */
export async function preflight(ctx: Ctx, nodes: readonly AgentNode[], opts: { forBackup: boolean; resumeOf?: string; target?: Member }): Promise<Deployment> {
  return runPhase(ctx, 'preflight', async (p) => {
    const limit = pLimit(FAN_OUT);
    const problems: string[] = [];
    let unreachable = 0;
    const settled = await Promise.allSettled(
      nodes.map((node) =>
        limit(() =>
          onNode(ctx, p, node.name, async () => {
            const { health, desc } = await healthAndDescription(node);
            return { name: node.name, node, health, desc } satisfies Member;
          }),
        ),
      ),
    );
    const members: Member[] = [];
    settled.forEach((s, i) => {
      if (s.status === 'rejected') {
        const e = asFfError(s.reason, nodes[i]!.name);
        if (e.code === 'UNAVAILABLE' || e.code === 'DEADLINE_EXCEEDED') unreachable++;
        problems.push(e.message.startsWith(`${nodes[i]!.name}:`) ? e.message : `${nodes[i]!.name}: ${e.message}`);
      } else {
        members.push(s.value);
      }
    });
    const now = Date.now();
    for (const m of members) {
      const name = m.node.name;
      ctx.record.versions[name] = m.desc.version;
      if (m.desc.name !== name) problems.push(`${name}: agent calls itself '${m.desc.name}'`);
      if (!m.health.ok) {
        // a restore stops the applications anyway: their reachability only warns
        const tolerated = new Set(opts.forBackup ? [] : (m.health.checks ?? []).filter((c) => !c.ok && c.application).map((c) => c.detail));
        const blocking = m.health.problems.filter((pr) => !tolerated.has(pr));
        if (m.health.problems.length === 0) problems.push(`${name}: agent reports not ok`);
        for (const pr of blocking) problems.push(spaceProblem(m, pr) ?? (pr.startsWith(`${name}:`) ? pr : `${name}: ${pr}`));
        for (const pr of m.health.problems.filter((x) => tolerated.has(x))) {
          ctx.record.warnings.push(pr);
          ctx.emit({ type: 'warning', node: name, message: pr });
        }
      }
      if (opts.forBackup && m.health.frozen.length > 0) problems.push(`${name}: still frozen by ${m.health.frozen.join(', ')} (run \`freezeframe unpause\`)`);
      if (m.health.timeUnixMs > 0 && Math.abs(m.health.timeUnixMs - now) > CLOCK_SKEW_WARN_MS) {
        const msg = `${name}: clock differs from the director's by ${Math.round((m.health.timeUnixMs - now) / 1000)} s; freeze windows are measured on agent clocks`;
        ctx.record.warnings.push(msg);
        ctx.emit({ type: 'warning', node: name, message: msg });
      }
    }
    // a restore from a remote target (`--from`) reads from it: the deployment's own target is not needed
    const targets = opts.target ? [opts.target] : members.filter((m) => m.desc.roles.includes('target'));
    const sources = sourceMembers(members);
    const freezeHosts = members.filter((m) => m.desc.roles.includes('freeze'));
    if (members.length === nodes.length || opts.target) {
      if (targets.length === 0) problems.push('no node has the target role (configure `target:` on the backup node)');
      if (sources.length === 0) problems.push('no node has the source role');
    }
    if (targets.length > 1) problems.push(`more than one target: ${targets.map((t) => t.node.name).join(', ')}`);
    const target = targets[0];
    if (target?.desc.target) ctx.record.target = { node: target.node.name, freeBytes: target.desc.target.freeBytes };
    // a resumed backup takes over the lock its own dead run left
    if (opts.forBackup && target?.health.targetLockedBy && target.health.targetLockedBy !== opts.resumeOf) {
      problems.push(
        `${target.node.name}: target is locked by ${target.health.targetLockPurpose && target.health.targetLockPurpose !== 'receive' ? target.health.targetLockPurpose : 'backup'} ${target.health.targetLockedBy}${target.health.targetLockedSince ? ` since ${target.health.targetLockedSince}` : ''}${target.health.targetLockExpiresMs ? ` (expires ${new Date(target.health.targetLockExpiresMs).toISOString()} unless renewed)` : ''}`,
      );
    }
    if (opts.forBackup && target) {
      for (const w of targetLimitWarnings(target)) {
        ctx.record.warnings.push(w);
        ctx.emit({ type: 'warning', node: target.node.name, message: w });
      }
    }
    const seen = new Map<string, string>();
    for (const s of sources) {
      const other = seen.get(s.vol.entry);
      if (other) problems.push(`${s.id} and ${other} both send entry ${s.vol.entry}`);
      seen.set(s.vol.entry, s.id);
    }
    if (problems.length > 0 || !target) {
      const code: ErrorCode = unreachable > 0 && unreachable === problems.length ? 'UNAVAILABLE' : 'FAILED_PRECONDITION';
      throw new FfError(code, `preflight found ${problems.length} problem(s); nothing was paused:\n  ${problems.join('\n  ')}`, {
        hint: 'run `freezeframe health` for details',
        ...(problems.length === 1 && nodes.some((n) => problems[0]!.startsWith(`${n.name}:`))
          ? { node: nodes.find((n) => problems[0]!.startsWith(`${n.name}:`))!.name }
          : {}),
        details: { problems },
      });
    }
    return { members, target, sources, freezeHosts };
  });
}

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
  const warnings = down.map(notNeeded);
  // holdTargetLock wants a preflight member; health is not needed by these commands
  const target: Member = { name: t.node.name, node: t.node, desc: t.desc, health: { name: t.node.name, version: t.desc.version, roles: t.desc.roles, ok: true, problems: [], timeUnixMs: 0, frozen: [] } };
  return { target, warnings };
}
