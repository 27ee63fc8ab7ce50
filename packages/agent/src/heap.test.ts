import { getHeapStatistics } from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IDLE_MS, LARGE_HEAP_BYTES, collectIfLarge, whenIdle } from './heap.js';

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

describe('only once the agent is idle', () => {
  afterEach(() => vi.useRealTimers());

  it('not while a call runs, nor between calls that follow each other; once after the last', () => {
    vi.useFakeTimers();
    let collected = 0;
    const idle = whenIdle(() => collected++);
    // a backup's control calls: Freeze, PrepareSnapshot and Thaw a few ms apart, a long transfer beside them
    idle.started(); // the transfer
    for (let i = 0; i < 3; i++) {
      idle.started();
      vi.advanceTimersByTime(5);
      idle.ended();
      vi.advanceTimersByTime(IDLE_MS * 2);
    }
    expect(collected).toBe(0);
    idle.ended();
    vi.advanceTimersByTime(IDLE_MS - 1);
    expect(collected).toBe(0);
    idle.started();
    idle.ended();
    vi.advanceTimersByTime(IDLE_MS - 1);
    expect(collected).toBe(0);
    vi.advanceTimersByTime(1);
    expect(collected).toBe(1);
    vi.advanceTimersByTime(IDLE_MS * 10);
    expect(collected).toBe(1);
  });
});
