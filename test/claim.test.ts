import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findBinary } from '@freezeframe/common';
import { afterAll, describe, expect, it } from 'vitest';
import { claim, flockFile } from './support/claim.js';

await claim();

// Integration files run two at a time only because their claims keep apart what cannot be
// shared (test/support/claim.ts). These check the lock under them, on files of this test's own.

/** Whether `p` settles within `ms`. */
const settles = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true), sleep(ms).then(() => false)]);

describe('claims: a flock held by a descriptor of the test file process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ff-claim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an exclusive lock waits while another holds it and is taken as soon as that one is closed', async () => {
    const file = join(dir, 'exclusive.lock');
    const first = await flockFile(file, 'exclusive', 10);
    const second = flockFile(file, 'exclusive', 10);
    expect(await settles(second, 700)).toBe(false);
    closeSync(first);
    expect(await settles(second, 5_000)).toBe(true);
    closeSync(await second);
  });

  it('shared locks are held at once; an exclusive one waits until every shared one is gone', async () => {
    const file = join(dir, 'shared.lock');
    const a = await flockFile(file, 'shared', 10);
    const b = await flockFile(file, 'shared', 1);
    const alone = flockFile(file, 'exclusive', 10);
    expect(await settles(alone, 500)).toBe(false);
    closeSync(a);
    expect(await settles(alone, 500)).toBe(false);
    closeSync(b);
    expect(await settles(alone, 5_000)).toBe(true);
    closeSync(await alone);
  });

  it('a holder that is killed gives up its lock', async () => {
    const file = join(dir, 'killed.lock');
    // --no-fork: flock becomes the holder itself, so the kill reaches what holds the lock
    const holder = spawn(findBinary('flock'), ['--exclusive', '--no-fork', file, findBinary('sleep'), '60'], { stdio: 'ignore' });
    const exited = new Promise((r) => holder.on('exit', r));
    try {
      // held once a lock that may not wait is refused
      for (let i = 0; ; i++) {
        const fd = await flockFile(file, 'exclusive', 0).catch(() => undefined);
        if (fd === undefined) break;
        closeSync(fd);
        if (i > 100) throw new Error('flock --exclusive never took the lock');
        await sleep(20);
      }
      const waiting = flockFile(file, 'exclusive', 10);
      expect(await settles(waiting, 500)).toBe(false);
      holder.kill('SIGKILL');
      expect(await settles(waiting, 5_000)).toBe(true);
      closeSync(await waiting);
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
  });

  it('waits no longer than told, and names the file', async () => {
    const file = join(dir, 'timeout.lock');
    const held = await flockFile(file, 'exclusive', 1);
    const t0 = Date.now();
    await expect(flockFile(file, 'shared', 1)).rejects.toThrow(`shared lock on ${file}: flock exited 1 after waiting up to 1 s`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    closeSync(held);
  });

  it('never opens a lock file through a link (the lock folder is in /tmp)', async () => {
    const target = join(dir, 'elsewhere');
    writeFileSync(target, '');
    symlinkSync(target, join(dir, 'link.lock'));
    await expect(flockFile(join(dir, 'link.lock'), 'exclusive', 1)).rejects.toMatchObject({ code: 'ELOOP' });
  });
});
