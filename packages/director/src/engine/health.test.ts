import { describe, expect, it } from 'vitest';
import { skewWarnings } from './health.js';

describe('skewWarnings', () => {
  it('flags an agent version other than the director\'s and a clock off by more than 5 s', () => {
    expect(skewWarnings('a', '0.1.0', 1_000_000, 1_000_400, '0.1.0')).toEqual({ warnings: [], clockSkewMs: -400 });
    const w = skewWarnings('a', '0.2.0', 1_000_000 + 7_500, 1_000_000, '0.1.0');
    expect(w.clockSkewMs).toBe(7_500);
    expect(w.warnings).toEqual(["a: agent version 0.2.0 differs from the director's 0.1.0", "a: clock differs from the director's by 7.5 s (is NTP running?)"]);
    // an agent that sends no time gives no clock verdict
    expect(skewWarnings('a', '0.1.0', 0, 1_000_000, '0.1.0')).toEqual({ warnings: [] });
  });
});
