import { describe, expect, it } from 'vitest';
import type { HealthReportRow } from './health.js';
import { stabilityOf } from './stability.js';

const row = (node: string, extra: Partial<HealthReportRow> = {}): HealthReportRow => ({
  node, address: `${node}:7450`, ok: true, version: '0.1.0', roles: ['source'], problems: [], frozen: [], warnings: [], checks: [], services: [], servicesStopped: [], ...extra,
});

describe('stabilityOf', () => {
  it('is ok when every agent answers, nothing is frozen and no lock is held', () => {
    expect(stabilityOf([row('a'), row('t', { roles: ['target'] })])).toEqual({ ok: true, nodes: [{ node: 'a', ok: true, problems: [], warnings: [] }, { node: 't', ok: true, problems: [], warnings: [] }] });
  });

  it('names an unreachable node, a freeze, a lock left and the agent\'s problems', () => {
    const s = stabilityOf([
      row('a', { version: undefined, ok: false, problems: ['a: UNAVAILABLE connection refused'] }),
      row('b', { frozen: ['20240101_000000'] }),
      row('t', { targetLockedBy: '20240101_000000', targetLockPurpose: 'backup', ok: false, problems: ['t: pool p is DEGRADED; errors: -'] }),
    ]);
    expect(s.ok).toBe(false);
    expect(s.nodes.map((n) => [n.node, n.ok, n.problems])).toEqual([
      ['a', false, ['UNAVAILABLE connection refused']],
      ['b', false, ['frozen by 20240101_000000']],
      ['t', false, ['pool p is DEGRADED; errors: -', 'target locked by backup 20240101_000000']],
    ]);
  });

  it('only warns when an application does not answer: the restore is what fixes it', () => {
    const down = 'c: cassandra does not answer nodetool status: refused';
    const s = stabilityOf([row('c', { ok: false, problems: [down], checks: [{ name: 'cassandra', ok: false, detail: down, application: true }] })]);
    expect(s).toEqual({ ok: true, nodes: [{ node: 'c', ok: true, problems: [], warnings: ['cassandra does not answer nodetool status: refused'] }] });
  });

  it('before a restore, a lock left by a restore only warns (its rerun takes it over); after one, any lock is a problem', () => {
    const t = row('t', { roles: ['target'], targetLockedBy: '20240101_000000', targetLockPurpose: 'restore' });
    expect(stabilityOf([t], { beforeRestore: true })).toEqual({ ok: true, nodes: [{ node: 't', ok: true, problems: [], warnings: ['target locked by restore 20240101_000000 (a rerun of that restore takes it over)'] }] });
    expect(stabilityOf([t]).ok).toBe(false);
    expect(stabilityOf([{ ...t, targetLockPurpose: 'backup' }], { beforeRestore: true }).ok).toBe(false);
  });
});
