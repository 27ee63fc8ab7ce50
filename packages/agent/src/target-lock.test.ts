import { silentLogger } from '@freezeframe/common';
import { describe, expect, it } from 'vitest';
import { TargetLock } from './target-lock.js';

const lockWith = (sessions = 0) => new TargetLock({ node: 'tgt', log: silentLogger, activeSessions: () => sessions });
const req = (over: Partial<Parameters<TargetLock['lock']>[0]> = {}) => ({ backupId: '20240101_000000', leaseMs: 1000, purpose: 'backup', holder: 'run-a', takeover: false, ...over });

describe('TargetLock', () => {
  it('takes, renews and releases; another holder is refused naming the lock', () => {
    const l = lockWith();
    const t = Date.now();
    expect(l.lock(req(), t)).toMatchObject({ renewed: false, lock: { holder: 'run-a', expires: t + 1000 } });
    expect(l.lock(req({ leaseMs: 60_000 }), t + 500)).toMatchObject({ renewed: true, lock: { expires: t + 60_500 } });
    expect(() => l.lock(req({ holder: 'run-b', backupId: '20240102_000000' }), t + 600)).toThrow(/target tgt is locked by backup 20240101_000000 .*held by run-a/);
    expect(l.unlock('20240101_000000', 'run-b')).toBe(false);
    expect(l.unlock('20240101_000000', 'run-a')).toBe(true);
    expect(l.current()).toBeUndefined();
  });

  it('an expired lease is dropped; a resuming run takes over its own backup id', () => {
    const l = lockWith();
    l.lock(req(), 0);
    expect(l.current(999)).toBeDefined();
    expect(l.current(1000)).toBeUndefined();
    l.lock(req(), 2000);
    expect(l.lock(req({ holder: 'run-b', takeover: true }), 2100)).toMatchObject({ takenOverFrom: 'run-a', lock: { holder: 'run-b' } });
  });

  it('refuses bad purposes and holders', () => {
    expect(() => lockWith().lock(req({ purpose: 'x' }))).toThrow(/purpose/);
    expect(() => lockWith().lock(req({ holder: 'a b' }))).toThrow(/holder/);
  });

  it('an implicit receive lock is taken over only while nothing is received', () => {
    const busy = lockWith(1);
    busy.receive('20240101_000000');
    expect(() => busy.receive('20240102_000000')).toThrow(/locked by backup 20240101_000000/);
    const idle = lockWith(0);
    idle.receive('20240101_000000');
    idle.receive('20240102_000000');
    expect(idle.current()?.backupId).toBe('20240102_000000');
    idle.tagged('20240102_000000');
    expect(idle.current()).toBeUndefined();
  });
});
