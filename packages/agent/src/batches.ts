/** How `cutBatches` cuts a list for processes run side by side. */
export interface BatchLimits<T> {
  /** Most items in a batch. */
  maxItems: number;
  /** Least batches where there are as many items, so that as many processes can share the work. */
  minBatches: number;
  /** Most bytes in a batch, as `bytesOf` counts them (e.g. argv bytes, which ARG_MAX bounds). */
  maxBytes?: number;
  bytesOf?: (item: T) => number;
}

/** `items` cut, in order, into batches within `limits`; an item larger than `maxBytes` is a batch of its own. */
export function cutBatches<T>(items: readonly T[], limits: BatchLimits<T>): T[][] {
  const most = Math.min(limits.maxItems, Math.ceil(items.length / limits.minBatches));
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
