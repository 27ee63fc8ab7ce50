import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { runsAlone } from './claim.js';

/**
 * Orders the integration files so that the two workers seldom wait on each other's claims
 * (test/support/claim.ts). Vitest hands the next file in this order to whichever worker is
 * free; a file whose claim is held waits in its worker, and that worker does nothing meanwhile.
 * So this plays the run through ahead of time with each file's rough length and, each time a
 * worker frees up, picks the file that can start soonest (the longest of those). The files that
 * run alone (the machine, and ALONE) go first: they cannot pair with anything.
 */
export class ClaimOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const claims = sorted.map((spec) => ({ spec, claims: claimsIn(spec.moduleId) }));
    if (claims.every((c) => c.claims === undefined)) return sorted; // the unit files claim nothing
    const alone = claims.filter((c) => runsAlone(c.claims ?? []));
    const rest = claims.filter((c) => !runsAlone(c.claims ?? []));
    return [...alone.map((c) => c.spec), ...playThrough(rest.map((c) => ({ spec: c.spec, claims: c.claims ?? [] })))];
  }
}

/**
 * Seconds the longer files take in CI, two at a time (Dec 2026); any other file counts as
 * OTHER_S. A stale figure costs only waiting, never a wrong result: claims keep files apart.
 */
const LONG_S: Record<string, number> = {
  ansible: 156, 'dataloss-loopback': 105, 'e2e-backup': 100, 'e2e-postgres': 97, 'btrfs-target': 93,
  'fault-bed': 79, 'runs-loopback': 77, package: 74, 'fault-loopback': 73, 'restore-scope-loopback': 69,
  'replicate-bed': 66, 'drill-loopback': 55, 'e2e-apps': 47, 'schedule-metrics': 39, multivolume: 39,
  'e2e-apps2': 38, 'replica-loopback': 37, 'app-dump-mariadb': 36, 'zfs-target': 35, 'app-services': 30,
  'fidelity-loopback': 29, 'agent-loopback': 29, 'native-datachannel': 28, 'docs-cli': 27,
  'lvm-gluster-standin': 26, 'app-cassandra': 26, 'freeze-docker': 23, 'newcomer-loopback': 20,
};
const OTHER_S = 10;
const WORKERS = 2;

function playThrough(files: Array<{ spec: TestSpecification; claims: string[] }>): TestSpecification[] {
  const length = (spec: TestSpecification) => LONG_S[basename(spec.moduleId, '.test.ts')] ?? OTHER_S;
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
      if (startOf(a.claims) < startOf(b.claims) || (startOf(a.claims) === startOf(b.claims) && length(a.spec) > length(b.spec))) best = i;
    }
    const [next] = left.splice(best, 1);
    const end = startOf(next!.claims) + length(next!.spec);
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
