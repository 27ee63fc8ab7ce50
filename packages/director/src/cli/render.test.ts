import { describe, expect, it } from 'vitest';
import { renderBackup, renderRestorePlan, renderRestoreRun, renderShow, scopeLines } from './render.js';

type BackupResult = Parameters<typeof renderBackup>[0];
type Record = BackupResult['record'];
type RestoreRun = Parameters<typeof renderRestoreRun>[0];

const PHASES = ['preflight', 'freeze', 'snapshot', 'transfer', 'thaw', 'tag', 'release', 'retention'] as const;
const at = (ms: number) => new Date(Date.UTC(2026, 10, 28, 11, 10, 17) + ms).toISOString();
const nodes = (names: string[], ms: number) => Object.fromEntries(names.map((n) => [n, { durationMs: ms, ok: true }]));
const SOURCES = ['app-1', 'app-2', 'db-1'];
const transfer = (name: string, changed: number, recheck: number) => ({
  entry: `${name}@+srv+${name}+data`,
  filesTotal: 1126,
  filesTransferred: changed,
  bytesTotal: 1_286_831,
  bytesTransferred: 9300,
  bytesSent: 40_110,
  durationMs: 303,
  exitCode: 0,
  recheckFiles: recheck,
  rechecked: recheck,
});

/** The record of the demo's second backup (a real run), entries shortened. */
const record: Record = {
  kind: 'backup',
  id: '20261128_111017-demo-2',
  backupId: '20261128_111017-demo-2',
  deployment: 'demo',
  startedAt: at(0),
  endedAt: at(2164),
  durationMs: 2164,
  result: 'ok',
  phases: PHASES.map((phase, i) => ({
    phase,
    startedAt: at(i * 100),
    endedAt: at(i * 100 + 40),
    durationMs: phase === 'transfer' ? 1895 : 9 + i,
    ok: true,
    nodes: nodes(phase === 'preflight' ? [...SOURCES, 'backup-target'] : phase === 'tag' || phase === 'retention' ? ['backup-target'] : SOURCES, 8),
  })),
  transfers: { 'app-1': transfer('app-1', 51, 0), 'app-2': transfer('app-2', 102, 51), 'db-1': transfer('db-1', 680, 630) },
  bytesTotal: 3_900_489,
  bytesTransferred: 27_900,
  filesTotal: 3378,
  filesTransferred: 833,
  versions: { 'backup-target': '0.1.0', 'app-1': '0.1.0', 'app-2': '0.1.0', 'db-1': '0.1.0' },
  warnings: [
    'backup-target cannot store more than 65000 hard links to one file (ext4): a backup fails, naming the file, if a source has any (list hardlinks in its target.unsupported to back up without them)',
    'freeze held through the transfers: app-1 (dir), app-2 (dir), db-1 (dir) cannot snapshot',
  ],
  freezeWindow: { firstPauseMs: 1, lastThawMs: 1937, durationMs: 1936, heldThroughTransfer: true, hosts: SOURCES },
  snapshot: '/srv/backups/20261128_111017-demo-2',
  retention: {
    target: 'backup-target',
    policy: { last: 7, daily: 14, weekly: 8, monthly: 12 },
    dryRun: false,
    kept: [
      { id: '20261128_111017-demo-2', reasons: ['last', 'this run'] },
      { id: '20261128_111014-demo-1', reasons: ['last'] },
    ],
    pruned: [],
    failed: [],
  } as unknown as Record['retention'],
};
const backup: BackupResult = { backupId: record.backupId, snapshot: record.snapshot!, record, recordFile: '/var/lib/freezeframe/runs/20261128_111017-demo-2.json' };

/** Every unit of a byte count or rate in the text. */
const units = (text: string) => [...text.matchAll(/\d(?:\.\d+)? ?([KMGT]?i?B(?:\/s)?|[kKMGT]B|bytes)\b/g)].map((m) => m[1]);

describe('backup summary', () => {
  const text = renderBackup(backup);
  const lines = text.split('\n');

  it('is short: the outcome, each phase once, the freeze window, one row per source, warnings, the record', () => {
    expect(lines.length, text).toBeLessThanOrEqual(16);
    expect(lines[0]).toBe(`backup ${record.backupId} OK in 2.16 s  (deployment demo, started ${record.startedAt}, agents 0.1.0)`);
    for (const p of PHASES) expect(text.match(new RegExp(`\\b${p} \\d+(\\.\\d+)? m?s\\b`, 'g')), p).toHaveLength(1);
    expect(text).toContain('freeze window 1.94 s on app-1, app-2, db-1');
    for (const s of SOURCES) expect(lines.filter((l) => l.startsWith(`${s} `)), s).toHaveLength(1);
    expect(text).toMatch(/^app-1 +1126 +51 +1\.23 MiB +9\.08 KiB +303 ms +129\.3 KiB\/s$/m);
    expect(text).toContain('compared by content (mtime in the second of an earlier snapshot): app-2 51 file(s), db-1 630 file(s)');
    expect(text).toContain(record.backupId);
    expect(lines.filter((l) => l.startsWith('warning: '))).toHaveLength(2);
    expect(lines.at(-1)).toBe(`record: ${backup.recordFile}`);
    expect(text).not.toContain('versions:'); // one version everywhere: said in the first line
  });

  it('says which sources left ACLs or xattrs uncompared', () => {
    const left: Record = { ...record, transfers: { ...record.transfers, 'db-1': { ...record.transfers['db-1']!, leftOut: ['acls', 'xattrs'] } } };
    expect(renderBackup({ ...backup, record: left })).toContain('db-1: acls and xattrs not compared (its leaveOut): files not sent keep what an earlier backup stored');
    expect(text).not.toContain('not compared');
  });

  it('uses binary units only', () => {
    expect(new Set(units(text))).toEqual(new Set(['MiB', 'KiB', 'KiB/s']));
  });

  it('names a failed phase and its nodes in the one phase line', () => {
    const failed: Record = {
      ...record,
      result: 'failed',
      error: { code: 'TRANSFER_FAILED', message: 'db-1: rsync exited with 11' },
      phases: record.phases.map((p) => (p.phase === 'transfer' ? { ...p, ok: false, nodes: { ...p.nodes, 'db-1': { durationMs: 5, ok: false } } } : p)),
      versions: { ...record.versions, 'db-1': '0.2.0' },
    };
    const t = renderBackup({ ...backup, record: failed });
    expect(t).toContain('transfer 1.90 s FAILED (db-1)');
    expect(t).toContain('error TRANSFER_FAILED: db-1: rsync exited with 11');
    expect(t).toContain('versions: backup-target 0.1.0, app-1 0.1.0, app-2 0.1.0, db-1 0.2.0');
  });

  it('show adds the per-node times and the target entries, each phase still once', () => {
    const t = renderShow({ from: 'record', record, warnings: [] });
    for (const p of PHASES) expect(t.match(new RegExp(`^${p} +\\d`, 'gm')), p).toHaveLength(1);
    expect(t).toMatch(/^preflight +\S+ ms +ok +app-1 8 ms, app-2 8 ms, db-1 8 ms, backup-target 8 ms$/m);
    expect(t).toMatch(/source +entry +files +changed +size +sent +on wire +took +rate/);
    expect(t).toMatch(/versions: .*db-1 0\.1\.0/);
    expect(new Set(units(t))).toEqual(new Set(['MiB', 'KiB', 'KiB/s']));
  });
});

