import { describe, expect, it } from 'vitest';
import type { HealthRow } from '../engine/health.js';
import { nagiosStatus } from './render-health.js';

const row = (node: string, extra: Partial<HealthRow> = {}): HealthRow => ({ node, address: `${node}:7450`, ok: true, version: '0.1.0', roles: ['source'], problems: [], frozen: [], ...extra });
const HOUR = 3_600_000;

describe('nagiosStatus', () => {
  it('OK with perfdata when every node is healthy and the last backup is young', () => {
    const r = nagiosStatus({ nodes: [row('a'), row('b', { roles: ['target'] })], lastBackupMs: 1_000_000 - HOUR, maxAgeMs: 26 * HOUR, now: 1_000_000 });
    expect(r).toEqual({ code: 0, line: 'FREEZEFRAME OK - 2 nodes healthy, last backup 1h00m ago | nodes=2 healthy=2 warning=0 critical=0 last_backup_age=3600s;93600;187200;0' });
  });

  it('WARNING for a leftover freeze, version skew or an old backup', () => {
    expect(nagiosStatus({ nodes: [row('a', { frozen: ['20240101_000000'] })] }).line).toMatch(/^FREEZEFRAME WARNING - a frozen by 20240101_000000 \| /);
    expect(nagiosStatus({ nodes: [row('a'), row('b', { version: '0.2.0' })] }).code).toBe(1);
    expect(nagiosStatus({ nodes: [row('a')], lastBackupMs: 0, maxAgeMs: 26 * HOUR, now: 30 * HOUR }).code).toBe(1);
  });

  it('a remote target warns, never CRITICAL: its newest backup older than maxAge, none yet, or a problem; OK when it is young', () => {
    const base = { nodes: [row('a', { roles: ['target'] })], lastBackupMs: 30 * HOUR - HOUR, maxAgeMs: 26 * HOUR, now: 30 * HOUR };
    const young = nagiosStatus({ ...base, remotes: [{ remote: 'offsite', address: 'o:7450', behind: 0, newest: { id: '20260101_000000', createdMs: 30 * HOUR - 2 * HOUR } }] });
    expect(young.code).toBe(0);
    expect(young.line).toContain('remotes_behind=0;;;0');
    const old = nagiosStatus({ ...base, remotes: [{ remote: 'offsite', address: 'o:7450', behind: 3, newest: { id: '20260101_000000', createdMs: 0 } }] });
    expect(old.code).toBe(1);
    expect(old.line).toContain('remote offsite: newest backup 20260101_000000 is 30h00m old (warning over 26h00m), 3 behind');
    expect(nagiosStatus({ ...base, remotes: [{ remote: 'offsite', address: 'o:7450', behind: 2 }] }).line).toContain('remote offsite holds no backup yet');
    const down = nagiosStatus({ ...base, remotes: [{ remote: 'offsite', address: 'o:7450', behind: 0, problem: 'offsite: o:7450 refused the connection' }] });
    expect(down.code).toBe(1);
    expect(down.line).toContain('remote offsite: o:7450 refused the connection');
  });

  it('CRITICAL for an unreachable node, a node with problems, no backup or a very old one; pipes never leak into the text', () => {
    const r = nagiosStatus({ nodes: [row('a'), { node: 'b', address: 'b:7450', ok: false, roles: [], problems: ['b: UNAVAILABLE | connection refused'], frozen: [] }] });
    expect(r.code).toBe(2);
    expect(r.line).toMatch(/^FREEZEFRAME CRITICAL - b unreachable \(b: UNAVAILABLE \/ connection refused\) \| nodes=2 healthy=1 warning=0 critical=1$/);
    expect(nagiosStatus({ nodes: [row('a', { ok: false, problems: ['runDir not writable'] })] }).line).toMatch(/CRITICAL - a: runDir not writable/);
    expect(nagiosStatus({ nodes: [row('a')], maxAgeMs: HOUR }).line).toMatch(/CRITICAL - no complete backup on the target/);
    expect(nagiosStatus({ nodes: [row('a')], lastBackupMs: 0, maxAgeMs: HOUR, now: 3 * HOUR }).code).toBe(2);
  });

  it('turns row warnings (skew, services left stopped) into WARNING, never CRITICAL', () => {
    const r = nagiosStatus({ nodes: [row('a', { warnings: ["a: clock differs from the director's by 7.5 s (is NTP running?)"] } as Partial<HealthRow>), row('b', { warnings: ['left stopped by stop-services: docker web'] } as Partial<HealthRow>)] });
    expect(r.code).toBe(1);
    expect(r.line).toBe("FREEZEFRAME WARNING - a: clock differs from the director's by 7.5 s (is NTP running?); b: left stopped by stop-services: docker web | nodes=2 healthy=0 warning=2 critical=0");
  });

  it('counts each node once in the perfdata: frozen nodes are warnings, not problems (nodes = healthy + warning + critical)', () => {
    const r = nagiosStatus({ nodes: [row('a', { frozen: ['20240101_000000'] }), row('b', { frozen: ['20240101_000000'] }), row('c')] });
    expect(r.code).toBe(1);
    expect(r.line).toMatch(/\| nodes=3 healthy=1 warning=2 critical=0$/);
    const mixed = nagiosStatus({ nodes: [row('a', { ok: false, problems: ['disk'], frozen: ['x'] }), row('b', { frozen: ['x'] }), row('c')] });
    expect(mixed.line).toMatch(/\| nodes=3 healthy=1 warning=1 critical=1$/);
  });

  it('gives the age thresholds in the perfdata; 0 or no maxAge checks no age; an unreachable target is not "no backup"', () => {
    const old = nagiosStatus({ nodes: [row('a')], lastBackupMs: 0, maxAgeMs: 26 * HOUR, now: 30 * HOUR });
    expect(old.line).toBe('FREEZEFRAME WARNING - last backup is 30h00m old (warning over 26h00m) | nodes=1 healthy=1 warning=0 critical=0 last_backup_age=108000s;93600;187200;0');
    expect(nagiosStatus({ nodes: [row('a')], maxAgeMs: 0 }).code).toBe(0);
    const down = nagiosStatus({ nodes: [{ node: 't', address: 't:1', ok: false, roles: [], problems: ['t: UNAVAILABLE'], frozen: [] }], maxAgeMs: HOUR, targetReachable: false });
    expect(down.line).not.toMatch(/no complete backup/);
  });

  it('with drills configured: WARNING when none ran, the newest failed or did not finish, or the last good one is too old; its age in the perfdata', () => {
    const DAY = 24 * HOUR;
    const base = { nodes: [row('a')], now: 30 * DAY };
    const drill = (d: object) => ({ ...base, drill: { maxAgeMs: 8 * DAY, ...d } });
    expect(nagiosStatus(drill({})).line).toBe('FREEZEFRAME WARNING - no restore drill has run yet (freezeframe drill) | nodes=1 healthy=1 warning=0 critical=0');
    const good = nagiosStatus(drill({ last: { id: 'drill_x', result: 'ok', endedMs: 29 * DAY }, lastOkMs: 29 * DAY }));
    expect(good).toEqual({ code: 0, line: 'FREEZEFRAME OK - 1 nodes healthy, last drill 24h00m ago | nodes=1 healthy=1 warning=0 critical=0 last_drill_age=86400s;691200;;0' });
    const failed = nagiosStatus(drill({ last: { id: 'drill_y', result: 'failed', endedMs: 29 * DAY }, lastOkMs: 20 * DAY }));
    expect(failed.code).toBe(1);
    expect(failed.line).toMatch(/^FREEZEFRAME WARNING - newest restore drill drill_y FAILED 24h00m ago \(freezeframe show drill_y\) \| .* last_drill_age=864000s;691200;;0$/);
    expect(nagiosStatus(drill({ last: { id: 'drill_z', result: 'incomplete', endedMs: 29 * DAY } })).line).toMatch(/newest restore drill drill_z did not finish/);
    expect(nagiosStatus(drill({ last: { id: 'drill_x', result: 'ok', endedMs: 20 * DAY }, lastOkMs: 20 * DAY })).line).toMatch(/^FREEZEFRAME WARNING - last restore drill is 240h00m old \(warning over 192h00m\)/);
    // never CRITICAL for drills; without drills (or with maxAge 0) nothing is said of them
    expect(nagiosStatus(drill({ last: { id: 'drill_y', result: 'failed', endedMs: 0 } })).code).toBe(1);
    expect(nagiosStatus(base).line).not.toContain('drill');
    expect(nagiosStatus({ ...base, drill: { maxAgeMs: 0 } }).code).toBe(0);
  });
});
