import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { entryName, type AgentClient } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { call, client, descendants, stream, waitForLog } from './support/agents.js';
import { DIRECTOR_MAIN, readRecord, startRig, waitFor, type Rig } from './support/fault-rig.js';
import { lacks } from './support/privileges.js';
import { treeListing } from './support/security-rig.js';
import { claim } from './support/claim.js';

await claim();

// `freezeframe drill` through the real director CLI and real agents on loopback (no root): a
// dir target, two dir sources and a drill node that only has restoreDirs. A good drill, a
// sampled one, a stored file flipped and one deleted on the target, hostile drill folders (from
// the inventory and straight over the wire), an interrupted drill, and the drill's timer. After
// every drill the scratch folder is gone.

const which = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }).stdout.trim();
const SYSTEMD_ANALYZE = which('systemd-analyze');
const PROMTOOL = which('promtool');
const json = (s: string) => JSON.parse(s) as any;

/** Regular files under `dir` (paths relative to it) and their total size. */
function regularFiles(dir: string): { files: string[]; bytes: number } {
  const files: string[] = [];
  let bytes = 0;
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d).sort()) {
      const st = lstatSync(join(d, n));
      if (st.isDirectory()) walk(join(d, n), `${rel}${n}/`);
      else if (st.isFile()) {
        files.push(`${rel}${n}`);
        bytes += st.size;
      }
    }
  };
  walk(dir, '');
  return { files, bytes };
}

