import pLimit from 'p-limit';
import { FfError, errorMessage, isFfError, type ErrorCode } from '@freezeframe/common';
import { endPhase, startPhase, type PhaseRecord, type RunRecord } from './records.js';
import type { EventSink, Phase } from './types.js';

// Building blocks of every run: timed phases, per-node calls that record their timing and name
// the node in errors, parallel fan-out, and one error out of several nodes' failures.

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
