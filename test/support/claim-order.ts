import { readFileSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Orders the integration files so that the two workers seldom wait on each other's claims
 * (test/support/claim.ts). Vitest hands the next file in this order to whichever worker is
 * free; a file whose claim is held waits in its worker, and that worker does nothing meanwhile.
 * So this plays the run through ahead of time with a rough length per kind of claim and, each
 * time a worker frees up, picks the file that can start soonest (the longest of those). A file
 * claiming the machine goes first: it runs alone anyway.
 */
export class ClaimOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const claims = sorted.map((spec) => ({ spec, claims: claimsIn(spec.moduleId) }));
    if (claims.every((c) => c.claims === undefined)) return sorted; // the unit files claim nothing
    const machine = claims.filter((c) => c.claims?.includes('machine'));
    const rest = claims.filter((c) => !c.claims?.includes('machine'));
    return [...machine.map((c) => c.spec), ...playThrough(rest.map((c) => ({ spec: c.spec, claims: c.claims ?? [] })))];
  }
}

/**
 * Seconds a file takes, by its longest claim: the means of each kind's files run one at a time
 * in CI (Dec 2026). Their spread is wide (ansible 105 s, zfs-tools 5 s), but the order needs only
 * which kinds are long.
 */
const ESTIMATE_S: Record<string, number> = { docker: 49, zfs: 34, cgroup: 29, packages: 36 };
const FREE_S = 13;
const WORKERS = 2;

function playThrough(files: Array<{ spec: TestSpecification; claims: string[] }>): TestSpecification[] {
  const length = (c: string[]) => Math.max(FREE_S, ...c.map((r) => ESTIMATE_S[r] ?? FREE_S));
  const workers: number[] = Array<number>(WORKERS).fill(0);
  const heldUntil = new Map<string, number>();
  const left = [...files];
  const order: TestSpecification[] = [];
  while (left.length > 0) {
    const w = workers.indexOf(Math.min(...workers));
    const now = workers[w]!;
    const startOf = (c: string[]) => Math.max(now, ...c.map((r) => heldUntil.get(r) ?? 0));
    let best = 0;
    for (let i = 1; i < left.length; i++) {
      const [a, b] = [left[i]!, left[best]!];
      if (startOf(a.claims) < startOf(b.claims) || (startOf(a.claims) === startOf(b.claims) && length(a.claims) > length(b.claims))) best = i;
    }
    const [next] = left.splice(best, 1);
    const end = startOf(next!.claims) + length(next!.claims);
    for (const r of next!.claims) heldUntil.set(r, end);
    workers[w] = end;
    order.push(next!.spec);
  }
  return order;
}

/** The resources a test file claims in its `await claim(...)`; undefined when it has none. */
function claimsIn(file: string): string[] | undefined {
  const m = /^await claim\(([^)]*)\);/m.exec(readFileSync(file, 'utf8'));
  if (!m) return undefined;
  return [...m[1]!.matchAll(/'([a-z]+)'/g)].map((x) => x[1]!);
}
