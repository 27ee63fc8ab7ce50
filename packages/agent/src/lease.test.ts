import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@freezeframe/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FreezeLease } from './lease.js';
import type { FreezeProvider } from './providers/freeze/types.js';

/** Records what it paused; the lease logic is what is under test here. */
function fakeProvider() {
  const paused = new Set<string>();
  const calls: string[] = [];
  const p: FreezeProvider & { paused: Set<string>; calls: string[] } = {
    kind: 'fake',
    paused,
    calls,
    async freeze() {
      calls.push('freeze');
      paused.add('app-1');
      paused.add('app-2');
      return ['app-1', 'app-2'];
    },
    async thaw(ids) {
      calls.push(`thaw ${ids.join(',')}`);
      const done = ids.filter((i) => paused.delete(i));
      return done;
    },
    async checks() {
      return [];
    },
  };
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('FreezeLease', () => {
  let runDir: string;
  beforeEach(() => {
    runDir = mkdtempSync(join(tmpdir(), 'ff-lease-'));
  });
  afterEach(() => rmSync(runDir, { recursive: true, force: true }));

  it('freezes, records before returning, renews, thaws exactly what it froze', async () => {
    const p = fakeProvider();
    const lease = new FreezeLease({ provider: p, runDir, maxLeaseMs: 60_000, log: silentLogger });
    const r = await lease.freeze('20240101_000000', 10_000);
    expect(r).toMatchObject({ frozen: ['app-1', 'app-2'], renewed: false });
    expect(r.leaseExpiresUnixMs - r.pausedAtUnixMs).toBe(10_000);
    expect(JSON.parse(readFileSync(join(runDir, 'frozen.json'), 'utf8'))).toMatchObject({ backupId: '20240101_000000', ids: ['app-1', 'app-2'] });

    const again = await lease.freeze('20240101_000000', 20_000);
    expect(again.renewed).toBe(true);
    expect(again.pausedAtUnixMs).toBe(r.pausedAtUnixMs);
    expect(p.calls).toEqual(['freeze']);

    const t = await lease.thaw('20240101_000000');
    expect(t).toMatchObject({ thawed: ['app-1', 'app-2'], wasFrozen: true });
    expect(p.paused.size).toBe(0);
    expect(existsSync(join(runDir, 'frozen.json'))).toBe(false);
    expect(lease.holders()).toEqual([]);
  });

  it('refuses a second backup while frozen, naming the holder', async () => {
    const lease = new FreezeLease({ provider: fakeProvider(), runDir, maxLeaseMs: 60_000, log: silentLogger });
    await lease.freeze('20240101_000000', 10_000);
    await expect(lease.freeze('20240102_000000', 10_000)).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringContaining('20240101_000000'),
    });
    await lease.thaw('20240101_000000');
  });

  it('thaw of an unknown id is idempotent', async () => {
    const p = fakeProvider();
    const lease = new FreezeLease({ provider: p, runDir, maxLeaseMs: 60_000, log: silentLogger });
    expect(await lease.thaw('20240101_000000')).toMatchObject({ wasFrozen: false, thawed: [] });
    await lease.freeze('20240101_000000', 10_000);
    expect(await lease.thaw('20240109_000000')).toMatchObject({ wasFrozen: false });
    expect(p.paused.size).toBe(2);
    await lease.thaw('20240101_000000');
    expect(await lease.thaw('20240101_000000')).toMatchObject({ wasFrozen: false });
  });

  it('thaws by itself when the lease expires; caps and defaults the lease', async () => {
    const p = fakeProvider();
    const lease = new FreezeLease({ provider: p, runDir, maxLeaseMs: 150, defaultLeaseMs: 100, log: silentLogger });
    const r = await lease.freeze('20240101_000000', 60_000);
    expect(r.leaseExpiresUnixMs - r.pausedAtUnixMs).toBe(150);
    await sleep(300);
    expect(p.paused.size).toBe(0);
    expect(lease.holders()).toEqual([]);
    expect(existsSync(join(runDir, 'frozen.json'))).toBe(false);

    const d = await lease.freeze('20240101_000001', 0);
    expect(d.leaseExpiresUnixMs - d.pausedAtUnixMs).toBe(100);
    await lease.thaw('20240101_000001');
  });

  it('a renewal keeps the freeze past the first expiry', async () => {
    const p = fakeProvider();
    const lease = new FreezeLease({ provider: p, runDir, maxLeaseMs: 60_000, log: silentLogger });
    // wide margins: timers run late on a busy machine
    await lease.freeze('20240101_000000', 1000);
    await sleep(600);
    await lease.freeze('20240101_000000', 1000);
    await sleep(600);
    expect(p.paused.size).toBe(2);
    await sleep(800);
    expect(p.paused.size).toBe(0);
  });

  it('caps the whole freeze across renewals: thaws at the cap counted from the first pause, then refuses that id', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const p = fakeProvider();
      const lease = new FreezeLease({ provider: p, runDir, maxLeaseMs: 60_000, maxTotalMs: 10_000, log: silentLogger });
      const first = await lease.freeze('20240101_000000', 3_000);
      // a director that renews every second, forever
      for (let t = 1; t <= 9; t++) {
        await vi.advanceTimersByTimeAsync(1_000);
        const r = await lease.freeze('20240101_000000', 3_000);
        expect(r.renewed).toBe(true);
        expect(r.leaseExpiresUnixMs).toBeLessThanOrEqual(first.pausedAtUnixMs + 10_000);
      }
      expect(p.paused.size).toBe(2);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(p.paused.size).toBe(0);
      expect(lease.holders()).toEqual([]);
      await expect(lease.freeze('20240101_000000', 3_000)).rejects.toMatchObject({
        code: 'FREEZE_FAILED',
        message: expect.stringMatching(/backup 20240101_000000 reached this agent's total freeze cap freezeMaxTotal \(10 s\)/),
      });
      // never paused again for that id; another backup freezes as usual
      expect(p.calls).toEqual(['freeze', 'thaw app-1,app-2']);
      expect((await lease.freeze('20240101_000001', 1_000)).renewed).toBe(false);
      await lease.thaw('20240101_000001');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a renewal that arrives after the cap (the timer ran late) thaws and is refused; the cap comes from freeze() when given', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const p = fakeProvider();
      const lease = new FreezeLease({ provider: p, runDir, maxLeaseMs: 60_000, maxTotalMs: 60_000, log: silentLogger });
      await lease.freeze('20240101_000000', 30_000, 5_000);
      vi.setSystemTime(Date.now() + 5_001); // the clock moves, the timer has not fired yet
      await expect(lease.freeze('20240101_000000', 30_000, 5_000)).rejects.toMatchObject({ code: 'FREEZE_FAILED', message: expect.stringContaining('freezeMaxTotal (5 s)') });
      expect(p.paused.size).toBe(0);
      expect(existsSync(join(runDir, 'frozen.json'))).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('recovers a recorded freeze at start', async () => {
    const p = fakeProvider();
    p.paused.add('left-1');
    writeFileSync(join(runDir, 'frozen.json'), JSON.stringify({ backupId: '20240101_000000', ids: ['left-1'], since: 1 }));
    const lease = new FreezeLease({ provider: p, runDir, maxLeaseMs: 60_000, log: silentLogger });
    expect(await lease.recover()).toEqual(['left-1']);
    expect(existsSync(join(runDir, 'frozen.json'))).toBe(false);
    expect(await lease.recover()).toEqual([]);
  });

  it('undoes the freeze when it cannot be recorded', async () => {
    const p = fakeProvider();
    const file = join(runDir, 'not-a-dir');
    writeFileSync(file, '');
    const lease = new FreezeLease({ provider: p, runDir: file, maxLeaseMs: 60_000, log: silentLogger });
    await expect(lease.freeze('20240101_000000', 1000)).rejects.toMatchObject({ code: 'FREEZE_FAILED' });
    expect(p.paused.size).toBe(0);
    expect(lease.holders()).toEqual([]);
  });
});
