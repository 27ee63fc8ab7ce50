import { describe, expect, it } from 'vitest';
import { progressPrinter } from './progress.js';

type Event = Parameters<ReturnType<typeof progressPrinter>>[0];

/** A backup of two sources as the engine reports it, each event `step` ms after the last. */
function backupEvents(): Array<[number, Event]> {
  const MiB = 1 << 20;
  const p = (node: string, bytes: number, percent: number): Event => ({ type: 'progress', phase: 'transfer', node, progress: { bytes, percent, rate: '51.20MB/s', filesChecked: 3 } });
  return [
    [0, { type: 'phase-start', phase: 'preflight', at: 0 }],
    [50, { type: 'phase-end', phase: 'preflight', at: 50, durationMs: 50, ok: true }],
    [0, { type: 'phase-start', phase: 'snapshot', at: 50 }],
    [0, { type: 'node', phase: 'snapshot', node: 'src-a', status: 'start' }],
    [0, { type: 'node', phase: 'snapshot', node: 'src-b', status: 'start' }],
    [10, { type: 'node', phase: 'snapshot', node: 'src-a', status: 'done', durationMs: 10 }],
    [0, { type: 'node', phase: 'snapshot', node: 'src-b', status: 'done', durationMs: 10 }],
    [0, { type: 'phase-end', phase: 'snapshot', at: 60, durationMs: 10, ok: true }],
    [0, { type: 'phase-start', phase: 'transfer', at: 60 }],
    [0, { type: 'node', phase: 'transfer', node: 'src-a', status: 'start' }],
    [0, p('src-a', 32768, 0)],
    [11_000, p('src-a', 10 * MiB, 40)],
    [11_000, p('src-a', 20 * MiB, 80)],
    [1000, { type: 'node', phase: 'transfer', node: 'src-a', status: 'done', durationMs: 23_000, detail: '1120 files, 25.0 MiB, 25.0 MiB sent' }],
    [0, { type: 'warning', node: 'src-b', message: 'slow disk' }],
    [0, { type: 'node', phase: 'transfer', node: 'src-b', status: 'start' }],
  ];
}

function run(isTTY: boolean, events = backupEvents()) {
  let out = '';
  let t = 1_800_000_000_000;
  const p = progressPrinter({ write: (s) => (out += s), isTTY, columns: 120 }, { now: () => t });
  for (const [step, e] of events) {
    t += step;
    p(e);
  }
  return { p, out: () => out };
}

describe('progressPrinter, not on a terminal', () => {
  it('writes plain timestamped lines: each phase start and end, transfers done, progress every 10 s, in binary units', () => {
    const { p, out } = run(false);
    p.finish();
    const text = out();
    expect(text).not.toMatch(/[\r\x1b]/);
    const lines = text.trimEnd().split('\n');
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z /);
    const body = lines.map((l) => l.replace(/^\S+ /, ''));
    expect(body).toEqual([
      'preflight: start',
      'preflight: done in 50 ms',
      'snapshot: start',
      'snapshot: done in 10 ms',
      'transfer: start',
      'transfer src-a: 32.0 KiB 0% (all sources: 0%, 0/2 done)',
      // the rate is the director's own measure in binary units, never rsync's MB/s
      'transfer src-a: 10.0 MiB 40% 928.0 KiB/s ETA 16.5 s (all sources: 20%, 0/2 done)',
      'transfer src-a: 20.0 MiB 80% 930.9 KiB/s ETA 5.50 s (all sources: 40%, 0/2 done)',
      '  transfer src-a: 1120 files, 25.0 MiB, 25.0 MiB sent in 23.0 s',
      'warning: src-b: slow disk',
    ]);
    expect(text).not.toMatch(/MB\/s|kB/);
  });
});

describe('progressPrinter, on a terminal', () => {
  it('draws one bar with the phase and the progress across all sources, and clears it when finished', async () => {
    const { p, out } = run(true);
    p.finish();
    const text = out();
    // the last drawing before the bar is cleared: second source started, first done
    const drawn = [...text.matchAll(/\x1b\[1G(transfer [^\x1b]*)/g)].map((m) => m[1]);
    expect(drawn.at(-1)).toMatch(/^transfer +\[=+-+\] 50% {2}1\/2 sources {2}20\.0 MiB/);
    expect(text).toContain('warning: src-b: slow disk\n');
    // no line per phase or per source: the summary says those once
    expect(text).not.toContain('preflight: done');
    expect(text).not.toContain('transfer src-a:');
    expect(text).not.toMatch(/MB\/s|kB/);
    // cleared: the cursor back at the start of the bar's line, everything below erased
    expect(text.endsWith('\x1b[1G\x1b[0J')).toBe(true);
    const length = text.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(out().length, 'nothing drawn after finish').toBe(length);
    p.finish();
    expect(out().length).toBe(length);
  });

  it('keeps a failure as a line of its own and clears the bar on an error', async () => {
    const { p, out } = run(true, [
      [0, { type: 'phase-start', phase: 'transfer', at: 0 }],
      [0, { type: 'node', phase: 'transfer', node: 'src-a', status: 'start' }],
      [5, { type: 'node', phase: 'transfer', node: 'src-a', status: 'failed', durationMs: 5, detail: 'target has only 1.00 MiB free' }],
      [0, { type: 'phase-end', phase: 'transfer', at: 5, durationMs: 5, ok: false, error: 'src-a: out of space\nmore' }],
    ]);
    p.finish();
    const text = out();
    expect(text).toContain('  transfer src-a: FAILED: target has only 1.00 MiB free\n');
    expect(text).toContain('transfer: FAILED in 5 ms (src-a: out of space)\n');
    expect(text.endsWith('\x1b[1G\x1b[0J')).toBe(true);
    const length = text.length;
    await new Promise((r) => setTimeout(r, 250));
    expect(out().length).toBe(length);
  });
});
