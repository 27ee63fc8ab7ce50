import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { LARGE_HEAP_BYTES, collectIfLarge } from './heap.js';

describe('collecting a large heap after a call', () => {
  it('collects garbage past the threshold at once, and not again within the interval', () => {
    let garbage: string[] | undefined = Array.from({ length: 1_500_000 }, (_, i) => `entry ${i} of a large listing`);
    expect(garbage.length).toBe(1_500_000);
    garbage = undefined;
    const before = getHeapStatistics().used_heap_size;
    // the garbage is still counted: nothing needed the room yet
    expect(before).toBeGreaterThan(LARGE_HEAP_BYTES);
    const t = Date.now() + 60_000;
    expect(collectIfLarge(t)).toBe(true);
    expect(getHeapStatistics().used_heap_size).toBeLessThan(before / 2);
    expect(collectIfLarge(t + 1000)).toBe(false);
  });

  it('leaves a small heap alone', () => {
    expect(getHeapStatistics().used_heap_size).toBeLessThan(LARGE_HEAP_BYTES);
    expect(collectIfLarge(Date.now() + 3_600_000)).toBe(false);
  });
});