describe('restore summary', () => {
  it('the stability check says free space in binary units, not raw bytes', () => {
    const r: RestoreRun = {
      backupId: record.backupId,
      restored: ['app-1'],
      record: { ...record, kind: 'restore', id: 'restore_20261128_111019', phases: [], transfers: {}, warnings: [], snapshot: undefined, retention: undefined } as Record,
      recordFile: '/var/lib/freezeframe/runs/restore_20261128_111019.json',
      stability: {
        before: { ok: true, nodes: [] },
        after: { ok: false, nodes: [{ node: 'backup-target', ok: false, problems: ['target has only 50.0 MiB free'], warnings: [] }] },
      },
      keyspaces: {},
      maintenanceNodes: ['app-1'],
      warnings: [],
    };
    const t = renderRestoreRun(r);
    expect(t).toContain('stability before: ok\nstability after: NOT OK (backup-target: target has only 50.0 MiB free)');
    expect(t).not.toMatch(/\d bytes/);
  });
});

describe('restore scope', () => {
  it('the summary and show say which paths, folder, mapping and deployment were used', () => {
    expect(scopeLines({ paths: ['srv/a', 'etc/x.conf'] })).toEqual(['only these paths (--path): srv/a, etc/x.conf; every other file was left as it was']);
    expect(scopeLines({ fromDeployment: 'prod', map: { 'stg-1': 'prod-1' }, toDir: '/r', folders: { 'stg-1': '/r/restore_20260101_000000/prod-1@+srv' } })).toEqual([
      'from deployment prod: the backup was taken by it (--from-deployment)',
      'mapped: stg-1 got prod-1 of the backup (--map)',
      'into /r (--to-dir), nothing live was written:',
      '  stg-1: /r/restore_20260101_000000/prod-1@+srv',
    ]);
    const rec = { ...record, kind: 'restore', id: 'restore_20261128_111019', restoreScope: { paths: ['srv/a'] } } as Record;
    expect(renderShow({ from: 'record', record: rec, warnings: [] })).toContain('only these paths (--path): srv/a');
  });

  it('the plan says what --path, --to-dir, --map and --from-deployment change', () => {
    const base = { deployment: 'staging', backupId: 'B', createdMs: 0, target: 'tgt', untouched: [], unreachable: [] };
    const src = { source: 'stg-1', node: 'stg-1', volume: '/srv/www', kind: 'dir', entry: 'prod-1@+srv+www', bytes: 2048, files: 3, missing: false };
    const full = renderRestorePlan({ ...base, sources: [src] });
    expect(full).toContain('would overwrite 1 volume(s) of deployment staging:');
    expect(full).toContain('Files there that the backup lacks are deleted');
    const mapped = renderRestorePlan({ ...base, fromDeployment: 'prod', sources: [{ ...src, from: 'prod-1' }] });
    expect(mapped).toContain('the backup was taken by deployment prod (--from-deployment prod)');
    expect(mapped).toMatch(/stg-1 +dir +\/srv\/www +prod-1: 2\.00 KiB, 3 files/);
    const partial = renderRestorePlan({ ...base, paths: ['a/b'], sources: [src] });
    expect(partial).toContain('part of 2.00 KiB, 3 files');
    expect(partial).toContain('Only these paths are restored: a/b. Inside them, files there that the backup lacks are deleted and every other file is replaced by its backed-up version; every file outside them stays as it is.');
    expect(partial).not.toContain('Files there that the backup lacks are deleted;');
    const into = renderRestorePlan({ ...base, toDir: '/r', sources: [{ ...src, into: '/r/<restore id>/prod-1@+srv+www' }] });
    expect(into).toContain('would restore 1 volume(s) of deployment staging into new folders, writing nothing live:');
    expect(into).toMatch(/stg-1 +dir +\/r\/<restore id>\/prod-1@\+srv\+www/);
    expect(into).toContain('Each folder is new, below /r/<restore id> (mode 0700); the live volumes are not touched.');
    expect(into).not.toContain('deleted');
  });
});
