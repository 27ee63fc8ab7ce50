import { describe, expect, it } from 'vitest';
import { applyRetention } from './retention.js';

function id(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
}

describe('retention', () => {
  // one backup every 6 hours for 120 days
  const start = Date.UTC(2024, 0, 1, 2, 0, 0);
  const ids = Array.from({ length: 480 }, (_, i) => id(new Date(start + i * 6 * 3_600_000)));

  it('keeps last N, then one per day, week and month, newest of each', () => {
    const r = applyRetention(ids, { last: 3, daily: 7, weekly: 4, monthly: 3 });
    const kept = r.keep.map((k) => k.id);
    const newest = [...ids].reverse();
    expect(kept.slice(0, 3)).toEqual(newest.slice(0, 3));
    // 7 days: newest of each day; the newest day already counted by "last"
    const days = new Set(kept.map((k) => k.slice(0, 8)));
    expect(days.size).toBeGreaterThanOrEqual(7);
    expect(r.keep.find((k) => k.id === newest[0])!.reasons).toEqual(expect.arrayContaining(['last', expect.stringMatching(/^daily/)]));
    expect(kept.length + r.prune.length).toBe(ids.length);
    expect(new Set([...kept, ...r.prune]).size).toBe(ids.length);
    // months: Apr, Mar, Feb kept
    const monthly = r.keep.filter((k) => k.reasons.some((x) => x.startsWith('monthly'))).map((k) => k.id.slice(0, 6));
    expect(monthly).toEqual(['202404', '202403', '202402']);
    expect(kept.length).toBeLessThan(3 + 7 + 4 + 3 + 1);
  });

  it('never prunes the newest backup, even with zero buckets', () => {
    const r = applyRetention(ids.slice(0, 5), { last: 0, daily: 0, weekly: 0, monthly: 0 });
    expect(r.keep.map((k) => k.id)).toEqual([ids[4]]);
    expect(r.prune).toHaveLength(4);
  });

  it('orders labelled ids by time', () => {
    const r = applyRetention(['20240101_000000-b', '20240102_000000-a'], { last: 1, daily: 0, weekly: 0, monthly: 0 });
    expect(r.keep[0]!.id).toBe('20240102_000000-a');
  });
});
