import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInventory } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { healthReport } from '@freezeframe/director/engine/health.js';
import { descendants } from './support/agents.js';
import { freezerGroupWithSleeper, readRecord, startRig, waitFor, type FreezerGroup, type Rig } from './support/fault-rig.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim('cgroup');

// Runs that survive the operator (docs/reliability.md, "Interrupting a run"): the real director
// CLI as a process against real agents on loopback, signalled for real. Both sources are plain
// folders, so the freeze is held through the transfer: a signal mid-transfer arrives while the
// applications (a sleeping process in a cgroup v1 freezer of our own) are frozen. The
// `slow-transfer` failpoint holds each transfer, its receive ticket open, for a while.

const skip = needsRoot('detached and interrupted runs (cgroup v1 freezer)');
const SLOW = (ms: number) => ({ FREEZEFRAME_FAILPOINT: 'slow-transfer', FREEZEFRAME_FAILPOINT_MS: String(ms) });

describe.skipIf(skip)('runs that survive the operator', () => {
  let rig: Rig;
  let gA: FreezerGroup;
  let gB: FreezerGroup;
  const inv = () => loadInventory(rig.inventory);
  const backups = () => join(rig.root, 'tgt', 'backups');
  const tagged = () => (existsSync(backups()) ? readdirSync(backups()).filter((n) => /^\d{8}_\d{6}/.test(n)).sort() : []);
  const lockFile = () => join(rig.stateDir, 'running.json');
  /** The id in the director's run lock; undefined before it is there and while it is empty (created with O_EXCL, then written). */
  const runningId = () => {
    try {
      return (JSON.parse(readFileSync(lockFile(), 'utf8')) as { id: string }).id;
    } catch {
      return undefined;
    }
  };
  const attachLogs = (more?: () => string) => onTestFailed(() => console.error(`${more?.() ?? ''}\n${rig.logs()}`));
  const json = (s: string) => JSON.parse(s) as any;
  /** The record of the running backup says its transfer phase began. */
  const inTransfer = (id: string) => {
    try {
      return readRecord(rig, id).progress?.phase === 'transfer';
    } catch {
      return false;
    }
  };
  const health = async () => (await healthReport(inv())).nodes;

  /** After a stop: nothing frozen (kernel and agents), no target lock, nothing left over on any node. */
  async function expectCleanNow(): Promise<void> {
    expect([gA.state(), gB.state()]).toEqual(['THAWED', 'THAWED']);
    const nodes = await health();
    expect(nodes.flatMap((n) => n.frozen ?? [])).toEqual([]);
    expect(nodes.find((n) => n.node === 'tgt')?.targetLockedBy).toBeUndefined();
    const c = await rig.director(['cleanup', '--dry-run', '--json']);
    expect(c.code, c.stderr).toBe(0);
    expect(json(c.stdout).nodes.flatMap((n: { removed: string[] }) => n.removed)).toEqual([]);
    expect(existsSync(lockFile())).toBe(false);
  }

  beforeAll(async () => {
    gA = await freezerGroupWithSleeper('ra');
    gB = await freezerGroupWithSleeper('rb');
    const cg = (g: FreezerGroup) => `freeze: { kind: cgroup, cgroups: [${g.name}], version: v1 }\n`;
    rig = await startRig(
      (root) => {
        for (const n of ['src-1', 'src-2']) {
          mkdirSync(join(root, n, 'data'), { recursive: true });
          writeFileSync(join(root, n, 'data', 'app.txt'), `${n} version 1\n`);
          writeFileSync(join(root, n, 'data', 'table.db'), randomBytes(256 << 10));
        }
        mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
        return [
          { name: 'tgt', roles: `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n` },
          { name: 'src-1', roles: `source: { kind: dir, volume: ${join(root, 'src-1', 'data')} }\n${cg(gA)}` },
          { name: 'src-2', roles: `source: { kind: dir, volume: ${join(root, 'src-2', 'data')} }\n${cg(gB)}` },
        ];
      },
      { lease: '3s', prefix: 'ff-runs-' },
    );
  }, 60_000);

  afterAll(async () => {
    await gA?.destroy();
    await gB?.destroy();
    await rig?.stop();
  });

  it('every backup says its id when it starts: a log line on stderr, the id in the outcome', async () => {
    attachLogs();
    const r = await rig.director(['backup']);
    expect(r.code, r.stderr).toBe(0);
    const id = /backup (\d{8}_\d{6}) started \(deployment fault\)/.exec(r.stderr)?.[1];
    expect(id, r.stderr).toBeDefined();
    // a log line: timestamped, before the first phase
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z backup ${id} started`));
    expect(r.stdout).toContain(`backup ${id} OK`);
    const j = await rig.director(['backup', '--json']);
    expect(j.code, j.stderr).toBe(0);
    expect(j.stderr).toContain(`backup ${json(j.stdout).backupId} started`);
  }, 60_000);

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} during the transfer stops cleanly at once: thawed, unlocked, nothing left, record incomplete, id and --resume printed`, async () => {
      const d = rig.directorProc(['backup'], SLOW(60_000));
      attachLogs(() => `director stderr:\n${d.err()}`);
      let id: string | undefined;
      await waitFor('the backup to start', () => !!(id = runningId()), 20_000, 20);
      await waitFor('the transfer', () => inTransfer(id!), 20_000, 20);
      // frozen now: the dir sources hold the freeze through the transfer
      expect([gA.state(), gB.state()]).toEqual(['FROZEN', 'FROZEN']);
      const t0 = Date.now();
      process.kill(d.proc.child.pid!, sig);
      const code = await d.proc.done.then(
        (x) => x.code,
        (e: { details?: { exitCode?: number } }) => e.details?.exitCode,
      );
      const took = Date.now() - t0;
      expect(took).toBeLessThan(8_000);
      expect(code).toBe(sig === 'SIGINT' ? 130 : 143);
      const err = d.err();
      expect(err).toContain(`${sig}: stopping backup ${id} cleanly`);
      expect(err).toMatch(new RegExp(`error CANCELLED: backup ${id} interrupted by ${sig} during transfer; stopped cleanly`));
      expect(err).toContain(`resume it with: freezeframe backup --resume ${id}`);
      const rec = readRecord(rig, id!);
      expect(rec).toMatchObject({ result: 'incomplete', interrupted: sig, error: { code: 'CANCELLED' } });
      expect(rec.missingSources.sort()).toEqual(['src-1', 'src-2']);
      expect(rec.progress).toBeUndefined();
      expect(rec.freezeWindow.heldThroughTransfer).toBe(true);
      await expectCleanNow();
      expect(tagged()).not.toContain(id);
      // the target is free at once: a new backup starts and succeeds, and the interrupted one resumes
      const next = await rig.director(['backup', '--json']);
      expect(next.code, next.stderr).toBe(0);
      const resumed = await rig.director(['backup', '--resume', id!, '--json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(tagged()).toContain(id);
    }, 90_000);
  }

  it('SIGINT while rsync is moving data kills it on both nodes at once; nothing is tagged', async () => {
    // enough data that rsync is still sending when the signal arrives (no failpoint: the real rsync)
    const big = join(rig.root, 'src-1', 'data', 'big.bin');
    const chunk = randomBytes(16 << 20);
    for (let i = 0; i < 48; i++) writeFileSync(big, chunk, { flag: i === 0 ? 'w' : 'a' });
    try {
      const d = rig.directorProc(['backup']);
      attachLogs(() => `director stderr:\n${d.err()}`);
      let id: string | undefined;
      await waitFor('the backup to start', () => !!(id = runningId()), 20_000, 20);
      const src = rig.agents.get('src-1')!.proc.child.pid!;
      const tgt = rig.agents.get('tgt')!.proc.child.pid!;
      await waitFor("src-1's rsync to run", () => descendants(src, 'rsync').length > 0, 30_000, 10);
      process.kill(d.proc.child.pid!, 'SIGINT');
      const code = await d.proc.done.then(
        (x) => x.code,
        (e: { details?: { exitCode?: number } }) => e.details?.exitCode,
      );
      expect(code).toBe(130);
      expect(d.err()).toMatch(new RegExp(`backup ${id} interrupted by SIGINT during transfer; stopped cleanly`));
      // the sending and the receiving rsync are gone, not left to finish or to time out
      await waitFor('no rsync left on src-1 and tgt', () => descendants(src, 'rsync').length + descendants(tgt, 'rsync').length === 0, 5_000, 50);
      expect(readRecord(rig, id!)).toMatchObject({ result: 'incomplete', interrupted: 'SIGINT' });
      await expectCleanNow();
      expect(tagged()).not.toContain(id);
    } finally {
      rmSync(big, { force: true });
    }
  }, 90_000);

  it('SIGINT during a restore stops it: record incomplete, what was restored named, target unlocked', async () => {
    const b = await rig.director(['backup', '--json']);
    expect(b.code, b.stderr).toBe(0);
    const d = rig.directorProc(['restore', json(b.stdout).backupId], { FREEZEFRAME_FAILPOINT: 'slow-restore', FREEZEFRAME_FAILPOINT_MS: '60000' });
    attachLogs(() => `director stderr:\n${d.err()}`);
    let id: string | undefined;
    await waitFor('the restore to start', () => !!(id = runningId()), 20_000, 20);
    await waitFor('the restore phase', () => {
      try {
        return readRecord(rig, id!).progress?.phase === 'restore';
      } catch {
        return false;
      }
    }, 20_000, 20);
    const t0 = Date.now();
    process.kill(d.proc.child.pid!, 'SIGINT');
    const code = await d.proc.done.then(
      (x) => x.code,
      (e: { details?: { exitCode?: number } }) => e.details?.exitCode,
    );
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(code, `${d.out()}\n${d.err()}`).toBe(130);
    expect(d.err()).toContain(`SIGINT: stopping restore ${id} cleanly (cancel the transfer, deactivate the backup, unlock)`);
    expect(d.err()).toMatch(/error CANCELLED: restore of backup \S+ interrupted by SIGINT; restored so far: nothing/);
    const rec = readRecord(rig, id!);
    expect(rec).toMatchObject({ kind: 'restore', result: 'incomplete', interrupted: 'SIGINT', restored: [] });
    expect(rec.phases.map((p: { phase: string }) => p.phase)).toContain('deactivate');
    await expectCleanNow();
  }, 60_000);

  it('SIGHUP (the terminal closed) does not stop the run: it goes on and succeeds', async () => {
    const d = rig.directorProc(['backup', '--json'], SLOW(2_500));
    attachLogs(() => `director stderr:\n${d.err()}`);
    let id: string | undefined;
    await waitFor('the backup to start', () => !!(id = runningId()), 20_000, 20);
    await waitFor('the transfer', () => inTransfer(id!), 20_000, 20);
    process.kill(d.proc.child.pid!, 'SIGHUP');
    const done = await d.proc.done;
    expect(done.code).toBe(0);
    expect(d.err()).toContain(`SIGHUP: the terminal is gone; backup ${id} goes on`);
    expect(json(d.out())).toMatchObject({ backupId: id, record: { result: 'ok' } });
    expect(tagged()).toContain(id);
  }, 60_000);

  it('a second backup while one runs is refused at once, naming the running one', async () => {
    const d = rig.directorProc(['backup'], SLOW(3_000));
    attachLogs(() => `first director stderr:\n${d.err()}`);
    let id: string | undefined;
    await waitFor('the backup to start', () => !!(id = runningId()), 20_000, 20);
    const t0 = Date.now();
    const second = await rig.director(['backup']);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`error FAILED_PRECONDITION: backup ${id} is running \\(pid ${d.proc.child.pid}, started `));
    expect(second.stderr).toContain('freezeframe status --follow');
    const j = await rig.director(['backup', '--detach', '--json']);
    expect(j.code).toBe(1);
    expect(json(j.stdout).error.details.running).toMatchObject({ id, kind: 'backup', pid: d.proc.child.pid });
    expect((await d.proc.done).code).toBe(0);
  }, 60_000);

  it('a lock left by a killed director is stale: the next backup replaces it and says so', async () => {
    const r = await rig.director(['backup'], { FREEZEFRAME_FAILPOINT: 'after-freeze' });
    attachLogs(() => r.stderr);
    expect(r.signal ?? r.code).toBe('SIGKILL');
    const dead = runningId();
    expect(dead).toBeDefined();
    const st = await rig.director(['status', '--json']);
    expect(json(st.stdout).running).toMatchObject({ alive: false, job: { id: dead } });
    expect((await rig.director(['status'])).stdout).toContain(`backup ${dead}: its director (pid `);
    await waitFor('the agents to thaw and unlock', async () => (await health()).every((n) => !n.frozen?.length && !n.targetLockedBy), 20_000, 200);
    const next = await rig.director(['backup']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`the run lock of backup ${dead} (pid `);
    expect(existsSync(lockFile())).toBe(false);
  }, 60_000);

  it('backup --detach returns at once with the id; the run goes on alone; status shows it while it runs and after', async () => {
    const t0 = Date.now();
    const r = await rig.director(['backup', '--detach', '--json'], SLOW(4_000));
    attachLogs(() => r.stderr);
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(4_000);
    const d = json(r.stdout);
    expect(d).toMatchObject({ kind: 'backup', how: 'session', log: join(rig.stateDir, 'logs', `${d.id}.log`) });
    expect(d.pid).toBeGreaterThan(0);
    // the starting command is gone; its child runs on in a session of its own
    expect(() => process.kill(d.pid, 0)).not.toThrow();

    await waitFor('the transfer', () => inTransfer(d.id), 20_000, 50);
    const running = await rig.director(['status', '--json']);
    expect(running.code, running.stderr).toBe(0);
    expect(json(running.stdout).running).toMatchObject({ alive: true, job: { id: d.id, kind: 'backup', pid: d.pid, log: d.log }, record: { result: 'running', progress: { phase: 'transfer' } } });
    const human = await rig.director(['status']);
    expect(human.stdout).toMatch(new RegExp(`backup ${d.id} RUNNING for .* \\(pid ${d.pid} on `));
    expect(human.stdout).toContain('phase: transfer');
    expect(human.stdout).toContain(`log: ${d.log}`);

    const follow = await rig.director(['status', '--follow']);
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.stdout).toContain(`backup ${d.id}: transfer`);
    expect(follow.stdout).toMatch(new RegExp(`no backup or restore running[\\s\\S]*last run:\\n  backup ${d.id} OK`));
    const after = await rig.director(['status', '--json']);
    const s = json(after.stdout);
    expect(s.running).toBeUndefined();
    expect(s.last).toMatchObject({ id: d.id, result: 'ok' });
    expect(s.last.progress).toBeUndefined();
    expect(tagged()).toContain(d.id);
    const log = readFileSync(d.log, 'utf8');
    expect(log).toMatch(new RegExp(`Z backup ${d.id} started`));
    expect(log).toContain(`backup ${d.id} OK`);
  }, 90_000);

  it('restore --detach runs in the background too', async () => {
    // the services (none configured) are down; the sources get the latest backup back
    const r = await rig.director(['restore', 'latest', '--detach', '--json']);
    attachLogs(() => r.stderr);
    expect(r.code, r.stderr).toBe(0);
    const d = json(r.stdout);
    expect(d.id).toMatch(/^restore_\d{8}_\d{6}$/);
    const follow = await rig.director(['status', '--follow', '--json']);
    const s = json(follow.stdout);
    expect(s.last).toMatchObject({ id: d.id, kind: 'restore', result: 'ok' });
    expect(follow.code, readFileSync(d.log, 'utf8')).toBe(0);
  }, 90_000);

  it('status --json and human output with nothing running', async () => {
    rmSync(lockFile(), { force: true });
    const j = await rig.director(['status', '--json']);
    expect(j.code).toBe(0);
    const s = json(j.stdout);
    expect(s).toMatchObject({ deployment: 'fault', stateDir: rig.stateDir });
    expect(s.running).toBeUndefined();
    const h = await rig.director(['status']);
    expect(h.stdout).toMatch(/^no backup or restore running \(deployment fault\)\nlast run:\n {2}(backup|restore) \S+ OK/);
  }, 30_000);
});
