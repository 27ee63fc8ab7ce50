import { describe, expect, it } from 'vitest';
import type { HealthRow } from '../engine/health.js';
import { nagiosStatus } from './render-health.js';

const row = (node: string, extra: Partial<HealthRow> = {}): HealthRow => ({ node, address: `${node}:7450`, ok: true, version: '0.1.0', roles: ['source'], problems: [], frozen: [], ...extra });
const HOUR = 3_600_000;

describe('nagiosStatus', () => {
  it('OK with perfdata when every node is healthy and the last backup is young', () => {
    const r = nagiosStatus({ nodes: [row('a'), row('b', { roles: ['target'] })], lastBackupMs: 1_000_000 - HOUR, maxAgeMs: 26 * HOUR, now: 1_000_000 });
    expect(r).toEqual({ code: 0, line: 'FREEZEFRAME OK - 2 nodes healthy, last backup 60m00s ago | nodes=2 healthy=2 problems=0 last_backup_age=3600s' });
  });

  it('WARNING for a leftover freeze, version skew or an old backup', () => {
    expect(nagiosStatus({ nodes: [row('a', { frozen: ['20240101_000000'] })] }).line).toMatch(/^FREEZEFRAME WARNING - a frozen by 20240101_000000 \| /);
    expect(nagiosStatus({ nodes: [row('a'), row('b', { version: '0.2.0' })] }).code).toBe(1);
    expect(nagiosStatus({ nodes: [row('a')], lastBackupMs: 0, maxAgeMs: 26 * HOUR, now: 30 * HOUR }).code).toBe(1);
  });

  it('CRITICAL for an unreachable node, a node with problems, no backup or a very old one; pipes never leak into the text', () => {
    const r = nagiosStatus({ nodes: [row('a'), { node: 'b', address: 'b:7450', ok: false, roles: [], problems: ['b: UNAVAILABLE | connection refused'], frozen: [] }] });
    expect(r.code).toBe(2);
    expect(r.line).toMatch(/^FREEZEFRAME CRITICAL - b unreachable \(b: UNAVAILABLE \/ connection refused\) \| nodes=2 healthy=1 problems=1$/);
    expect(nagiosStatus({ nodes: [row('a', { ok: false, problems: ['runDir not writable'] })] }).line).toMatch(/CRITICAL - a: runDir not writable/);
    expect(nagiosStatus({ nodes: [row('a')], maxAgeMs: HOUR }).line).toMatch(/CRITICAL - no complete backup on the target/);
    expect(nagiosStatus({ nodes: [row('a')], lastBackupMs: 0, maxAgeMs: HOUR, now: 3 * HOUR }).code).toBe(2);
  });

  it('turns row warnings (skew, services left stopped) into WARNING, never CRITICAL', () => {
    const r = nagiosStatus({ nodes: [row('a', { warnings: ["a: clock differs from the director's by 7.5 s (is NTP running?)"] } as Partial<HealthRow>), row('b', { warnings: ['left stopped by stop-services: docker web'] } as Partial<HealthRow>)] });
    expect(r.code).toBe(1);
    expect(r.line).toBe("FREEZEFRAME WARNING - a: clock differs from the director's by 7.5 s (is NTP running?); b: left stopped by stop-services: docker web | nodes=2 healthy=2 problems=2");
  });
});
