import { describe, expect, it } from 'vitest';
import { cutBatches, runBatches } from './batches.js';

describe('cutBatches', () => {
  const items = (n: number) => Array.from({ length: n }, (_, i) => i);
  it('cuts into at least `processes` and at most maxItems each, every item once and in order', () => {
    const big = items(200_000);
    const batches = cutBatches(big, { maxItems: 50_000, processes: 2 });
    expect(batches.map((b) => b.length)).toEqual([50_000, 50_000, 50_000, 50_000]);
    expect(batches.flat()).toEqual(big);
    expect(cutBatches(items(5), { maxItems: 50_000, processes: 2 })).toEqual([[0, 1, 2], [3, 4]]);
    expect(cutBatches(items(1), { maxItems: 10, processes: 2 })).toEqual([[0]]);
    expect(cutBatches([], { maxItems: 10, processes: 2 })).toEqual([]);
  });
  it('keeps each batch within maxBytes, and an item larger than it alone', () => {
    const sizes = [3, 3, 3, 9, 1, 1];
    const batches = cutBatches(sizes, { maxItems: 10, processes: 1, maxBytes: 6, bytesOf: (n) => n });
    expect(batches).toEqual([[3, 3], [3], [9], [1, 1]]);
  });
});

describe('runBatches', () => {
  it('runs every batch once, at most `processes` at a time', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await runBatches(Array.from({ length: 10 }, (_, i) => i), { maxItems: 2, processes: 3 }, async (batch) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(...batch);
      running--;
    });
    expect(most).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
  it('rejects with a batch\'s failure', async () => {
    await expect(runBatches([1, 2, 3, 4], { maxItems: 1, processes: 2 }, async (b) => {
      if (b[0] === 3) throw new Error('batch 3 failed');
    })).rejects.toThrow('batch 3 failed');
  });
});
