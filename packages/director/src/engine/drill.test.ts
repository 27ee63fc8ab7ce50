import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FfError, inventorySchema } from '@freezeframe/common';
import type { DrillCheckResult } from './core/drill-types.js';
import { gatherMetrics, metricsText } from './core/metrics.js';
import { newRunRecord, writeRunRecord, type RunRecord } from './core/records.js';
import { differencesText, drillHistory, drillShare, namingDrillDir } from './drill.js';
import { unusedRunId } from './core/records.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const stateDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'ff-drill-engine-'));
  dirs.push(d);
  return d;
};

const check = (extra: Partial<DrillCheckResult> = {}): DrillCheckResult => ({
  ok: true,
  filesRecorded: 10,
  filesExpected: 10,
  filesChecked: 10,
  bytesChecked: 1000,
  different: [],
  missing: [],
  extra: [],
  differentTotal: 0,
  missingTotal: 0,
  extraTotal: 0,
  problems: [],
  entries: ['a@+x'],
  durationMs: 5,
  ...extra,
});

function drillRecord(dir: string, id: string, endedAt: string, result: RunRecord['result'], c: DrillCheckResult = check(), deployment = 'uat'): void {
  const rec: RunRecord = { ...newRunRecord('drill', id, '20240101_000000', deployment), startedAt: endedAt, endedAt, durationMs: 1000, result };
  rec.drill = { node: 'n', dir: '/srv/drill', folder: `/srv/drill/${id}/restored`, removed: true, check: c };
  const file = writeRunRecord(dir, rec);
  utimesSync(file, new Date(endedAt), new Date(endedAt));
}

describe('drill', () => {
  it('drillShare: --sample over the inventory; 100% and none are the whole backup', () => {
    const inv = (sample?: string) => ({ drill: { node: 'n', dir: '/srv/d', ...(sample ? { sample } : {}) } });
    expect(drillShare(inv())).toBeUndefined();
    expect(drillShare(inv('10%'))).toBe(10);
    expect(drillShare(inv('10%'), 2.5)).toBe(2.5);
    expect(drillShare(inv(), 100)).toBeUndefined();
    expect(() => drillShare(inv(), 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { field: '--sample' } }));
  });

  it('the inventory: drill.dir absolute without "..", drill.sample a share; health.maxDrillAge 192h by default', () => {
    const base = { deployment: 'd', tls: { ca: 'a', cert: 'b', key: 'c' }, nodes: [{ name: 'n', address: 'h:1' }] };
    expect(inventorySchema.parse(base).health).toEqual({ maxAge: 26 * 3_600_000, maxDrillAge: 192 * 3_600_000 });
    expect(inventorySchema.parse({ ...base, drill: { node: 'n', dir: '/srv/d', sample: '2.5%' } }).drill).toEqual({ node: 'n', dir: '/srv/d', sample: '2.5%' });
    for (const drill of [{ node: 'n', dir: 'srv/d' }, { node: 'n', dir: '/srv/../etc' }, { node: 'n', dir: '/srv/d', sample: '0%' }, { node: 'n', dir: '/srv/d', sample: '101%' }, { node: 'n', dir: '/srv/d', sample: 10 }]) {
      expect(inventorySchema.safeParse({ ...base, drill }).success, JSON.stringify(drill)).toBe(false);
    }
  });

  it('differencesText names the first of each kind and the totals', () => {
    expect(differencesText(check({ ok: false, different: ['a: checksum differs'], differentTotal: 1, missing: ['b', 'c'], missingTotal: 12, problems: ['no record'] }))).toBe(
      '1 differ (a: checksum differs); 12 missing (b, c, ...); no record',
    );
  });

  it('namingDrillDir: a refusal of the request field dir becomes one of drill.dir; other errors pass', () => {
    const e = namingDrillDir(new FfError('INVALID_ARGUMENT', 'n1: dir "/x" is not inside any of node n1\'s restoreDirs (/srv)', { node: 'n1', hint: 'h', details: { field: 'dir' } }), '/x');
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', node: 'n1', hint: 'h', message: 'inventory drill.dir /x refused by n1: dir "/x" is not inside any of node n1\'s restoreDirs (/srv)', details: { field: 'drill.dir' } });
    const other = new FfError('UNAVAILABLE', 'n1: down');
    expect(namingDrillDir(other, '/x')).toBe(other);
  });

  it('unusedRunId waits for the next second when this one has a record', async () => {
    const dir = stateDir();
    let t = Date.parse('2024-03-01T10:00:00.900Z');
    const now = () => new Date(t);
    expect(await unusedRunId(dir, 'drill', now)).toBe('drill_20240301_100000');
    drillRecord(dir, 'drill_20240301_100000', '2024-03-01T10:00:00.000Z', 'ok');
    setTimeout(() => (t += 1000), 10);
    expect(await unusedRunId(dir, 'drill', now)).toBe('drill_20240301_100001');
    expect(await unusedRunId(dir, 'restore', now)).toBe('restore_20240301_100001');
  });

  it('drillHistory: the newest finished drill and the newest success; running ones and other deployments do not count', () => {
    const dir = stateDir();
    expect(drillHistory(dir, 'uat')).toEqual({});
    drillRecord(dir, 'drill_20240101_000000', '2024-01-01T00:01:00.000Z', 'ok');
    drillRecord(dir, 'drill_20240108_000000', '2024-01-08T00:01:00.000Z', 'failed', check({ ok: false, differentTotal: 1, different: ['x'] }));
    drillRecord(dir, 'drill_20240109_000000', '2024-01-09T00:01:00.000Z', 'ok', check(), 'prod');
    drillRecord(dir, 'drill_20240110_000000', '2024-01-10T00:00:00.000Z', 'running');
    expect(drillHistory(dir, 'uat')).toEqual({ last: { id: 'drill_20240108_000000', result: 'failed', endedMs: Date.parse('2024-01-08T00:01:00.000Z') }, lastOkMs: Date.parse('2024-01-01T00:01:00.000Z') });
  });

  it('metrics: the newest drill as kind "drill", with its files checked and differences', async () => {
    const dir = stateDir();
    drillRecord(dir, 'drill_20240101_000000', '2024-01-01T00:01:00.000Z', 'ok');
    drillRecord(dir, 'drill_20240108_000000', '2024-01-08T00:01:00.000Z', 'failed', check({ ok: false, filesChecked: 9, bytesChecked: 900, differentTotal: 1, missingTotal: 1, different: ['x'], missing: ['y'] }));
    const state = gatherMetrics(dir, 'uat');
    expect(state.runs.drill).toMatchObject({ result: 'failed', lastSuccessMs: Date.parse('2024-01-01T00:01:00.000Z'), drill: { filesChecked: 9, bytesChecked: 900, differences: 2 } });
    const text = await metricsText(state);
    expect(text).toContain('freezeframe_last_run_result{deployment="uat",kind="drill",result="failed"} 1\n');
    expect(text).toContain('freezeframe_last_success_timestamp_seconds{deployment="uat",kind="drill"} 1704067260\n');
    expect(text).toContain('freezeframe_last_drill_files_checked{deployment="uat"} 9\n');
    expect(text).toContain('freezeframe_last_drill_bytes_checked{deployment="uat"} 900\n');
    expect(text).toContain('freezeframe_last_drill_differences{deployment="uat"} 2\n');
    expect(text).not.toMatch(/kind="backup"/);
  });
});
