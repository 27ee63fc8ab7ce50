import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary, run } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { AGENT_MAIN, call, client } from './support/agents.js';
import { DIRECTOR_MAIN, readRecord, startRig, type Rig } from './support/fault-rig.js';
import { createLoopBtrfs, type LoopBtrfs } from './support/loopfs.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim();

// A node with several volumes (`sources:`), through the real director CLI and real agents on
// loopback: db-1 has a btrfs subvolume (real snapshots on a loop file) and a plain folder, web-1
// one folder. Each volume is its own entry of every backup; a restore picks a node (all its
// volumes) or one volume (`db-1:logs`) and leaves the others alone.

const skip = needsRoot('several volumes on one node (btrfs on a loop file)', ['btrfs', 'mkfs.btrfs', 'losetup', 'rsync']);

describe.skipIf(skip)('several volumes per node', () => {
  let fs: LoopBtrfs | undefined;
  let rig: Rig;
  let id = '';
  const data = () => join(fs!.mountPoint, 'data');
  const logs = () => join(rig.root, 'db-1', 'logs');
  const web = () => join(rig.root, 'web-1', 'www');
  const backups = () => join(rig.root, 'tgt', 'backups');
  const btrfs = (args: string[]) => run({ bin: findBinary('btrfs'), args, timeoutMs: 30_000 });

  beforeAll(async () => {
    fs = await createLoopBtrfs({ prefix: 'ff-multivol-' });
    await btrfs(['subvolume', 'create', data()]);
    writeFileSync(join(data(), 'table.db'), 'rows v1\n');
    rig = await startRig((root) => {
      mkdirSync(join(root, 'db-1', 'logs'), { recursive: true });
      mkdirSync(join(root, 'web-1', 'www'), { recursive: true });
      mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
      writeFileSync(join(root, 'db-1', 'logs', 'app.log'), 'log v1\n');
      writeFileSync(join(root, 'web-1', 'www', 'index.html'), 'page v1\n');
      return [
        { name: 'tgt', roles: `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n` },
        {
          name: 'db-1',
          roles:
            'sources:\n' +
            `  - { name: data, kind: btrfs, volume: ${data()}, snapshotMount: ${join(fs!.mountPoint, 'snaps')} }\n` +
            `  - { name: logs, kind: dir, volume: ${join(root, 'db-1', 'logs')} }\n`,
        },
        { name: 'web-1', roles: `source: { kind: dir, volume: ${join(root, 'web-1', 'www')} }\n` },
      ];
    }, { prefix: 'ff-multivol-' });
    const b = await rig.director(['backup', '--json']);
    expect(b.code, `${b.stdout}\n${b.stderr}\n${rig.logs()}`).toBe(0);
    id = JSON.parse(b.stdout).backupId;
  }, 120_000);

  afterAll(async () => {
    await rig?.stop();
    await fs?.destroy();
  });

  it('stores each volume as its own entry, named <node>@+<volume>, and records each source as <node>:<name>', async () => {
    onTestFailed(() => console.error(rig.logs()));
    const tree = join(backups(), id);
    const dataEntry = `db-1@+${data().slice(1).replaceAll('/', '+')}`;
    const logsEntry = `db-1@+${logs().slice(1).replaceAll('/', '+')}`;
    const webEntry = `web-1@+${web().slice(1).replaceAll('/', '+')}`;
    expect(readdirSync(tree).filter((e) => e.includes('@+')).sort()).toEqual([dataEntry, logsEntry, webEntry].sort());
    expect(readFileSync(join(tree, dataEntry, 'table.db'), 'utf8')).toBe('rows v1\n');
    expect(readFileSync(join(tree, logsEntry, 'app.log'), 'utf8')).toBe('log v1\n');
    const rec = readRecord(rig, id);
    expect(Object.keys(rec.transfers).sort()).toEqual(['db-1:data', 'db-1:logs', 'web-1']);
    expect(rec.transfers['db-1:data'].entry).toBe(dataEntry);
    // the btrfs volume was snapshotted in the snapshot phase, and the snapshot released after
    const snapshot = rec.phases.find((p: { phase: string }) => p.phase === 'snapshot');
    expect(Object.keys(snapshot.nodes).sort()).toEqual(['db-1:data', 'db-1:logs', 'web-1']);
    expect(readdirSync(join(fs!.mountPoint, 'snaps'))).toEqual([]);
    const show = await rig.director(['show', id]);
    expect(show.stdout).toContain('db-1:data');
    expect(show.stdout).toContain('db-1:logs');
  });

  it('health lists every volume of the node', async () => {
    const h = await rig.director(['health', '--json']);
    expect(h.code, h.stderr).toBe(0);
    const row = JSON.parse(h.stdout).nodes.find((n: { node: string }) => n.node === 'db-1');
    expect(row.source).toBe(`data: btrfs ${data()}, logs: dir ${logs()}`);
  });

  it('restore --only db-1:logs puts back that volume and leaves the node\'s other volume and the other nodes alone', async () => {
    onTestFailed(() => console.error(rig.logs()));
    writeFileSync(join(logs(), 'app.log'), 'log v2\n');
    writeFileSync(join(data(), 'table.db'), 'rows v2\n');
    writeFileSync(join(web(), 'index.html'), 'page v2\n');
    const r = await rig.director(['restore', id, '--only', 'db-1:logs', '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(JSON.parse(r.stdout).restored).toEqual(['db-1:logs']);
    expect(readFileSync(join(logs(), 'app.log'), 'utf8')).toBe('log v1\n');
    expect(readFileSync(join(data(), 'table.db'), 'utf8')).toBe('rows v2\n');
    expect(readFileSync(join(web(), 'index.html'), 'utf8')).toBe('page v2\n');
  });

  it('restore --only db-1 puts back every volume of db-1', async () => {
    writeFileSync(join(logs(), 'app.log'), 'log v3\n');
    const r = await rig.director(['restore', id, '--only', 'db-1']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('db-1:data');
    expect(readFileSync(join(logs(), 'app.log'), 'utf8')).toBe('log v1\n');
    expect(readFileSync(join(data(), 'table.db'), 'utf8')).toBe('rows v1\n');
    expect(readFileSync(join(web(), 'index.html'), 'utf8')).toBe('page v2\n');
  });

  it('restore --dry-run shows what would be overwritten with what, and changes nothing', async () => {
    const before = new Set(readdirSync(join(rig.stateDir, 'runs')));
    writeFileSync(join(logs(), 'app.log'), 'log dry\n');
    const j = await rig.director(['restore', id, '--only', 'db-1:logs', '--dry-run', '--json']);
    expect(j.code, j.stderr).toBe(0);
    const plan = JSON.parse(j.stdout);
    expect(plan).toMatchObject({ backupId: id, target: 'tgt', deployment: 'fault', untouched: ['db-1:data', 'web-1'], unreachable: [] });
    const manifest = readRecord(rig, id).transfers['db-1:logs'];
    expect(plan.sources).toEqual([
      // app.log was just written: "lately" is the last minute
      { source: 'db-1:logs', node: 'db-1', kind: 'dir', volume: logs(), entry: manifest.entry, bytes: manifest.bytesTotal, files: manifest.filesTotal, missing: false, writing: expect.stringMatching(/^db-1:logs: \d+ files and folders there changed in the last 60 s: something writes to it/) },
    ]);
    const h = await rig.director(['restore', 'latest', '--only', 'db-1', '--dry-run']);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toContain(`restore ${id} (taken `);
    expect(h.stdout).toContain('would overwrite 2 volume(s) of deployment fault');
    expect(h.stdout).toMatch(new RegExp(`db-1:data +btrfs +${data()} +\\d`));
    expect(h.stdout).toContain('left as they are: web-1');
    expect(h.stdout).toContain('dry run: nothing was changed');
    expect(readFileSync(join(logs(), 'app.log'), 'utf8')).toBe('log dry\n');
    expect(readdirSync(join(rig.stateDir, 'runs')).filter((f) => f.startsWith('restore_') && !before.has(f))).toEqual([]);
  });

  it('warns when something writes to a volume it would overwrite: the process, and what changed lately', async () => {
    // a process with a file under db-1:logs open for writing (as a logging application has)
    const fd = openSync(join(logs(), 'app.log'), 'a');
    const writer = spawn('sleep', ['60'], { stdio: ['ignore', fd, 'ignore'] });
    closeSync(fd);
    try {
      const j = await rig.director(['restore', id, '--only', 'db-1', '--dry-run', '--json']);
      expect(j.code, j.stderr).toBe(0);
      const [dataPlan, logsPlan] = JSON.parse(j.stdout).sources;
      expect(logsPlan.writing).toContain(`db-1:logs: 1 process has files open for writing under ${logs()}: sleep (pid ${writer.pid}, 1 file)`);
      expect(logsPlan.writing).toMatch(/files and folders there changed in the last 60 s/);
      expect(dataPlan.writing ?? '').not.toContain('open for writing');
      const h = await rig.director(['restore', id, '--only', 'db-1:logs', '--dry-run']);
      expect(h.stdout).toContain(`warning: db-1:logs: 1 process has files open for writing under ${logs()}: sleep (pid ${writer.pid}`);
      // the restore itself warns too (and records it), and goes on
      const r = await rig.director(['restore', id, '--only', 'db-1:logs', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).warnings.join('\n')).toContain(`db-1:logs: 1 process has files open for writing under ${logs()}`);
    } finally {
      writer.kill('SIGKILL');
    }
  });

  it('on a terminal, restore shows the plan and overwrites only after "yes"', async () => {
    // a real terminal: script(1) gives the director a pseudo-terminal and types the answer
    const onTerminal = (answer: string) =>
      run({
        bin: findBinary('script'),
        args: ['-qec', `${process.execPath} ${DIRECTOR_MAIN} -i ${rig.inventory} restore ${id} --only db-1:logs`, '/dev/null'],
        input: `${answer}\n`,
        env: { XDG_STATE_HOME: join(rig.root, 'xdg') },
        timeoutMs: 60_000,
        okExitCodes: [0, 1],
      });
    writeFileSync(join(logs(), 'app.log'), 'log tty\n');
    const no = await onTerminal('no');
    expect(no.code, no.stdout).toBe(1);
    expect(no.stdout).toContain('would overwrite 1 volume(s)');
    expect(no.stdout).toContain(`Type yes to overwrite it with backup ${id}:`);
    expect(no.stdout).toContain(`restore of ${id} not confirmed; nothing was changed`);
    expect(readFileSync(join(logs(), 'app.log'), 'utf8')).toBe('log tty\n');
    const yes = await onTerminal('yes');
    expect(yes.code, yes.stdout).toBe(0);
    expect(readFileSync(join(logs(), 'app.log'), 'utf8')).toBe('log v1\n');
  });

  it('mount shows where a backup is readable on the target; umount of a dir target has nothing to end', async () => {
    const m = await rig.director(['mount', 'latest', '--json']);
    expect(m.code, m.stderr).toBe(0);
    const r = JSON.parse(m.stdout);
    expect(r).toMatchObject({ deployment: 'fault', target: 'tgt', root: join(backups(), r.backupId) });
    expect(r.entries).toHaveLength(3);
    const h = await rig.director(['mount', id]);
    expect(h.stdout).toContain(`backup ${id} of deployment fault is readable on tgt at ${join(backups(), id)}`);
    expect(h.stdout).toContain(`when done: freezeframe umount ${id}`);
    const u = await rig.director(['umount', id]);
    expect(u.code, u.stderr).toBe(0);
    expect(u.stdout).toContain(`backup ${id} was not mounted on tgt (nothing to do)`);
    const wrong = await rig.director(['mount', id, '--node', 'db-1']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--node db-1 is not the target of this deployment (tgt is)');
  });

  it('refuses a volume that is not there and a hostile one, naming --only', async () => {
    const none = await rig.director(['restore', id, '--only', 'db-1:nope']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('--only names db-1:nope, which is not a source');
    expect(none.stderr).toContain('db-1:data, db-1:logs, web-1');
    for (const bad of ['db-1:../x', 'db-1:a@+b', 'db-1:x:y']) {
      const r = await rig.director(['restore', id, '--only', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toMatch(/--only .* is not a source/);
    }
  });

  it('an RPC on a node with several volumes must name one; a volume it does not have is refused', async () => {
    const c = client(rig.pki, 'director', rig.agents.get('db-1')!);
    try {
      await expect(call(c, 'PrepareSnapshot', { backup_id: '20260101_000000' })).rejects.toMatchObject({ details: expect.stringContaining('has 2 source volumes') });
      await expect(call(c, 'PrepareSnapshot', { backup_id: '20260101_000000', entry: 'db-1@+etc' })).rejects.toMatchObject({ details: expect.stringContaining('has no source volume db-1@+etc') });
      await expect(call(c, 'PrepareSnapshot', { backup_id: '20260101_000000', entry: '../x' })).rejects.toMatchObject({ details: expect.stringContaining('entry') });
    } finally {
      c.close();
    }
  });

  it('--check names the key of a volume under sources:', async () => {
    const cfgFile = join(rig.root, 'db-1', 'broken.yaml');
    const cfg = readFileSync(join(rig.root, 'db-1', 'agent.yaml'), 'utf8').replace(logs(), join(rig.root, 'db-1', 'missing'));
    writeFileSync(cfgFile, cfg, { mode: 0o600 });
    const r = await run({ bin: process.execPath, args: [AGENT_MAIN, '--config', cfgFile, '--check'], timeoutMs: 30_000, okExitCodes: [0, 1] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`sources[1].volume: ${join(rig.root, 'db-1', 'missing')}`);
    expect(existsSync(join(rig.root, 'db-1', 'missing'))).toBe(false);
  });
});
