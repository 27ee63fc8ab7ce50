import { describe, expect, it } from 'vitest';
import { newRunRecord } from '../engine/core/records.js';
import type { StatusResult } from '../engine/status.js';
import { renderDetached, renderStatus, statusLine } from './render.js';

const NOW = Date.parse('2026-01-01T02:01:00Z');

function running(alive: boolean): StatusResult {
  const rec = newRunRecord('backup', '20260101_020000', '20260101_020000', 'prod');
  rec.startedAt = '2026-01-01T02:00:00.000Z';
  rec.phases.push({ phase: 'preflight', startedAt: rec.startedAt, endedAt: rec.startedAt, durationMs: 210, ok: true, nodes: {} });
  rec.phases.push({ phase: 'transfer', startedAt: rec.startedAt, nodes: {} });
  rec.progress = { pid: 4242, phase: 'transfer', updatedAt: '2026-01-01T02:00:58.000Z', transfers: { 'db-1': { bytes: 3 << 20, percent: 40, rate: '10MB/s', done: false }, 'web-1': { bytes: 1 << 20, percent: 100, rate: '', done: true } } };
  const last = newRunRecord('backup', '20251231_020000', '20251231_020000', 'prod');
  last.result = 'ok';
  last.durationMs = 90_000;
  return {
    deployment: 'prod',
    stateDir: '/var/lib/freezeframe/prod',
    running: { job: { kind: 'backup', id: '20260101_020000', pid: 4242, host: 'director', startedAt: '2026-01-01T02:00:00.000Z', log: '/var/lib/freezeframe/prod/logs/20260101_020000.log' }, alive, record: rec },
    last,
  };
}

describe('status for humans', () => {
  it('a running backup: id, pid, log, phase, each source, how fresh, and the run before it', () => {
    const text = renderStatus(running(true), NOW);
    expect(text.split('\n').slice(0, 7)).toEqual([
      'backup 20260101_020000 RUNNING for 1m00s (pid 4242 on director, started 2026-01-01T02:00:00.000Z)',
      'log: /var/lib/freezeframe/prod/logs/20260101_020000.log',
      'phase: transfer  (preflight 210 ms, transfer ...)',
      'source  sent      done  rate',
      'db-1    3.00 MiB  40%   10MB/s',
      'web-1   1.00 MiB  done',
      'updated 2.00 s ago',
    ]);
    expect(text).toContain('before it:\n  backup 20251231_020000 OK in 1m30s');
  });

  it('a director that died: said so, with the command that resumes the backup', () => {
    const text = renderStatus(running(false), NOW);
    expect(text).toMatch(/^backup 20260101_020000: its director \(pid 4242\) is GONE without cleaning up/);
    expect(text).toContain('freezeframe backup --resume 20260101_020000');
  });

  it('nothing running: the last run', () => {
    const s = running(true);
    delete s.running;
    expect(renderStatus(s, NOW)).toMatch(/^no backup or restore running \(deployment prod\)\nlast run:\n {2}backup 20251231_020000 OK/);
  });

  it('--follow lines and the detached start', () => {
    expect(statusLine(running(true).running!)).toBe('backup 20260101_020000: transfer (db-1 40% 3.00 MiB, web-1 done)');
    expect(renderDetached({ kind: 'backup', id: '20260101_020000', how: 'session', pid: 77, log: '/s/logs/20260101_020000.log' })).toBe(
      [
        'backup 20260101_020000 started in the background (a session of its own, pid 77)',
        'log: /s/logs/20260101_020000.log',
        'follow it: freezeframe status --follow',
        'stop it:   kill -INT 77',
      ].join('\n'),
    );
  });
});
