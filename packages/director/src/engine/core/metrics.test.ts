import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gatherMetrics, metricsText } from './metrics.js';
import { newRunRecord, writeRunRecord, type RunRecord } from './records.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A finished backup record ending at `endedAt`, written with that modification time. */
function backupRecord(stateDir: string, id: string, endedAt: string, result: RunRecord['result'], extra: Partial<RunRecord> = {}): void {
  const rec: RunRecord = { ...newRunRecord('backup', id, id, 'uat'), startedAt: endedAt, endedAt, durationMs: 65_000, result, ...extra };
  const file = writeRunRecord(stateDir, rec);
  const t = new Date(endedAt);
  utimesSync(file, t, t);
}

describe('metrics', () => {
  it('carry the last success across a failed run; the newest run gives the result, phases and sources', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'ff-metrics-'));
    dirs.push(stateDir);
    backupRecord(stateDir, '20240101_020000', '2024-01-01T02:01:05.000Z', 'ok', {
      retention: { target: 'tgt', policy: { last: 7, daily: 0, weekly: 0, monthly: 0 }, dryRun: false, kept: [{ id: 'a', reasons: ['last'] }, { id: 'b', reasons: ['last'] }], pruned: [], failed: [] },
      target: { node: 'tgt', freeBytes: 5_000 },
    });
    backupRecord(stateDir, '20240102_020000', '2024-01-02T02:01:05.000Z', 'failed', {
      phases: [{ phase: 'preflight', startedAt: '', durationMs: 250, ok: true, nodes: {} }, { phase: 'transfer', startedAt: '', durationMs: 60_000, ok: false, nodes: {} }],
      transfers: { 'src-1': { entry: 'src-1@+data', filesTotal: 10, filesTransferred: 3, bytesTotal: 1000, bytesTransferred: 300, bytesSent: 320, durationMs: 1500, exitCode: 0 } },
      freezeWindow: { firstPauseMs: 0, lastThawMs: 1200, durationMs: 1200, heldThroughTransfer: false, hosts: ['src-1'] },
      target: { node: 'tgt', freeBytes: 4_000 },
    });
    // a run that is still going (or crashed) says nothing yet
    backupRecord(stateDir, '20240103_020000', '2024-01-03T02:00:00.000Z', 'running');

    const state = gatherMetrics(stateDir, 'uat');
    expect(state.runs.backup).toMatchObject({ result: 'failed', lastSuccessMs: Date.parse('2024-01-01T02:01:05.000Z'), durationMs: 65_000 });
    expect(state.backupsKept).toBe(2); // from the newest backup that applied retention
    expect(state.target).toEqual({ node: 'tgt', freeBytes: 4_000 });

    const text = await metricsText(state);
    const l = 'deployment="uat",kind="backup"';
    expect(text).toContain(`freezeframe_last_success_timestamp_seconds{${l}} 1704074465\n`);
    expect(text).toContain(`freezeframe_last_run_timestamp_seconds{${l}} 1704160865\n`);
    expect(text).toContain(`freezeframe_last_run_success{${l}} 0\n`);
    expect(text).toContain(`freezeframe_last_run_result{${l},result="failed"} 1\n`);
    expect(text).toContain(`freezeframe_last_run_result{${l},result="ok"} 0\n`);
    expect(text).toContain(`freezeframe_last_run_phase_duration_seconds{${l},phase="transfer"} 60\n`);
    expect(text).toContain(`freezeframe_last_run_source_sent_bytes{${l},source="src-1"} 320\n`);
    expect(text).toContain(`freezeframe_last_run_source_files{${l},source="src-1"} 10\n`);
    expect(text).toContain('freezeframe_last_backup_freeze_window_seconds{deployment="uat"} 1.2\n');
    expect(text).toContain('freezeframe_target_free_bytes{deployment="uat",target="tgt"} 4000\n');
    expect(text).toContain('freezeframe_backups_kept{deployment="uat"} 2\n');
    expect(text).not.toMatch(/kind="restore"|kind="prune"/);
  });

  it('are empty but valid without any record', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'ff-metrics-'));
    dirs.push(stateDir);
    const text = await metricsText(gatherMetrics(stateDir, 'uat'));
    expect(text).toContain('# HELP freezeframe_last_success_timestamp_seconds');
    expect(text).not.toMatch(/^freezeframe_/m);
  });
});
