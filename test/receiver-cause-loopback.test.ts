import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary, run } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startRig, type Rig } from './support/fault-rig.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim();

// A receiver that fails mid-transfer shows on the sender only as a broken pipe. The receiving
// agent keeps its rsync's stderr and the director puts that reason into the error. Real agents
// on loopback, a `dir` target on an 80 MiB tmpfs (above preflight's 64 MiB floor), 100 MB to send.

const skip = needsRoot('receiver failure reporting (tmpfs target)', ['mount', 'umount']);

describe.skipIf(skip)('the receiver names why it failed', () => {
  let rig: Rig;
  let mnt = '';

  beforeAll(async () => {
    rig = await startRig((root) => {
      mnt = join(root, 'tgt', 'backups');
      mkdirSync(mnt, { recursive: true });
      mkdirSync(join(root, 'src-1', 'data'), { recursive: true });
      writeFileSync(join(root, 'src-1', 'data', 'big.bin'), randomBytes(100 << 20));
      return [
        { name: 'tgt', roles: `target: { kind: dir, path: ${mnt} }\n` },
        { name: 'src-1', roles: `source: { kind: dir, volume: ${join(root, 'src-1', 'data')} }\n` },
      ];
    }, { prefix: 'ff-recv-cause-' });
    // mounted after the agents started: the target only looks at its folder when asked
    await run({ bin: findBinary('mount'), args: ['-t', 'tmpfs', '-o', 'size=80m', 'tmpfs', mnt], timeoutMs: 10_000 });
  }, 60_000);

  afterAll(async () => {
    // unmount first: stop() removes the rig's folder, the mount point in it
    if (mnt) await run({ bin: findBinary('umount'), args: [mnt], timeoutMs: 30_000, okExitCodes: [0, 32] });
    await rig?.stop();
  });

  it('a full target: the error carries the receiving rsync\'s "No space left on device", not only the broken pipe', async () => {
    onTestFailed(() => console.error(rig.logs()));
    const r = await rig.director(['backup', '--json']);
    expect(r.code, r.stderr).not.toBe(0);
    const err = JSON.stringify(JSON.parse(r.stdout).error);
    expect(err).toContain('src-1');
    expect(err).toMatch(/tgt \(receiving\): rsync exited with \d+: [\s\S]*No space left on device/);
    // (no "probably full" here: the dir target's rsync removed its temp file when it failed, so the
    // space is back by the time the director asks; the ZFS bed's --inplace target stays full)
  });
});
