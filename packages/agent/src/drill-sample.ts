import { createHash } from 'node:crypto';
import { FfError } from '@freezeframe/common';

// Which files a sampled restore drill (`freezeframe drill --sample N%`) restores and checks. The
// target (which sends them) and the drill node (which checks them) each compute the sample from
// the same checksum record and the same per-drill seed, so the drill node never names a path to
// the target: the list of files to send is the target's own.

/** A drill's sample: about `percent` of the recorded files, chosen by `seed`. */
export interface DrillSample {
  /** More than 0, less than 100. */
  percent: number;
  /** 16 to 64 lower-case hex characters, new for each drill (the director's choice, kept in its record). */
  seed: string;
}

const SEED_RE = /^[0-9a-f]{16,64}$/;

/**
 * The sample of a request (`sample_percent`, `sample_seed`): undefined for the whole backup (0,
 * or 100 and more is the whole backup too); INVALID_ARGUMENT names the field otherwise.
 */
export function checkSample(percent: unknown, seed: unknown): DrillSample | undefined {
  const p = Number(percent ?? 0);
  if (!Number.isFinite(p) || p < 0) {
    throw new FfError('INVALID_ARGUMENT', `sample_percent ${String(percent)} must be 0 (the whole backup) or a share of the files (0 to 100)`, { details: { field: 'sample_percent' } });
  }
  if (p === 0 || p >= 100) return undefined;
  if (typeof seed !== 'string' || !SEED_RE.test(seed)) {
    throw new FfError('INVALID_ARGUMENT', 'sample_seed must be 16 to 64 lower-case hex characters', { details: { field: 'sample_seed' } });
  }
  return { percent: p, seed };
}

/** A file's place in the drill's random order: [0, 1), uniform, from the seed and its name. */
export function sampleScore(seed: string, path: string): number {
  const h = createHash('sha256').update(seed).update('\0').update(path).digest();
  // 48 bits are plenty to tell files apart and fit a double exactly
  return h.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * The records a sampled drill restores: each file whose score is below `percent`/100 (so about
 * that share, the same on every node for the same seed), and at least one when there are any.
 * Pure; order kept.
 */
export function sampleOf<T extends { p: string }>(records: readonly T[], s: DrillSample): T[] {
  const limit = s.percent / 100;
  let lowest: { r: T; score: number } | undefined;
  const out: T[] = [];
  for (const r of records) {
    const score = sampleScore(s.seed, r.p);
    if (score < limit) out.push(r);
    if (!lowest || score < lowest.score) lowest = { r, score };
  }
  return out.length === 0 && lowest ? [lowest.r] : out;
}