describe('freezeframe drill', () => {
  let rig: Rig;
  let id = '';
  let scratch = '';
  let drillDir = '';
  let elsewhere = '';
  let prom = '';
  let recorded = { files: 0, bytes: 0 };
  const vol = (n: string) => join(rig.root, n, 'data');
  const stored = (n: string, rel: string) => join(rig.root, 'tgt', 'backups', id, entryName(n, vol(n)), rel);
  const drillInventory = (dir: string) => {
    const file = join(rig.root, `inventory-${Math.random().toString(36).slice(2, 8)}.yaml`);
    writeFileSync(file, readFileSync(rig.inventory, 'utf8').replace(/^drill: .*$/m, `drill: { node: drill, dir: ${dir} }`));
    return file;
  };
  const nagios = async () => (await rig.director(['health', '--nagios'])).stdout;
  const attach = () => onTestFailed(() => console.error(rig.logs()));

  beforeAll(async () => {
    rig = await startRig((root) => {
      scratch = join(root, 'drill-scratch');
      elsewhere = join(root, 'elsewhere');
      mkdirSync(scratch, { recursive: true });
      mkdirSync(elsewhere, { recursive: true });
      // a restoreDir that is itself a link: refused like any link on the way
      symlinkSync(elsewhere, join(root, 'linked-root'));
      const d1 = join(root, 'src-1', 'data');
      mkdirSync(join(d1, 'sub', 'deep'), { recursive: true });
      mkdirSync(join(d1, 'many'), { recursive: true });
      writeFileSync(join(d1, 'f.txt'), 'src-1 file\n');
      writeFileSync(join(d1, 'empty.txt'), '');
      writeFileSync(join(d1, 'sub', 'deep', 'g.bin'), Buffer.from(Array.from({ length: 64 << 10 }, (_, i) => (i * 7919) & 0xff)));
      symlinkSync('f.txt', join(d1, 'link'));
      for (let i = 0; i < 300; i++) writeFileSync(join(d1, 'many', `m${String(i).padStart(3, '0')}.txt`), `file ${i}\n`);
      mkdirSync(join(root, 'src-2', 'data'), { recursive: true });
      writeFileSync(join(root, 'src-2', 'data', 'h.txt'), 'src-2 file\n');
      mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
      return [
        { name: 'tgt', roles: `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n` },
        { name: 'src-1', roles: `source: { kind: dir, volume: ${d1} }\n` },
        { name: 'src-2', roles: `source: { kind: dir, volume: ${join(root, 'src-2', 'data')} }\n` },
        { name: 'drill', roles: `restoreDirs: [${scratch}, ${join(root, 'linked-root')}]\n` },
      ];
    }, { prefix: 'ff-drill-' });
    drillDir = join(scratch, 'weekly');
    prom = join(rig.root.startsWith('/tmp/') ? rig.root : '/tmp', `ff-drill-textfile-${process.pid}`, 'freezeframe.prom');
    appendFileSync(rig.inventory, `drill: { node: drill, dir: ${drillDir} }\nmetrics: { textfile: ${prom} }\n`);
    const b = await rig.director(['backup', '--json']);
    expect(b.code, `${b.stdout}\n${b.stderr}\n${rig.logs()}`).toBe(0);
    id = json(b.stdout).backupId;
    const s1 = regularFiles(vol('src-1'));
    const s2 = regularFiles(vol('src-2'));
    recorded = { files: s1.files.length + s2.files.length, bytes: s1.bytes + s2.bytes };
  }, 120_000);
  afterAll(async () => {
    await rig?.stop();
  });

  it('restores the newest backup into a fresh folder on the drill node, finds every file as recorded, and removes the folder', async () => {
    attach();
    expect(await nagios()).toContain('no restore drill has run yet (freezeframe drill)');
    // what an interrupted drill left, and a file of the operator's that is no drill's
    mkdirSync(join(drillDir, 'drill_20200101_000000', 'restored'), { recursive: true });
    writeFileSync(join(drillDir, 'drill_20200101_000000', 'restored', 'x'), 'old');
    writeFileSync(join(drillDir, 'keep.txt'), 'not a drill folder');

    const r = await rig.director(['drill', 'latest', '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const out = json(r.stdout);
    expect(out).toMatchObject({
      ok: true,
      backupId: id,
      node: 'drill',
      target: 'tgt',
      folder: join(drillDir, out.id, 'restored'),
      removed: true,
      check: { ok: true, filesRecorded: recorded.files, filesExpected: recorded.files, filesChecked: recorded.files, bytesChecked: recorded.bytes, differentTotal: 0, missingTotal: 0, extraTotal: 0, different: [], missing: [], extra: [], problems: [] },
    });
    expect(out.id).toMatch(/^drill_\d{8}_\d{6}$/);
    // the drill node takes sessions to stunnel: the target's agent makes the handshake itself, as for a restore
    expect(await waitForLog(rig.agents.get('tgt')!, (l) => l.msg === 'sending' && l.receiver === 'drill' && l.backup_id === id)).toMatchObject({ tunnel: false });
    expect(out.check.entries).toEqual([entryName('src-1', vol('src-1')), entryName('src-2', vol('src-2'))].sort());
    // rsync counts folders and the symlink too, and the record
    expect(out.transfer.filesTotal).toBeGreaterThan(recorded.files);
    expect(out.transfer.bytesTotal).toBeGreaterThanOrEqual(recorded.bytes);
    expect(out.record).toMatchObject({ kind: 'drill', id: out.id, backupId: id, result: 'ok', drill: { node: 'drill', removed: true, leftoversRemoved: [join(drillDir, 'drill_20200101_000000')] } });
    expect(out.record.phases.map((p: { phase: string }) => p.phase)).toEqual(['preflight', 'activate', 'restore', 'check', 'deactivate', 'cleanup']);
    expect(out.warnings).toContainEqual(expect.stringContaining('removed the folders of earlier drills that did not finish'));
    // the folder is gone, the leftover too; the operator's file stays
    expect(readdirSync(drillDir)).toEqual(['keep.txt']);
    expect(readRecord(rig, out.id)).toMatchObject({ kind: 'drill', result: 'ok' });
    // the target is unlocked and the backup no longer active: a backup runs at once
    const health = json((await rig.director(['health', '--json'])).stdout);
    expect(health.nodes.find((n: { node: string }) => n.node === 'tgt').targetLockedBy).toBeUndefined();

    const human = await rig.director(['drill']);
    expect(human.code, human.stderr).toBe(0);
    const hid = /drill (drill_\d{8}_\d{6}) of backup/.exec(human.stdout)?.[1];
    expect(human.stdout).toMatch(new RegExp(`^drill ${id} OK in `));
    expect(human.stdout).toContain(`drill ${hid} of backup ${id} on drill: the whole backup into ${join(drillDir, hid!, 'restored')}`);
    expect(human.stdout).toContain(`checked ${recorded.files} of ${recorded.files} recorded files`);
    expect(human.stdout).toContain('every file matches the checksum recorded at backup time');
    expect(human.stdout).toContain(`folder ${join(drillDir, hid!)} removed`);
    expect(human.stderr).toMatch(new RegExp(`drill ${hid} started`));
    expect(readdirSync(drillDir)).toEqual(['keep.txt']);

    const show = await rig.director(['show', hid!]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('every file matches the checksum recorded at backup time');
    expect(show.stdout).toMatch(/^check +[\d.]+ m?s +ok +drill /m);

    const text = readFileSync(prom, 'utf8');
    expect(text).toMatch(/^freezeframe_last_run_success\{deployment="fault",kind="drill"\} 1$/m);
    expect(text).toMatch(/^freezeframe_last_run_result\{deployment="fault",kind="drill",result="ok"\} 1$/m);
    expect(text).toMatch(/^freezeframe_last_success_timestamp_seconds\{deployment="fault",kind="drill"\} \d/m);
    expect(text).toContain(`freezeframe_last_drill_files_checked{deployment="fault"} ${recorded.files}\n`);
    expect(text).toContain('freezeframe_last_drill_differences{deployment="fault"} 0\n');
    if (!lacks('promtool (Debian package prometheus, to check the metrics file)', !PROMTOOL)) {
      const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.status, `${check.stdout}${check.stderr}\n${text}`).toBe(0);
    }
    const n = await nagios();
    expect(n).not.toContain('restore drill');
    expect(n).toMatch(/ last_drill_age=\d+s;691200;;0\n$/);
  }, 120_000);

  it('--sample 10% restores and checks about a tenth of the files, chosen at random', async () => {
    attach();
    const r = await rig.director(['drill', id, '--sample', '10%', '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const out = json(r.stdout);
    expect(out).toMatchObject({ ok: true, removed: true, sample: { percent: 10, seed: expect.stringMatching(/^[0-9a-f]{16}$/) }, check: { ok: true, filesRecorded: recorded.files } });
    // 304 files at 10%: 30 expected (a spread of 5.2); anything restored beyond the sample would be "extra"
    expect(out.check.filesExpected).toBeGreaterThanOrEqual(10);
    expect(out.check.filesExpected).toBeLessThanOrEqual(60);
    expect(out.check.filesChecked).toBe(out.check.filesExpected);
    expect(out.transfer.filesTotal).toBeLessThan(recorded.files / 2);
    expect(readdirSync(drillDir)).toEqual(['keep.txt']);
    const human = await rig.director(['drill', '--sample', '5%']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/a sample of 5% of the files \(seed [0-9a-f]{16}\)/);
    expect(human.stdout).toMatch(new RegExp(`checked (\\d+) of \\1 sampled files \\(of ${recorded.files} recorded\\)`));
    for (const bad of ['0%', '101%', 'ten', '10%%']) {
      const x = await rig.director(['drill', '--sample', bad, '--json']);
      expect(x.code, bad).toBe(2);
      expect(json(x.stdout).error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: '--sample' } });
    }
  }, 120_000);

  it('refuses a drill folder outside restoreDirs, with ".." or through a link, naming drill.dir; nothing is written', async () => {
    attach();
    symlinkSync(elsewhere, join(scratch, 'link'));
    const before = [...treeListing(scratch), ...treeListing(elsewhere)];
    const cases: Array<[string, number, string, RegExp]> = [
      [join(rig.root, 'elsewhere', 'x'), 2, 'INVALID_ARGUMENT', /is not inside any of node drill's restoreDirs/],
      ['/etc', 2, 'INVALID_ARGUMENT', /is not inside any of node drill's restoreDirs/],
      [join(scratch, 'link', 'sub'), 1, 'FAILED_PRECONDITION', new RegExp(`${join(scratch, 'link')} is a symbolic link`)],
      [join(rig.root, 'linked-root', 'sub'), 1, 'FAILED_PRECONDITION', new RegExp(`${join(rig.root, 'linked-root')} is a symbolic link`)],
    ];
    for (const [dir, code, err, why] of cases) {
      const r = await rig.director(['-i', drillInventory(dir), 'drill', '--json']);
      expect(r.code, `${dir}: ${r.stderr}`).toBe(code);
      const e = json(r.stdout).error;
      expect(e, dir).toMatchObject({ code: err, node: 'drill', details: { field: 'drill.dir' } });
      expect(e.message, dir).toMatch(new RegExp(`^inventory drill.dir ${dir} refused by drill: `));
      expect(e.message, dir).toMatch(why);
      expect(r.stderr).toContain('hint:');
    }
    // '..' never gets past the inventory's schema
    const dots = await rig.director(['-i', drillInventory(`${scratch}/../elsewhere`), 'drill', '--json']);
    expect(dots.code).toBe(2);
    expect(dots.stderr).toMatch(/drill\.dir: must be an absolute path without "\.\."/);
    expect([...treeListing(scratch), ...treeListing(elsewhere)]).toEqual(before);
    // the target was never touched: no lock, no run record beyond the refused drills'
    const health = json((await rig.director(['health', '--json'])).stdout);
    expect(health.nodes.find((n: { node: string }) => n.node === 'tgt').targetLockedBy).toBeUndefined();
    unlinkSync(join(scratch, 'link'));
  }, 120_000);

  it('the agent itself refuses hostile drill fields over the wire, naming each', async () => {
    attach();
    const drillNode = rig.agents.get('drill')!;
    const tgt = rig.agents.get('tgt')!;
    const toDrill: AgentClient = client(rig.pki, 'director', drillNode);
    const toTgt: AgentClient = client(rig.pki, 'director', tgt);
    const before = [...treeListing(scratch), ...treeListing(elsewhere)];
    const ok = { drill_id: 'drill_20240101_000000', dir: drillDir, backup_id: id };
    const attempts: Array<[AgentClient, string, object, string]> = [];
    for (const rpc of ['OpenDrill', 'CheckDrill', 'RemoveDrill']) {
      for (const dir of [`${scratch}/../elsewhere`, '../x', 'weekly', elsewhere, '/etc', `${scratch}/./x`]) attempts.push([toDrill, rpc, { ...ok, peer: 'tgt', dir }, 'dir']);
      for (const drillId of ['../x', 'drill_1', `drill_20240101_000000/../../x`, 'x'.repeat(5000)]) attempts.push([toDrill, rpc, { ...ok, peer: 'tgt', drill_id: drillId }, 'drill_id']);
    }
    attempts.push([toDrill, 'CheckDrill', { ...ok, sample_percent: 10, sample_seed: '../x' }, 'sample_seed']);
    attempts.push([toDrill, 'CheckDrill', { ...ok, sample_percent: -1, sample_seed: 'ab'.repeat(8) }, 'sample_percent']);
    attempts.push([toDrill, 'OpenDrill', { ...ok, peer: '../x' }, 'peer']);
    for (const [c, rpc, req, field] of attempts) {
      const err = (await call(c, rpc, req).then(() => undefined, (e: unknown) => e)) as grpc.ServiceError | undefined;
      const label = `${rpc} ${JSON.stringify(req).slice(0, 200)}`;
      expect(err, label).toBeDefined();
      expect(err!.code, `${label}: ${err!.details}`).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err!.details, label).toMatch(new RegExp(`^${field} `));
    }
    const stream = (req: object) =>
      new Promise<unknown>((res, rej) => {
        const s = (toTgt as any).DrillSource(req, { deadline: Date.now() + 10_000 });
        s.on('data', () => undefined);
        s.on('error', rej);
        s.on('end', res);
      });
    const receiver = { ticket: 'ab'.repeat(32), receiver_name: 'drill', receiver_host: '127.0.0.1', receiver_data_port: 1 };
    for (const [req, field] of [
      [{ backup_id: '../x', ...receiver }, 'backup_id'],
      [{ backup_id: id, ...receiver, sample_percent: 10, sample_seed: 'x;id' }, 'sample_seed'],
      [{ backup_id: id, ...receiver, receiver_host: '$(id)' }, 'receiver_host'],
    ] as const) {
      const err = (await stream(req).then(() => undefined, (e: unknown) => e)) as grpc.ServiceError | undefined;
      expect(err?.code, JSON.stringify(req)).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err!.details).toMatch(new RegExp(`^${field} `));
    }
    // a drill node without restoreDirs takes no drill at all: the target has none
    const none = (await call(toTgt, 'OpenDrill', { ...ok, peer: 'tgt' }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(none.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(none.details).toContain('node tgt takes no restore drills: its agent config lists no restoreDirs');
    await call(toTgt, 'DeactivateBackup', { backup_id: id });
    toDrill.close();
    toTgt.close();
    expect([...treeListing(scratch), ...treeListing(elsewhere)]).toEqual(before);
    expect(descendants(drillNode.proc.child.pid!)).toEqual([]);
  }, 60_000);

  it('SIGINT during the transfer stops the drill: exit 130, record incomplete, folder removed, target unlocked', async () => {
    attach();
    const d = rig.directorProc(['drill', '--json'], { FREEZEFRAME_FAILPOINT: 'slow-transfer', FREEZEFRAME_FAILPOINT_MS: '30000' });
    // the folder exists once the ticket is open, and the slow transfer holds it there
    await waitFor('the drill folder', () => existsSync(drillDir) && readdirSync(drillDir).some((n) => n.startsWith('drill_')), 20_000);
    // made by the agent, for root only, whatever the backup's own modes
    const folder = readdirSync(drillDir).find((n) => n.startsWith('drill_'))!;
    expect(statSync(join(drillDir, folder)).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(drillDir, folder))).toEqual(['restored']);
    const t0 = Date.now();
    d.proc.kill('SIGINT');
    const code = await d.proc.done.then(
      (x) => x.code,
      (e: { details?: { exitCode?: number } }) => e.details?.exitCode,
    );
    expect(code, d.err()).toBe(130);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const err = json(d.out()).error;
    expect(err).toMatchObject({ code: 'CANCELLED', details: { interrupted: 'SIGINT' } });
    expect(d.err()).toContain(`SIGINT: stopping drill ${err.details.drillId} cleanly (deactivate the backup, remove the drill folder, unlock)`);
    expect(readRecord(rig, err.details.drillId)).toMatchObject({ kind: 'drill', result: 'incomplete', interrupted: 'SIGINT', drill: { removed: true } });
    expect(readdirSync(drillDir)).toEqual(['keep.txt']);
    const health = json((await rig.director(['health', '--json'])).stdout);
    expect(health.nodes.find((n: { node: string }) => n.node === 'tgt').targetLockedBy).toBeUndefined();
    expect(existsSync(join(rig.stateDir, 'running.json'))).toBe(false);
    expect(await nagios()).toMatch(new RegExp(`newest restore drill ${err.details.drillId} did not finish`));
  }, 60_000);

  it('cleanup lists an interrupted drill\'s folder with --dry-run and removes it, leaving the operator\'s file', async () => {
    attach();
    const left = join(drillDir, 'drill_20200202_000000');
    mkdirSync(join(left, 'restored', 'sub'), { recursive: true });
    writeFileSync(join(left, 'restored', 'sub', 'x'), 'a restored file');
    const dry = await rig.director(['cleanup', '--dry-run', '--json']);
    expect(dry.code, `${dry.stdout}\n${dry.stderr}`).toBe(0);
    const drillRow = (out: any) => out.nodes.find((n: { node: string }) => n.node === 'drill');
    expect(drillRow(json(dry.stdout)).removed).toEqual([`drill folder ${left}`]);
    expect(existsSync(join(left, 'restored', 'sub', 'x'))).toBe(true);
    const real = await rig.director(['cleanup', '--json']);
    expect(real.code, `${real.stdout}\n${real.stderr}`).toBe(0);
    expect(drillRow(json(real.stdout)).removed).toEqual([`drill folder ${left}`]);
    expect(readdirSync(drillDir)).toEqual(['keep.txt']);
    const again = await rig.director(['cleanup', '--json']);
    expect(drillRow(json(again.stdout)).removed).toEqual([]);
  }, 60_000);

  it('a stored file flipped and one deleted on the target: the drill names both, exits 1, records failed; nagios warns', async () => {
    attach();
    const flipped = stored('src-1', 'sub/deep/g.bin');
    const original = readFileSync(flipped);
    const gone = stored('src-2', 'h.txt');
    const goneText = readFileSync(gone);
    const st = statSync(flipped);
    const bad = Buffer.from(original);
    bad[100] = bad[100]! ^ 0xff;
    writeFileSync(flipped, bad);
    unlinkSync(gone);
    try {
      const r = await rig.director(['drill', '--json']);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
      const out = json(r.stdout);
      const e1 = entryName('src-1', vol('src-1'));
      const e2 = entryName('src-2', vol('src-2'));
      expect(out).toMatchObject({
        ok: false,
        removed: true,
        check: {
          ok: false,
          different: [`${e1}/sub/deep/g.bin: checksum differs from the one recorded at backup time`],
          missing: [`${e2}/h.txt`],
          extra: [],
          differentTotal: 1,
          missingTotal: 1,
          filesChecked: recorded.files - 1,
        },
        record: { result: 'failed', error: { code: 'RESTORE_FAILED', node: 'drill' } },
      });
      expect(out.record.error.message).toContain(`${e1}/sub/deep/g.bin`);
      expect(readdirSync(drillDir)).toEqual(['keep.txt']);
      expect(readRecord(rig, out.id)).toMatchObject({ result: 'failed' });

      const human = await rig.director(['drill']);
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(/^drill \S+ FAILED in /);
      expect(human.stdout).toContain(`  DIFFERS ${e1}/sub/deep/g.bin: checksum differs from the one recorded at backup time`);
      expect(human.stdout).toContain(`  MISSING ${e2}/h.txt`);
      expect(human.stdout).toContain('1 differ, 1 missing, 0 not in the record');
      expect(readdirSync(drillDir)).toEqual(['keep.txt']);

      const n = await nagios();
      expect(n).toMatch(/^FREEZEFRAME WARNING - .*newest restore drill drill_\d{8}_\d{6} FAILED [\d.]+ m?s ago \(freezeframe show drill_/);
      const text = readFileSync(prom, 'utf8');
      expect(text).toMatch(/^freezeframe_last_run_result\{deployment="fault",kind="drill",result="failed"\} 1$/m);
      expect(text).toMatch(/^freezeframe_last_run_success\{deployment="fault",kind="drill"\} 0$/m);
      expect(text).toContain('freezeframe_last_drill_differences{deployment="fault"} 2\n');
    } finally {
      writeFileSync(flipped, original);
      writeFileSync(gone, goneText);
      expect(statSync(flipped).size).toBe(st.size);
    }
    // the stored copy as recorded again: the next drill passes
    const again = await rig.director(['drill', '--json']);
    expect(again.code, again.stderr).toBe(0);
  }, 120_000);

  it("the target counts a drill's progress from what its rsync read, without a progress line per file", async () => {
    attach();
    const big = join(vol('src-1'), 'big.bin');
    // long enough for the sender's reads of its rsync's count (every 250 ms) to see it on the way
    writeFileSync(big, randomBytes(192 << 20));
    const drillNode = rig.agents.get('drill')!;
    const tgt = rig.agents.get('tgt')!;
    const toDrill: AgentClient = client(rig.pki, 'director', drillNode);
    const toTgt: AgentClient = client(rig.pki, 'director', tgt);
    const drillId = 'drill_20240102_000000';
    let withBig = '';
    try {
      const b = await rig.director(['backup', '--json']);
      expect(b.code, b.stderr).toBe(0);
      withBig = json(b.stdout).backupId;
      const ticket = await call(toDrill, 'OpenDrill', { drill_id: drillId, dir: drillDir, backup_id: withBig, peer: 'tgt' });
      expect(ticket.native).toBe(true);
      const msgs = await stream(toTgt, 'DrillSource', { backup_id: withBig, ticket: ticket.ticket, receiver_name: 'drill', receiver_host: '127.0.0.1', receiver_data_port: ticket.data_port, inplace: ticket.inplace, receiver_native: ticket.native });
      const done = msgs.at(-1);
      expect(done?.done?.exit_code).toBe(0);
      expect(Number(done.done.bytes_total)).toBeGreaterThan(192 << 20);
      const counted = msgs.slice(0, -1);
      expect(counted.length, 'progress before the final stats').toBeGreaterThan(0);
      const bytes = counted.map((m) => Number(m.bytes));
      expect(bytes).toEqual([...bytes].sort((x, y) => x - y));
      // no rsync line behind them: no files checked, the rate in freezeframe's units (rsync's: kB/s, MB/s)
      for (const m of counted) expect(m).toMatchObject({ files_checked: '0', rate: expect.stringMatching(/^[\d.]+ (B|KiB|MiB|GiB)\/s$/) });
      expect(await waitForLog(tgt, (l) => l.msg === 'sending' && l.backup_id === withBig)).toMatchObject({ tunnel: false });
    } finally {
      await call(toDrill, 'RemoveDrill', { drill_id: drillId, dir: drillDir });
      if (withBig) await call(toTgt, 'DeactivateBackup', { backup_id: withBig });
      unlinkSync(big);
      toDrill.close();
      toTgt.close();
    }
  }, 120_000);

  it('schedule install --drill writes a second service and timer that run `drill latest`; systemd-analyze verify accepts them', async () => {
    const units = join(rig.root, 'units');
    const r = await rig.director(['schedule', 'install', '--backup', 'daily 02:00', '--drill', 'weekly sun 12:00', '--dir', units, '--json'], { PATH: '/usr/bin:/bin' });
    expect(r.code, r.stderr).toBe(0);
    const res = json(r.stdout);
    expect(res.units.map((u: { job: string }) => u.job)).toEqual(['backup', 'drill']);
    const drill = res.units[1];
    expect(drill).toMatchObject({ service: 'freezeframe-drill.service', timer: 'freezeframe-drill.timer', schedule: 'weekly sun 12:00', persistent: true });
    expect(drill.execStart).toBe(`${process.execPath} ${DIRECTOR_MAIN} -i ${rig.inventory} drill latest`);
    expect(readFileSync(join(units, 'freezeframe-drill.service'), 'utf8')).toMatch(/^ExecStart=.* drill latest$/m);
    expect(readdirSync(units).sort()).toEqual(['freezeframe-backup.service', 'freezeframe-backup.timer', 'freezeframe-drill.service', 'freezeframe-drill.timer']);
    for (const bad of ['weekly; reboot', '%h']) {
      const x = await rig.director(['schedule', 'install', '--backup', 'daily', '--drill', bad, '--dir', join(rig.root, 'units-bad'), '--json'], { PATH: '/usr/bin:/bin' });
      expect(x.code).toBe(2);
      expect(json(x.stdout).error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: '--drill' } });
    }
    if (!lacks('systemd-analyze (to check the units)', !SYSTEMD_ANALYZE)) {
      expect(drill.onCalendar).toBe('Sun *-*-* 12:00:00');
      const v = spawnSync(SYSTEMD_ANALYZE, ['verify', '--man=no', ...readdirSync(units).map((f) => join(units, f))], { encoding: 'utf8' });
      expect(v.status, v.stderr).toBe(0);
      expect(v.stderr).toBe('');
    }
    const rm = await rig.director(['schedule', 'remove', 'drill', '--dir', units, '--json']);
    expect(json(rm.stdout).removed.sort()).toEqual([join(units, 'freezeframe-drill.service'), join(units, 'freezeframe-drill.timer')]);
  });
});
