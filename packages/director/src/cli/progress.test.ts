import { describe, expect, it } from 'vitest';
import { progressPrinter } from './progress.js';

describe('progressPrinter', () => {
  const lines = (events: Parameters<ReturnType<typeof progressPrinter>>[0][]) => {
    let out = '';
    const p = progressPrinter({ write: (s) => (out += s), isTTY: true });
    for (const e of events) p(e);
    p.finish();
    return out;
  };

  it('leaves out the rate rsync reports before it has measured one, keeps a real one', () => {
    const start = { type: 'node', phase: 'transfer', node: 'src-a', status: 'start' } as const;
    const early = lines([start, { type: 'progress', phase: 'transfer', node: 'src-a', progress: { bytes: 32768, percent: 0, rate: '0.00kB/s', filesChecked: 0 } }]);
    expect(early).toContain('transfer src-a: 32.0 KiB 0%');
    expect(early).not.toContain('kB/s');
    const later = lines([start, { type: 'progress', phase: 'transfer', node: 'src-a', progress: { bytes: 10 << 20, percent: 40, rate: '51.20MB/s', filesChecked: 3 } }]);
    expect(later).toContain('10.0 MiB 40% 51.20MB/s');
  });
});
