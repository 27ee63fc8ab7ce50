import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, run, silentLogger } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZfsTarget } from '@freezeframe/agent/providers/target/zfs.js';
import { zfsCreate, zfsGet } from '@freezeframe/agent/tools/zfs.js';
import { call, client, startAgent, stopAgent, writeAgentConfig, type TestAgent } from './support/agents.js';
import { makePki, type Pki } from './support/pki.js';
import { needsRoot } from './support/privileges.js';
import { createFilePool, startZfsFuse, type FilePool, type ZfsDaemon } from './support/zpool.js';
import { claim } from './support/claim.js';

await claim('zfs');

// docs/security.md, "A compromised source node" (what it sends stays inert): a source's rsync may send device nodes, setuid-root
// programs and file-capability binaries, and the target's rsync (root) writes them as they
// are. The target must hold them inert: ZFS datasets and clones made by the agent have
// setuid, devices and exec off; a dir target's Health warns unless its filesystem is
// mounted nosuid,nodev.

const HARDENING = ['setuid', 'devices', 'exec'];
const off = { setuid: 'off', devices: 'off', exec: 'off' };
type Health = { warnings: string[]; checks: Array<{ name: string; ok: boolean; detail: string }> };

describe.skipIf(needsRoot('zfs-fuse pools on files', ['zfs', 'zpool', 'zfs-fuse']))('security: ZFS target datasets and clones hold no runnable files', () => {
  let daemon: ZfsDaemon | undefined;
  let pool: FilePool | undefined;
  let root: string;
  let pki: Pki;
  let agent: TestAgent | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-sectgt-'));
    pki = await makePki(join(root, 'pki'), ['director', 'tgt']);
    daemon = await startZfsFuse();
    pool = await createFilePool({ sizeMiB: 256 });
  });
  afterAll(async () => {
    try {
      if (agent) await stopAgent(agent);
      await pool?.destroy();
    } finally {
      await daemon?.stop();
      if (root) rmSync(root, { recursive: true, force: true });
    }
  });

  it('a dataset the target creates, and the clones it makes for restores, have setuid, devices and exec off', async () => {
    const dataset = `${pool!.name}/made/current`;
    const target = new ZfsTarget({ kind: 'zfs', dataset } as ConstructorParameters<typeof ZfsTarget>[0], silentLogger);
    await target.prepareReceive('20240906_082043', 'src-1@+data');
    expect(await zfsGet(dataset, HARDENING)).toEqual(off);
    await target.tag('20240906_082043', '{}', ['src-1@+data']);
    const { root: cloneRoot } = await target.activate('20240906_082043');
    expect(cloneRoot).toMatch(/-restore-20240906_082043$/);
    expect(await zfsGet(`${dataset}-restore-20240906_082043`, HARDENING)).toEqual(off);
    await target.deactivate('20240906_082043');
  });

  it("an operator's existing dataset gets them too; Health warns when one is turned on again", async () => {
    const dataset = `${pool!.name}/own/current`;
    await zfsCreate(dataset, { parents: true });
    expect(await zfsGet(dataset, HARDENING)).toEqual({ setuid: 'on', devices: 'on', exec: 'on' });
    agent = await startAgent('tgt', writeAgentConfig(root, pki, 'tgt', `target: { kind: zfs, dataset: ${dataset} }\n`));
    const c = client(pki, 'director', agent);
    try {
      const h1 = await call<Health>(c, 'Health', {});
      expect(await zfsGet(dataset, HARDENING)).toEqual(off);
      expect(h1.checks.find((x) => x.name === 'target-properties')).toMatchObject({ ok: true });
      expect(h1.warnings.join('\n')).not.toMatch(/setuid|devices|exec/);

      await run({ bin: findBinary('zfs'), args: ['set', 'exec=on', dataset], timeoutMs: 60_000 });
      const h2 = await call<Health>(c, 'Health', {});
      expect(h2.warnings).toContainEqual(expect.stringMatching(new RegExp(`^tgt: target dataset ${dataset} has exec=on: a source could place setuid programs or device nodes there`)));
    } finally {
      c.close();
    }
  });
});

describe.skipIf(needsRoot('tmpfs mounts'))('security: a dir target warns unless mounted nosuid,nodev', () => {
  let root: string;
  let pki: Pki;
  const agents: TestAgent[] = [];
  const mounted: string[] = [];

  const mountTmpfs = async (dir: string, options: string) => {
    mkdirSync(dir, { recursive: true });
    await run({ bin: findBinary('mount'), args: ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], timeoutMs: 30_000 });
    mounted.push(dir);
  };
  const health = async (name: string, dir: string): Promise<Health> => {
    const a = await startAgent(name, writeAgentConfig(root, pki, name, `target: { kind: dir, path: ${join(dir, 'backups')} }\n`));
    agents.push(a);
    const c = client(pki, 'director', a);
    try {
      return await call<Health>(c, 'Health', {});
    } finally {
      c.close();
    }
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-sectmnt-'));
    pki = await makePki(join(root, 'pki'), ['director', 'plain', 'hardened']);
  });
  afterAll(async () => {
    for (const a of agents) await stopAgent(a);
    for (const m of mounted.reverse()) await run({ bin: findBinary('umount'), args: [m], timeoutMs: 30_000 });
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('warns, naming the target, the mount and the missing options, on a tmpfs mounted without nosuid,nodev', async () => {
    await mountTmpfs(join(root, 'plain-mnt'), 'size=16m');
    const h = await health('plain', join(root, 'plain-mnt'));
    expect(h.warnings).toContainEqual(
      `plain: target ${join(root, 'plain-mnt', 'backups')} is on ${join(root, 'plain-mnt')}, mounted without nosuid,nodev: a source could place setuid programs or device nodes there (mount it nosuid,nodev,noexec)`,
    );
  });

  it('does not warn on a tmpfs mounted nosuid,nodev,noexec', async () => {
    await mountTmpfs(join(root, 'hardened-mnt'), 'size=16m,nosuid,nodev,noexec');
    const h = await health('hardened', join(root, 'hardened-mnt'));
    expect(h.checks.find((x) => x.name === 'target-mount')).toMatchObject({ ok: true, detail: expect.stringContaining('mounted nosuid,nodev') });
    expect(h.warnings.join('\n')).not.toMatch(/nosuid|nodev/);
  });
});
