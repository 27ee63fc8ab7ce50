import pLimit from 'p-limit';
import { FfError, errorMessage, isFfError, type ErrorCode } from '@freezeframe/common';
import { endPhase, startPhase, type PhaseRecord, type RunRecord } from './records.js';
import { lowSpaceMessage } from './receiver-cause.js';
import type { AgentNode, EventSink, NodeDescription, NodeHealth, Phase } from './types.js';

// Building blocks shared by backup and restore: timed phases, per-node calls that record
// their timing and name the node in errors, parallel fan-out, and the preflight check.

/**
 * Fan-out limit for "parallel on every node". High enough that every node of a real deployment
 * is called at once: a node waiting its turn to freeze, snapshot or thaw stretches the freeze
 * window of every node already frozen (at 16, 20 sources took two rounds per phase).
 */
export const FAN_OUT = 256;

export interface Ctx {
  record: RunRecord;
  emit: EventSink;
}

export function asFfError(e: unknown, node?: string): FfError {
  if (isFfError(e)) return e;
  return new FfError('INTERNAL', node ? `${node}: ${errorMessage(e)}` : errorMessage(e), { cause: e, ...(node ? { node } : {}) });
}

export async function runPhase<T>(ctx: Ctx, phase: Phase, fn: (p: PhaseRecord) => Promise<T>): Promise<T> {
  const p = startPhase(ctx.record, phase);
  ctx.emit({ type: 'phase-start', phase, at: Date.now() });
  try {
    const r = await fn(p);
    ctx.emit({ type: 'phase-end', phase, at: Date.now(), durationMs: endPhase(p, true), ok: true });
    return r;
  } catch (e) {
    ctx.emit({ type: 'phase-end', phase, at: Date.now(), durationMs: endPhase(p, false), ok: false, error: errorMessage(e) });
    throw e;
  }
}

export async function onNode<T>(ctx: Ctx, p: PhaseRecord, node: string, fn: () => Promise<T>, detail?: (r: T) => string): Promise<T> {
  const t0 = Date.now();
  ctx.emit({ type: 'node', phase: p.phase, node, status: 'start' });
  try {
    const r = await fn();
    const durationMs = Date.now() - t0;
    p.nodes[node] = { durationMs, ok: true };
    const d = detail?.(r);
    ctx.emit({ type: 'node', phase: p.phase, node, status: 'done', durationMs, ...(d ? { detail: d } : {}) });
    return r;
  } catch (e) {
    const err = asFfError(e, node);
    const durationMs = Date.now() - t0;
    p.nodes[node] = { durationMs, ok: false, error: err.message };
    ctx.emit({ type: 'node', phase: p.phase, node, status: 'failed', durationMs, detail: err.message });
    throw err;
  }
}

/** One error out of several node failures: names every node and its cause. */
export function combineErrors(what: string, code: ErrorCode, failures: Array<{ node: string; error: FfError }>): FfError {
  const first = failures[0]!;
  const causes = failures.map((f) => (f.error.message.startsWith(`${f.node}:`) ? f.error.message : `${f.node}: ${f.error.message}`));
  const message = failures.length === 1 ? `${what} failed: ${causes[0]}` : `${what} failed on ${failures.length} nodes:\n  ${causes.join('\n  ')}`;
  return new FfError(code, message, {
    cause: first.error,
    ...(failures.length === 1 ? { node: first.node } : {}),
    ...(first.error.hint ? { hint: first.error.hint } : {}),
    details: { causes: failures.map((f) => ({ node: f.node, code: f.error.code, message: f.error.message })) },
  });
}

/** Runs `fn` on every node in parallel and waits for all; any failure becomes one combined error. */
export async function onEveryNode<N extends { name: string }, T>(
  nodes: readonly N[],
  what: string,
  code: ErrorCode,
  fn: (n: N) => Promise<T>,
): Promise<T[]> {
  const limit = pLimit(FAN_OUT);
  const settled = await Promise.allSettled(nodes.map((n) => limit(() => fn(n))));
  const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ node: nodes[i]!.name, error: asFfError(s.reason, nodes[i]!.name) }] : []));
  if (failures.length > 0) throw combineErrors(what, code, failures);
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

export interface Member {
  name: string;
  node: AgentNode;
  health: NodeHealth;
  desc: NodeDescription;
}

export interface Deployment {
  members: Member[];
  target: Member;
  sources: Member[];
  freezeHosts: Member[];
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
 * The agent's failed free-space check (its text gives raw bytes only) as the director says it:
 * free and needed in binary units, where the threshold comes from, and what to do.
 */
function spaceProblem(m: Member, problem: string): string | undefined {
  const failed = (m.health.checks ?? []).find((c) => !c.ok && c.detail === problem && (c.name === 'target-space' || c.name === 'source-space'));
  if (!failed) return undefined;
  const free = failed.name === 'target-space' ? m.desc.target?.freeBytes : m.desc.source?.freeBytes;
  const bytes = free ?? Number(/(\d+) bytes free/.exec(problem)?.[1]);
  if (!Number.isFinite(bytes)) return undefined;
  const what = failed.name === 'target-space' ? 'target' : `source volume ${m.desc.source?.volume ?? ''}`.trim();
  const low = lowSpaceMessage(m.node.name, what, bytes);
  return `${low.message}; ${low.hint}`;
}

/**
 * Health and Describe on every node in parallel. Anything wrong (unreachable, unhealthy,
 * wrong identity, not exactly one target, no source, target locked, a leftover freeze) stops
 * here, before anything is paused; the error lists every problem.
 */
export async function preflight(ctx: Ctx, nodes: readonly AgentNode[], opts: { forBackup: boolean; resumeOf?: string }): Promise<Deployment> {
  return runPhase(ctx, 'preflight', async (p) => {
    const limit = pLimit(FAN_OUT);
    const problems: string[] = [];
    let unreachable = 0;
    const settled = await Promise.allSettled(
      nodes.map((node) =>
        limit(() =>
          onNode(ctx, p, node.name, async () => {
            const [health, desc] = await Promise.all([node.health(), node.describe()]);
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
    const targets = members.filter((m) => m.desc.roles.includes('target'));
    const sources = members.filter((m) => m.desc.roles.includes('source') && m.desc.source);
    const freezeHosts = members.filter((m) => m.desc.roles.includes('freeze'));
    if (members.length === nodes.length) {
      if (targets.length === 0) problems.push('no node has the target role (configure `target:` on the backup node)');
      if (sources.length === 0) problems.push('no node has the source role');
    }
    if (targets.length > 1) problems.push(`more than one target: ${targets.map((t) => t.node.name).join(', ')}`);
    const target = targets[0];
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
      const other = seen.get(s.desc.source!.entry);
      if (other) problems.push(`${s.node.name} and ${other} both send entry ${s.desc.source!.entry}`);
      seen.set(s.desc.source!.entry, s.node.name);
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
