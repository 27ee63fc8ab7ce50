import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isFfError, run } from '@freezeframe/common';
import { claim } from './support/claim.js';

await claim();

// `freezeframe demo --json` end to end: the built director CLI starts four real agents
// (packages/agent/dist/main.js) on loopback with mutual TLS, backs up, changes data, backs
// up again, restores the first backup and verifies it. Needs `tsc --build` first.

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages/director/dist/cli/main.js');
let leftover: string | undefined;

afterAll(() => {
  // a failed demo keeps its folder as evidence; the test cleans it up
  if (leftover && existsSync(leftover)) rmSync(leftover, { recursive: true, force: true });
});

interface Summary {
  ok: boolean;
  dir: string;
  kept: boolean;
  backups: Array<{ id: string; bytesTotal: number; bytesTransferred: number; files: number; freezeWindowMs?: number }>;
  restore?: { backupId: string; sources: string[] };
  verification?: { ok: boolean; checked: number; bytes: number; differences: string[] };
  error?: unknown;
}

describe('freezeframe demo', () => {
  it('backs up twice, restores the first backup and verifies every file', async () => {
    expect(existsSync(cli), `${cli} missing: run npx tsc --build`).toBe(true);
    const r = await run({ bin: process.execPath, args: [cli, 'demo', '--json'], timeoutMs: 240_000, cwd: root }).catch((e: unknown) => {
      // exit 1 (verification or a step failed): the summary and the stderr tail are in the error
      if (isFfError(e)) throw new Error(`demo failed: ${e.message}\n${String(e.details?.stderr ?? '')}`);
      throw e;
    });
    const stdout = r.stdout;
    const s = JSON.parse(stdout) as Summary;
    leftover = s.dir;
    expect(s.error, JSON.stringify(s.error)).toBeUndefined();
    expect(s.ok).toBe(true);
    expect(s.verification?.ok, s.verification?.differences.join('\n')).toBe(true);
    expect(s.verification!.checked).toBeGreaterThan(3000);
    expect(s.backups).toHaveLength(2);
    const [first, second] = s.backups as [Summary['backups'][0], Summary['backups'][0]];
    expect(s.restore).toMatchObject({ backupId: first.id, sources: ['app-1', 'app-2', 'db-1'] });
    expect(first.files).toBeGreaterThan(3000);
    // the first backup sends everything, the second only what changed
    expect(first.bytesTransferred).toBeGreaterThanOrEqual(first.bytesTotal * 0.9);
    expect(second.bytesTransferred).toBeLessThan(first.bytesTransferred / 10);
    expect(second.freezeWindowMs).toBeGreaterThan(0);
    // the temp folder is removed unless --keep
    expect(s.kept).toBe(false);
    expect(existsSync(s.dir)).toBe(false);
  });
});
