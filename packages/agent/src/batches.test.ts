import { describe, expect, it } from 'vitest';
import { cutBatches } from './batches.js';

describe('cutBatches', () => {
  const items = (n: number) => Array.from({ length: n }, (_, i) => i);
  it('cuts into at least minBatches and at most maxItems each, every item once and in order', () => {
    const big = items(200_000);
    const batches = cutBatches(big, { maxItems: 50_000, minBatches: 2 });
    expect(batches.map((b) => b.length)).toEqual([50_000, 50_000, 50_000, 50_000]);
    expect(batches.flat()).toEqual(big);
    expect(cutBatches(items(5), { maxItems: 50_000, minBatches: 2 })).toEqual([[0, 1, 2], [3, 4]]);
    expect(cutBatches(items(1), { maxItems: 10, minBatches: 2 })).toEqual([[0]]);
    expect(cutBatches([], { maxItems: 10, minBatches: 2 })).toEqual([]);
  });
  it('keeps each batch within maxBytes, and an item larger than it alone', () => {
    const sizes = [3, 3, 3, 9, 1, 1];
    const batches = cutBatches(sizes, { maxItems: 10, minBatches: 1, maxBytes: 6, bytesOf: (n) => n });
    expect(batches).toEqual([[3, 3], [3], [9], [1, 1]]);
  });
});
