import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { entryName, loadInventory } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { healthReport } from '@freezeframe/director/engine/health.js';
import { backup } from '@freezeframe/director/engine/backup.js';
import { list } from '@freezeframe/director/engine/list.js';
import { descendants } from './support/agents.js';
import { freezerGroupWithSleeper, readRecord, startRig, waitFor, type FreezerGroup, type Rig } from './support/fault-rig.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim('cgroup');

// The fault suite on loopback: real agents, the real director CLI, real kills. The freeze
// hosts freeze cgroups of our own holding a sleeping process, so "frozen" and "thawed" are read
// from the kernel, not from logs. Both sources are plain folders, so the director holds the
// freeze through the transfers: a fault during a transfer happens while frozen.
// Freeze lease 2 s, so the target lock lease is 6 s (3 x lease).

const skip = needsRoot('fault suite (cgroup v1 freezer)');
const LEASE_MS = 2_000;

describe.skipIf(skip)('faults on loopback agents', () => {
  let rig: Rig;
  let gA: FreezerGroup;
  let gB: FreezerGroup;
  const data = (n: string) => join(rig.root, n, 'data');
  const backups = () => join(rig.root, 'tgt', 'backups');
  const entry = (n: string) => entryName(n, data(n));
  const inv = () => loadInventory(rig.inventory);
  const tagged = () => (existsSync(backups()) ? readdirSync(backups()).filter((n) => /^\d{8}_\d{6}/.test(n)).sort() : []);
  const lockHolder = async () => (await healthReport(inv())).nodes.find((n) => n.node === 'tgt')?.targetLockedBy;
  const waitUnlocked = () => waitFor('the target lock to expire', async () => !(await lockHolder()), 12_000, 200);
  const treeOf = (dir: string): Record<string, string> => {
    const out: Record<string, string> = {};
    const walk = (d: string, rel: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.name === '.freezeframe') continue;
        if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
        else out[`${rel}${e.name}`] = readFileSync(join(d, e.name)).toString('base64').slice(0, 80) + `:${statSync(join(d, e.name)).size}`;
      }
    };
    walk(dir, '');
    return out;
  };
  const big = (n: string, files: number, mib: number) => {
    mkdirSync(join(data(n), 'big'), { recursive: true });
    for (let i = 0; i < files; i++) writeFileSync(join(data(n), 'big', `f${i}.bin`), randomBytes(mib << 20));
  };
  const dropBig = (n: string) => rmSync(join(data(n), 'big'), { recursive: true, force: true });
  const attachLogs = () => onTestFailed(() => console.error(rig.logs()));
  const json = (s: string) => JSON.parse(s) as any;

  beforeAll(async () => {
    gA = await freezerGroupWithSleeper('a');
    gB = await freezerGroupWithSleeper('b');
    const cg = (g: FreezerGroup) => `freeze: { kind: cgroup, cgroups: [${g.name}], version: v1 }\n`;
    rig = await startRig(
      (root) => {
        for (const n of ['src-1', 'src-2']) {
          mkdirSync(join(root, n, 'data', 'sub'), { recursive: true });
          writeFileSync(join(root, n, 'data', 'app.txt'), `${n} version 1\n`);
          writeFileSync(join(root, n, 'data', 'sub', 'table.db'), randomBytes(64 << 10));
        }
        mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
        return [
          { name: 'tgt', roles: `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n` },
          { name: 'src-1', roles: `source: { kind: dir, volume: ${join(root, 'src-1', 'data')} }\n${cg(gA)}` },
          { name: 'src-2', roles: `source: { kind: dir, volume: ${join(root, 'src-2', 'data')} }\n${cg(gB)}` },
        ];
      },
      { lease: `${LEASE_MS}ms` },
    );
  }, 60_000);

  afterAll(async () => {
    // a frozen group must be thawed before its sleeper can be killed
    await gA?.destroy();
    await gB?.destroy();
    await rig?.stop();
  });

  it('a backup works end to end and records checksums', async () => {
    attachLogs();
    const r = await rig.director(['backup', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const id = json(r.stdout).backupId as string;
    expect(tagged()).toEqual([id]);
    expect(readFileSync(join(backups(), id, '.freezeframe', 'checksums.jsonl'), 'utf8')).toContain(`${entry('src-1')}/app.txt`);
    expect(gA.state()).toBe('THAWED');
    expect(gB.state()).toBe('THAWED');
  });

  it('two backups at once: the second is refused, naming the running backup and since when', async () => {
    attachLogs();
    big('src-1', 3, 100);
    try {
      const a = rig.directorProc(['backup', '--json']);
      let holder: string | undefined;
      await waitFor('the first backup to lock the target', async () => !!(holder = await lockHolder()), 20_000, 20);
      // another director (its own state folder): this director's run lock would refuse it first
      const err = (await backup({ ...inv(), stateDir: join(rig.root, 'other-director') }).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(new RegExp(`tgt: target is locked by backup ${holder} since \\d{4}-\\d\\d-\\d\\dT`));
      const done = await a.proc.done;
      expect(done.code).toBe(0);
      expect(json(a.out()).backupId).toBe(holder);
      // the refused run paused nothing and tagged nothing
      expect(tagged()).toContain(holder);
      expect(tagged().filter((t) => t !== holder)).toHaveLength(1);
    } finally {
      dropBig('src-1');
    }
  }, 60_000);

  it('kill -9 of the director after Freeze: every node thaws within lease + 5 s; the next backup succeeds', async () => {
    attachLogs();
    const r = await rig.director(['backup', '--json'], { FREEZEFRAME_FAILPOINT: 'after-freeze' });
    const diedAt = Date.now();
    expect(r.signal ?? r.code).toBe('SIGKILL');
    expect([gA.state(), gB.state()]).toEqual(['FROZEN', 'FROZEN']);
    await waitFor('both groups to thaw', () => gA.state() === 'THAWED' && gB.state() === 'THAWED', LEASE_MS + 5_000, 20);
    expect(Date.now() - diedAt).toBeLessThan(LEASE_MS + 5_000);
    // the dead run's target lock lapses after its lease (3 x freeze lease), then a backup runs
    await waitUnlocked();
    const next = await rig.director(['backup', '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(tagged()).toContain(json(next.stdout).backupId);
  }, 60_000);

  it('kill -9 of rsync mid-transfer: nothing tagged, run recorded incomplete; --resume completes it reusing what arrived', async () => {
    attachLogs();
    big('src-1', 6, 40);
    try {
      const before = tagged();
      const d = rig.directorProc(['backup', '--json']);
      let id = '';
      await waitFor('the backup to lock the target', async () => !!(id = (await lockHolder()) ?? ''), 20_000, 20);
      const partial = join(backups(), '.partial', id, entry('src-1'), 'big');
      // one whole file arrived (rsync renames it into place when complete)
      await waitFor('a first complete file', () => existsSync(join(partial, 'f0.bin')), 30_000, 10);
      const rsyncs = descendants(rig.agents.get('src-1')!.proc.child.pid!, 'rsync');
      expect(rsyncs.length).toBeGreaterThan(0);
      for (const p of rsyncs) process.kill(p, 'SIGKILL');
      const done = await d.proc.done.then((x) => x.code, (e: { details?: { exitCode?: number } }) => e.details?.exitCode);
      expect(done).toBe(1);
      expect(tagged()).toEqual(before);
      const rec = readRecord(rig, id);
      expect(rec.result).toBe('incomplete');
      expect(rec.missingSources).toContain('src-1');
      expect((await list(inv())).backups.map((b) => b.id)).not.toContain(id);
      expect([gA.state(), gB.state()]).toEqual(['THAWED', 'THAWED']);

      await waitUnlocked().catch(() => undefined);
      const resumed = await rig.director(['backup', '--resume', id, '--json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(tagged()).toContain(id);
      const rec2 = readRecord(rig, id);
      expect(rec2).toMatchObject({ result: 'ok', resumed: true });
      // what had arrived was not sent again
      expect(rec2.transfers['src-1'].bytesTransferred).toBeLessThan(rec2.transfers['src-1'].bytesTotal - (30 << 20));
      expect(treeOf(join(backups(), id, entry('src-1')))).toEqual(treeOf(data('src-1')));
    } finally {
      dropBig('src-1');
    }
  }, 90_000);

  let goodId = '';
  it('director killed between transfer and tag: the rerun tags exactly once', async () => {
    attachLogs();
    const before = tagged();
    const r = await rig.director(['backup', '--json'], { FREEZEFRAME_FAILPOINT: 'before-tag' });
    expect(r.signal ?? r.code).toBe('SIGKILL');
    expect(tagged()).toEqual(before);
    const id = readdirSync(join(backups(), '.partial')).filter((x) => !before.includes(x)).sort().at(-1)!;
    expect(existsSync(join(backups(), '.partial', id, entry('src-2')))).toBe(true);
    const resumed = await rig.director(['backup', '--resume', id, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(tagged()).toEqual([...before, id].sort());
    // again: the record says done, nothing is tagged twice
    const again = await rig.director(['backup', '--resume', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/completed already/);
    expect(tagged()).toEqual([...before, id].sort());
    goodId = id;

    // killed after the tag but before the record: the rerun finds the tag and does not tag again
    const r2 = await rig.director(['backup', '--json'], { FREEZEFRAME_FAILPOINT: 'after-tag' });
    expect(r2.signal ?? r2.code).toBe('SIGKILL');
    const id2 = tagged().filter((t) => ![...before, id].includes(t))[0]!;
    expect(id2).toBeTruthy();
    const re2 = await rig.director(['backup', '--resume', id2, '--json']);
    expect(re2.code, re2.stderr).toBe(0);
    expect(readRecord(rig, id2)).toMatchObject({ result: 'ok', alreadyTagged: true });
  }, 60_000);

  it('restore interrupted after the first source: the rerun completes and the sources equal the backup', async () => {
    attachLogs();
    const want1 = treeOf(join(backups(), goodId, entry('src-1')));
    const want2 = treeOf(join(backups(), goodId, entry('src-2')));
    for (const n of ['src-1', 'src-2']) {
      writeFileSync(join(data(n), 'app.txt'), `${n} damaged\n`);
      writeFileSync(join(data(n), 'junk.txt'), 'not in the backup\n');
    }
    const r = await rig.director(['restore', goodId], { FREEZEFRAME_FAILPOINT: 'after-restore-source' });
    expect(r.signal ?? r.code).toBe('SIGKILL');
    expect(treeOf(data('src-1'))).toEqual(want1);
    expect(treeOf(data('src-2'))).not.toEqual(want2);
    const again = await rig.director(['restore', goodId, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(treeOf(data('src-1'))).toEqual(want1);
    expect(treeOf(data('src-2'))).toEqual(want2);
  }, 60_000);

  it('one byte of a stored backup flipped: verify names the file, restore refuses and writes nothing', async () => {
    attachLogs();
    const ok = await rig.director(['verify', goodId, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok.stdout)).toMatchObject({ ok: true });
    const victim = join(backups(), goodId, entry('src-2'), 'sub', 'table.db');
    const fd = openSync(victim, 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 1000);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, 1000);
    closeSync(fd);
    const v = await rig.director(['verify', goodId, '--json']);
    expect(v.code).toBe(1);
    expect(json(v.stdout).bad).toEqual([`${entry('src-2')}/sub/table.db: checksum differs from the one recorded at backup time`]);
    writeFileSync(join(data('src-2'), 'app.txt'), 'live data\n');
    const r = await rig.director(['restore', goodId]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${entry('src-2')}/sub/table.db`);
    expect(readFileSync(join(data('src-2'), 'app.txt'), 'utf8')).toBe('live data\n');
  }, 60_000);

  it('kill -9 of a source agent while frozen: the director aborts and thaws the others; the dead node thaws when it restarts', async () => {
    attachLogs();
    big('src-1', 4, 60);
    try {
      const d = rig.directorProc(['backup', '--json']);
      await waitFor('both groups frozen and a transfer running', () => gA.state() === 'FROZEN' && gB.state() === 'FROZEN' && descendants(rig.agents.get('src-1')!.proc.child.pid!, 'rsync').length > 0, 20_000, 10);
      const orphans = descendants(rig.agents.get('src-1')!.proc.child.pid!);
      await rig.kill9('src-1');
      for (const p of orphans) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone with its parent
        }
      }
      const code = await d.proc.done.then((x) => x.code, (e: { details?: { exitCode?: number } }) => e.details?.exitCode);
      expect(code).toBe(1);
      expect(gB.state()).toBe('THAWED');
      // nobody is left to thaw src-1's applications until its agent comes back
      expect(gA.state()).toBe('FROZEN');
      expect(existsSync(join(rig.root, 'src-1', 'run', 'frozen.json'))).toBe(true);
      await rig.start('src-1');
      expect(gA.state()).toBe('THAWED');
      expect(existsSync(join(rig.root, 'src-1', 'run', 'frozen.json'))).toBe(false);
    } finally {
      dropBig('src-1');
    }
  }, 90_000);
});
