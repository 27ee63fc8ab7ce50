import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startRig, type Rig } from './support/fault-rig.js';
import { claim } from './support/claim.js';

await claim();

// What a newcomer meets, through the real director CLI and real agents on loopback (no root):
// `latest` in show and verify, target-only commands with a node down, and the messages for a
// stopped agent, a wrong certificate name and a wrong inventory path.

describe('latest, a node down, and messages that say what to do', () => {
  let rig: Rig;
  let id = '';

  beforeAll(async () => {
    rig = await startRig((root) => {
      for (const n of ['src-1', 'src-2']) {
        mkdirSync(join(root, n, 'data'), { recursive: true });
        writeFileSync(join(root, n, 'data', 'f.txt'), `${n}\n`);
      }
      mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
      return [
        { name: 'tgt', roles: `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n` },
        { name: 'src-1', roles: `source: { kind: dir, volume: ${join(root, 'src-1', 'data')} }\n` },
        { name: 'src-2', roles: `source: { kind: dir, volume: ${join(root, 'src-2', 'data')} }\n` },
      ];
    }, { prefix: 'ff-newcomer-' });
    const b = await rig.director(['backup', '--json']);
    expect(b.code, `${b.stdout}\n${b.stderr}`).toBe(0);
    id = JSON.parse(b.stdout).backupId;
  }, 120_000);
  afterAll(async () => {
    await rig?.stop();
  });

  it('show latest prints the run record of the newest backup, as show <id> does', async () => {
    onTestFailed(() => console.error(rig.logs()));
    const latest = await rig.director(['show', 'latest', '--json']);
    expect(latest.code, latest.stderr).toBe(0);
    const byId = await rig.director(['show', id, '--json']);
    expect(JSON.parse(latest.stdout)).toMatchObject({ from: 'record', record: { backupId: id, kind: 'backup', result: 'ok' } });
    expect(JSON.parse(latest.stdout).record).toEqual(JSON.parse(byId.stdout).record);
    const human = await rig.director(['show', 'latest']);
    expect(human.stdout).not.toContain('manifest:');
    expect(human.stdout).toContain(id);
  });

  it('verify latest verifies the newest backup', async () => {
    const v = await rig.director(['verify', 'latest', '--json']);
    expect(v.code, `${v.stdout}\n${v.stderr}`).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, backupId: id, target: 'tgt' });
  });

  it('a wrong inventory path names the file and what to do, not a bare ENOENT', async () => {
    const missing = join(rig.root, 'no-such-inventory.yaml');
    const r = await rig.director(['-i', missing, 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`inventory ${missing} (from -i) does not exist`);
    expect(r.stderr).toContain('pass -i FILE or set FREEZEFRAME_INVENTORY');
    expect(r.stderr).not.toMatch(/cannot read: ENOENT/);
  });

  it('a wrong certificate name says which name the certificate has', async () => {
    const inv = readFileSync(rig.inventory, 'utf8').replace('name: src-1,', 'name: db-1,');
    const file = join(rig.root, 'inventory-wrong-name.yaml');
    writeFileSync(file, inv);
    const r = await rig.director(['-i', file, 'backup']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("db-1: the agent at 127.0.0.1:");
    expect(r.stderr).toContain("presented a certificate for 'src-1', not for 'db-1': the inventory's name or the certificate is wrong");
    expect(r.stderr).not.toContain('Resolution note');
  });

  it('with src-2 stopped: list, show and verify name it and go on; a backup says the agent refused', async () => {
    onTestFailed(() => console.error(rig.logs()));
    await rig.kill9('src-2');
    const port = rig.agents.get('src-2')!.port;
    const l = await rig.director(['list']);
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout).toMatch(new RegExp(`warning: src-2: 127\\.0\\.0\\.1:${port} refused the connection: is freezeframe-agent running there\\?`));
    expect(l.stdout).toContain(id);
    const s = await rig.director(['show', 'latest', '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ from: 'record', record: { backupId: id }, warnings: [expect.stringContaining('src-2')] });
    const v = await rig.director(['verify', 'latest']);
    expect(v.code, `${v.stdout}\n${v.stderr}`).toBe(0);
    expect(v.stdout).toContain('warning: src-2');
    expect(v.stdout).toContain(`backup ${id} on tgt: OK`);

    const b = await rig.director(['backup']);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain(`src-2: 127.0.0.1:${port} refused the connection: is freezeframe-agent running there?`);
    expect(b.stderr).not.toContain('Resolution note');
  }, 60_000);

  it('with src-2 stopped: restore --only src-1 restores src-1, names src-2 and needs no --force', async () => {
    onTestFailed(() => console.error(rig.logs()));
    await rig.kill9('src-2'); // stopped already when the test above ran
    const port = rig.agents.get('src-2')!.port;
    writeFileSync(join(rig.root, 'src-1', 'data', 'f.txt'), 'changed after the backup\n');
    const r = await rig.director(['restore', id, '--only', 'src-1', '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ backupId: id, restored: ['src-1'], stability: { before: { ok: true } } });
    expect(out.warnings).toContainEqual(expect.stringContaining(`src-2: 127.0.0.1:${port} refused the connection`));
    expect(out.warnings).toContainEqual(expect.stringContaining('not needed for this command'));
    expect(readFileSync(join(rig.root, 'src-1', 'data', 'f.txt'), 'utf8')).toBe('src-1\n');
  }, 60_000);
});
