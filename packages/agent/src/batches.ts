import pLimit from 'p-limit';

/** How `cutBatches` cuts a list for processes run side by side. */
export interface BatchLimits<T> {
  /** Most items in a batch. */
  maxItems: number;
  /** Processes to share the work: at least as many batches where there are as many items, and `runBatches` runs at most as many at once. */
  processes: number;
  /** Most bytes in a batch, as `bytesOf` counts them (e.g. argv bytes, which ARG_MAX bounds). */
  maxBytes?: number;
  bytesOf?: (item: T) => number;
}

/** `items` cut, in order, into batches within `limits`; an item larger than `maxBytes` is a batch of its own. */
export function cutBatches<T>(items: readonly T[], limits: BatchLimits<T>): T[][] {
  const most = Math.min(limits.maxItems, Math.ceil(items.length / limits.processes));
  const maxBytes = limits.maxBytes ?? Infinity;
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = limits.bytesOf?.(item) ?? 0;
    if (batch.length > 0 && (batch.length >= most || bytes + size > maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** `work` run on each batch of `items` (cut by `cutBatches`), at most `limits.processes` at once; rejects with the first failure. */
export async function runBatches<T>(items: readonly T[], limits: BatchLimits<T>, work: (batch: T[]) => Promise<void>): Promise<void> {
  const limit = pLimit(limits.processes);
  await Promise.all(cutBatches(items, limits).map((batch) => limit(() => work(batch))));
}

/**
 * Paths per process of a program that reads the files named in its argv (`sha256sum`,
 * `xxh128sum`). Each process costs the agent a fork of itself (5-30 ms of its one thread here,
 * more as its heap grows: bench/PROFILE.md, nineteenth pass), so 200k files take 40 processes,
 * not 200; the argv bytes stay far below ARG_MAX (2 MiB with the usual 8 MiB stack); two run at
 * once, one per core of a small node.
 */
export const FILE_ARGV_LIMITS: BatchLimits<string> = { maxItems: 5000, processes: 2, maxBytes: 512 << 10, bytesOf: (p) => Buffer.byteLength(p) + 1 };
