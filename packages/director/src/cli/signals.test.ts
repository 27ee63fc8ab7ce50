import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { watchRunSignals, type RunSignal, type SignalSource } from './signals.js';

function fakeProcess() {
  const em = new EventEmitter();
  const src: SignalSource = { on: (s, fn) => em.on(s, fn), off: (s, fn) => em.off(s, fn) };
  return { src, send: (s: RunSignal) => em.emit(s), count: (s: RunSignal) => em.listenerCount(s) };
}

describe('signals of a run', () => {
  it('SIGINT aborts with its name and says what happens; a second one exits at once with 130', () => {
    const p = fakeProcess();
    const said: string[] = [];
    const exits: number[] = [];
    const w = watchRunSignals(p.src, { what: () => 'backup 20250101_020000', say: (l) => said.push(l), exitNow: (c) => exits.push(c) });
    p.send('SIGINT');
    expect(w.signal.aborted).toBe(true);
    expect(w.signal.reason).toBe('SIGINT');
    expect(said[0]).toBe('SIGINT: stopping backup 20250101_020000 cleanly (thaw, release snapshots, unlock); Ctrl-C again to exit at once');
    expect(exits).toEqual([]);
    p.send('SIGINT');
    expect(exits).toEqual([130]);
    w.dispose();
    expect([p.count('SIGINT'), p.count('SIGTERM'), p.count('SIGHUP')]).toEqual([0, 0, 0]);
  });

  it('SIGTERM aborts too (systemctl stop); again: exit 143', () => {
    const p = fakeProcess();
    const exits: number[] = [];
    const w = watchRunSignals(p.src, { what: () => 'restore restore_x', say: () => {}, exitNow: (c) => exits.push(c) });
    p.send('SIGTERM');
    expect(w.signal.reason).toBe('SIGTERM');
    p.send('SIGTERM');
    expect(exits).toEqual([143]);
  });

  it('SIGHUP does not stop the run', () => {
    const p = fakeProcess();
    const said: string[] = [];
    const w = watchRunSignals(p.src, { what: () => 'backup b', say: (l) => said.push(l), exitNow: () => {} });
    p.send('SIGHUP');
    expect(w.signal.aborted).toBe(false);
    expect(said).toEqual(['SIGHUP: the terminal is gone; backup b goes on (`freezeframe status` shows it)']);
  });
});
