import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FfError } from '@freezeframe/common';
import { addTransfer, endPhase, finishRecord, newRunRecord, readRunRecord, startPhase, stateDirOf, writeRunRecord } from './records.js';

const dir = mkdtempSync(join(tmpdir(), 'ff-records-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('run records', () => {
  it('round-trips a record through runs/<id>.json with no temp file left behind', () => {
    const rec = newRunRecord('backup', '20240101_120000-nightly', '20240101_120000-nightly', 'uat');
    const p = startPhase(rec, 'transfer');
    p.nodes['web-1'] = { durationMs: 12, ok: true };
    endPhase(p, true);
    addTransfer(rec, 'web-1', 'web-1@+data', { filesTotal: 3, filesTransferred: 1, bytesTotal: 300, bytesTransferred: 100, bytesSent: 120, durationMs: 12, exitCode: 0 });
    addTransfer(rec, 'db-1', 'db-1@+data', { filesTotal: 2, filesTransferred: 2, bytesTotal: 50, bytesTransferred: 50, bytesSent: 60, durationMs: 5, exitCode: 0 });
    finishRecord(rec, new FfError('TARGET_FAILED', 'tag failed: target: pool full', { node: 'target', hint: 'free space' }));
    const file = writeRunRecord(dir, rec);
    expect(file).toBe(join(dir, 'runs', '20240101_120000-nightly.json'));
    expect(readdirSync(join(dir, 'runs'))).toEqual(['20240101_120000-nightly.json']);
    const back = readRunRecord(dir, '20240101_120000-nightly')!;
    expect(back.result).toBe('failed');
    expect(back.error).toEqual({ code: 'TARGET_FAILED', message: 'tag failed: target: pool full', hint: 'free space', node: 'target' });
    expect(back.bytesTotal).toBe(350);
    expect(back.filesTransferred).toBe(3);
    expect(back.phases[0]!.phase).toBe('transfer');
    expect(back.phases[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(back.transfers['web-1']!.entry).toBe('web-1@+data');
  });

  it('returns undefined for an unknown id and refuses ids that are paths', () => {
    expect(readRunRecord(dir, '20990101_000000')).toBeUndefined();
    expect(() => readRunRecord(dir, '../../etc/passwd')).toThrow(/not valid/);
  });

  it('defaults the state folder per deployment', () => {
    expect(stateDirOf({ deployment: 'uat', stateDir: '/var/lib/x' })).toBe('/var/lib/x');
    expect(stateDirOf({ deployment: 'uat' })).toMatch(/freezeframe\/uat$/);
  });
});
