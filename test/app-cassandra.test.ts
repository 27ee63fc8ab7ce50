import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { entryName } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '@freezeframe/director/cli/program.js';
import { attachAgentLogs, client, startAgent, stopAgent, stream, writeAgentConfig, type TestAgent } from './support/agents.js';
import { keyspaceRestoreCalls, writeFakeCassandra, type FakeCassandra } from './support/fake-cassandra.js';
import { mountTargetTmpfs } from './support/mounts.js';
import { makePki, type Pki } from './support/pki.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim();

// A Cassandra node's real on-disk layout, with nodetool and systemctl replaced by programs that
// change it as Cassandra would; a real cassandra-source agent and a dir target on loopback; the
// director CLI in-process. Every step's effect on the files is checked.

const skip = needsRoot('chown of restored sstables');

const U1 = '0123456789abcdef0123456789abcdef';
const U2 = '11111111111111111111111111111111';
const U_OLD = '22222222222222222222222222222222';
const U3 = '33333333333333333333333333333333';
const USYS = '44444444444444444444444444444444';
const CASS_UID = 4242;

describe.skipIf(skip)('cassandra source and restore-keyspace', () => {
  let root: string;
  let pki: Pki;
  let fake: FakeCassandra;
  const agents: TestAgent[] = [];
  let inventory: string;
  let unmountTarget: (() => Promise<void>) | undefined;
  const data = () => join(root, 'cass-1', 'data');
  const commitlog = () => join(root, 'cass-1', 'commitlog');
  const backups = () => join(root, 'tgt', 'backups');
  const users = () => join(data(), 'ks1', `users-${U1}`);
  const events = () => join(data(), 'ks1', `events-${U2}`);
  const items = () => join(data(), 'ks2', `items-${U3}`);

  const put = (file: string, content: string) => {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content);
    chownSync(file, CASS_UID, CASS_UID);
  };
  const sstable = (dir: string, gen: number, what: string) => {
    put(join(dir, `nb-${gen}-big-Data.db`), `${what} data ${gen}\n`);
    put(join(dir, `nb-${gen}-big-Index.db`), `${what} index ${gen}\n`);
    put(join(dir, `nb-${gen}-big-TOC.txt`), 'Data.db\nIndex.db\nTOC.txt\n');
  };
  const calls = () =>
    readFileSync(fake.callsFile, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { prog: string; argv: string[] })
      .map((c) => `${c.prog} ${c.argv.join(' ')}`);
  /** Without the agent's Health probes (`nodetool status`, asked by every preflight and health check). */
  const callsNoProbes = () => calls().filter((c) => c !== 'nodetool status');
  const files = (dir: string) => readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile()).sort();

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(['node', 'freezeframe', '-i', inventory, ...args], {
      stdout: { write: (s: string) => void (out += s) },
      stderr: { write: (s: string) => void (err += s) },
      env: {},
    });
    return { code, out, err };
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-cass-'));
    pki = await makePki(join(root, 'pki'), ['director', 'cass-1', 'tgt']);
    unmountTarget = await mountTargetTmpfs(join(root, 'tgt'));
    mkdirSync(backups(), { recursive: true });
    mkdirSync(commitlog(), { recursive: true });
    sstable(users(), 1, 'users');
    put(join(users(), '.users_email_idx', 'nb-1-big-Data.db'), 'email index 1\n');
    sstable(users(), 2, 'users');
    sstable(events(), 1, 'events');
    // a dropped table of the same name: older, with its own leftover snapshot
    sstable(join(data(), 'ks1', `events-${U_OLD}`), 7, 'dropped events');
    put(join(data(), 'ks1', `events-${U_OLD}`, 'snapshots', 'dropped-1700000000', 'nb-7-big-Data.db'), 'x\n');
    utimesSync(join(data(), 'ks1', `events-${U_OLD}`), new Date(2020, 1, 1), new Date(2020, 1, 1));
    sstable(items(), 3, 'items');
    sstable(join(data(), 'system', `local-${USYS}`), 1, 'system');
    for (const d of [users(), events(), items()]) chownSync(d, CASS_UID, CASS_UID);
    put(join(commitlog(), 'CommitLog-7-1.log'), 'old segment\n');

    fake = writeFakeCassandra(root, data(), commitlog());
    writeFileSync(fake.stateFile, 'running\n');
    const cassConf = writeAgentConfig(
      root,
      pki,
      'cass-1',
      `allowRestore: true\nsource:\n  kind: cassandra\n  keyspaces: [ks1, ks2]\n  nodetool: ${fake.nodetool}\n  dataDir: ${data()}\n  commitlogDir: ${commitlog()}\n` +
        `  stagingDir: ${join(root, 'cass-1', 'staging')}\n  service: { unit: cassandra.service, systemctl: ${fake.systemctl} }\n  pollInterval: 100ms\n  startTimeout: 20s\n` +
        `freeze:\n  kind: command\n  pre: { argv: [/usr/bin/sh, -c, 'echo pre >> ${join(root, 'hooks.log')}'] }\n  post: { argv: [/usr/bin/sh, -c, 'echo post >> ${join(root, 'hooks.log')}'] }\n`,
    );
    const tgtConf = writeAgentConfig(root, pki, 'tgt', `target: { kind: dir, path: ${backups()} }\n`);
    agents.push(...(await Promise.all([startAgent('cass-1', cassConf), startAgent('tgt', tgtConf)])));
    const d = pki.files('director');
    inventory = join(root, 'inventory.yaml');
    writeFileSync(
      inventory,
      `deployment: casstest\ntls: { ca: ${d.ca}, cert: ${d.cert}, key: ${d.key} }\nstateDir: ${join(root, 'state')}\nnodes:\n` +
        agents.map((a) => `  - { name: ${a.name}, address: 127.0.0.1:${a.port} }\n`).join('') +
        'freeze: { lease: 10s }\n',
    );
  });

  afterAll(async () => {
    for (const a of agents) await stopAgent(a);
    await unmountTarget?.();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const attachLogs = () => attachAgentLogs(agents);

  it('refuses system keyspaces in the agent config', async () => {
    const { agentConfigSchema } = await import('@freezeframe/common');
    const r = agentConfigSchema.safeParse({ name: 'c', listen: '127.0.0.1:0', tls: { ca: 'a', cert: 'b', key: 'c' }, source: { kind: 'cassandra', keyspaces: ['ks1', 'system_auth'] } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/system keyspace/);
    expect(JSON.stringify(r.error?.issues)).toMatch(/"source","keyspaces",1/);
  });

  let backupId = '';
  const entry = () => entryName('cass-1', data());

  it('backs up: flush, snapshot -t <id> of the configured keyspaces, <keyspace>/<table>/ on the target, clearsnapshot', async () => {
    attachLogs();
    writeFileSync(fake.pendingFile, 'ks1.users\n');
    const r = await cli('backup', '--json');
    expect(r.code, r.err + r.out).toBe(0);
    backupId = (JSON.parse(r.out) as { backupId: string }).backupId;
    expect(callsNoProbes()).toEqual(['nodetool flush', `nodetool snapshot -t ${backupId} ks1 ks2`, `nodetool clearsnapshot -t ${backupId}`]);
    // the command freeze ran around the snapshot (pre before, post after)
    expect(readFileSync(join(root, 'hooks.log'), 'utf8')).toBe('pre\npost\n');

    // the flush wrote generation 3 of users before the snapshot, so the backup holds it
    const b = join(backups(), backupId, entry());
    expect(readdirSync(b).sort()).toEqual(['.freezeframe.json', 'ks1', 'ks2']);
    expect(readdirSync(join(b, 'ks1')).sort()).toEqual(['events', 'users']);
    expect(files(join(b, 'ks1', 'users'))).toEqual([
      'manifest.json', 'nb-1-big-Data.db', 'nb-1-big-Index.db', 'nb-1-big-TOC.txt', 'nb-2-big-Data.db', 'nb-2-big-Index.db', 'nb-2-big-TOC.txt', 'nb-3-big-Data.db', 'nb-3-big-TOC.txt', 'schema.cql',
    ]);
    expect(readFileSync(join(b, 'ks1', 'users', '.users_email_idx', 'nb-1-big-Data.db'), 'utf8')).toBe('email index 1\n');
    expect(readFileSync(join(b, 'ks1', 'events', 'nb-1-big-Data.db'), 'utf8')).toBe('events data 1\n');
    expect(files(join(b, 'ks2', 'items'))).toContain('nb-3-big-Data.db');
    expect(existsSync(join(b, 'system'))).toBe(false);
    const marker = JSON.parse(readFileSync(join(b, '.freezeframe.json'), 'utf8'));
    expect(marker).toMatchObject({ backupId, keyspaces: ['ks1', 'ks2'], tables: { ks1: { users: U1, events: U2 }, ks2: { items: U3 } } });

    // released: no snapshot of this backup left in the data folders, no staging tree; the dropped table's own snapshot untouched
    expect(existsSync(join(users(), 'snapshots', backupId))).toBe(false);
    expect(existsSync(join(root, 'cass-1', 'staging', 'backup', backupId))).toBe(false);
    expect(existsSync(join(data(), 'ks1', `events-${U_OLD}`, 'snapshots', 'dropped-1700000000'))).toBe(true);
  });

  it('restore-keyspace ks1,ks2: stop, clear commit log, replace sstables table by table with the right owner, start, wait, repair', async () => {
    attachLogs();
    // life goes on after the backup: a new sstable, a compaction that removed generation 1 of items, commit log segments
    sstable(users(), 4, 'users after backup');
    rmSync(join(items(), 'nb-3-big-Data.db'));
    sstable(items(), 9, 'items compacted');
    put(join(commitlog(), 'CommitLog-7-2.log'), 'newer segment\n');
    writeFileSync(fake.callsFile, '');

    const r = await cli('restore-keyspace', '--node', 'cass-1', '--keyspace', 'ks1,ks2', 'latest', '--json');
    expect(r.code, r.err + r.out).toBe(0);
    const res = JSON.parse(r.out) as { backupId: string; keyspaces: string[]; steps: Array<{ step: string; keyspace: string; table: string; files: number }> };
    expect(res.backupId).toBe(backupId);
    expect(res.steps.map((s) => `${s.step}${s.keyspace ? ` ${s.keyspace}` : ''}${s.table ? `.${s.table}` : ''}`)).toEqual([
      'check', 'drain', 'stop', 'clear-commitlog',
      'delete ks1.events', 'place ks1.events', 'delete ks1.users', 'place ks1.users', 'delete ks2.items', 'place ks2.items',
      'start', 'wait', 'repair ks1', 'repair ks2', 'cleanup',
    ]);
    expect(res.steps.find((s) => s.step === 'clear-commitlog')?.files).toBe(2);
    expect(res.steps.find((s) => s.step === 'delete' && s.table === 'users')?.files).toBe(12); // generations 1, 2, 4 (3 files each), the flushed 3 (2), the index's 1
    // Health probes (`nodetool status`) come before the drain, in the preflight
    expect(calls().slice(calls().indexOf('nodetool drain'))).toEqual(keyspaceRestoreCalls(['ks1', 'ks2']));

    // at the stop the old files were still there; at the start the backup's files were in place and the commit log empty
    const atStop = JSON.parse(readFileSync(join(root, 'seen-at-stop.json'), 'utf8'));
    expect(atStop.live).toContain(`ks1/users-${U1}/nb-4-big-Data.db`);
    expect(atStop.commitlog).toEqual(['CommitLog-7-1.log', 'CommitLog-7-2.log']);
    const atStart = JSON.parse(readFileSync(join(root, 'seen-at-start.json'), 'utf8'));
    expect(atStart.commitlog).toEqual([]);
    expect(atStart.live).not.toContain(`ks1/users-${U1}/nb-4-big-Data.db`);
    expect(atStart.live).toContain(`ks1/users-${U1}/nb-3-big-Data.db`);

    // the live folders hold exactly the snapshot's sstables, owned like the table folder
    expect(files(users())).toEqual(['nb-1-big-Data.db', 'nb-1-big-Index.db', 'nb-1-big-TOC.txt', 'nb-2-big-Data.db', 'nb-2-big-Index.db', 'nb-2-big-TOC.txt', 'nb-3-big-Data.db', 'nb-3-big-TOC.txt']);
    expect(readFileSync(join(users(), 'nb-3-big-Data.db'), 'utf8')).toBe('flushed memtable of ks1.users\n');
    expect(readFileSync(join(users(), '.users_email_idx', 'nb-1-big-Data.db'), 'utf8')).toBe('email index 1\n');
    expect(files(items())).toEqual(['nb-3-big-Data.db', 'nb-3-big-Index.db', 'nb-3-big-TOC.txt']);
    for (const f of [join(users(), 'nb-1-big-Data.db'), join(items(), 'nb-3-big-Data.db'), join(users(), '.users_email_idx', 'nb-1-big-Data.db')]) {
      expect(statSync(f).uid).toBe(CASS_UID);
      expect(statSync(f).gid).toBe(CASS_UID);
    }
    // untouched: system keyspace, the dropped table's folder, Cassandra's fresh commit log segment
    expect(files(join(data(), 'system', `local-${USYS}`))).toEqual(['nb-1-big-Data.db', 'nb-1-big-Index.db', 'nb-1-big-TOC.txt']);
    expect(files(join(data(), 'ks1', `events-${U_OLD}`))).toContain('nb-7-big-Data.db');
    expect(readdirSync(commitlog())).toEqual(['CommitLog-7-999.log']);
    expect(existsSync(join(root, 'cass-1', 'staging', 'restore'))).toBe(false);
    expect(readFileSync(fake.stateFile, 'utf8').trim()).toBe('running');
  });

  it('health --nagios speaks the monitoring-plugin convention; show gives the backup details', async () => {
    attachLogs();
    const ok = await cli('health', '--nagios', '--max-age', '1h');
    expect(ok.code, ok.out + ok.err).toBe(0);
    expect(ok.out).toMatch(/^FREEZEFRAME OK - 2 nodes healthy, last backup [\d.]+ (ms|s) ago \| nodes=2 healthy=2 warning=0 critical=0 last_backup_age=\d+s;3600;7200;0\n$/);

    const shown = await cli('show', backupId);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/freeze window [\d.]+ m?s on cass-1/);
    expect(shown.out).toMatch(/source +entry +files +changed +size +sent +on wire +took +rate/);
    expect(shown.out).toMatch(new RegExp(`cass-1 +${entry().replaceAll('+', '\\+')} +\\d+ +\\d+ `));
    expect(shown.out).toMatch(/versions: .*cass-1 0\.1\.0/);

    const deadInv = join(root, 'dead.yaml');
    writeFileSync(deadInv, readFileSync(inventory, 'utf8').replace('freeze:', '  - { name: gone-1, address: 127.0.0.1:1 }\nfreeze:'));
    let out = '';
    const code = await main(['node', 'freezeframe', '-i', deadInv, 'health', '--nagios'], { stdout: { write: (x: string) => void (out += x) }, stderr: { write: () => {} }, env: {} });
    expect(code).toBe(2);
    expect(out).toMatch(/^FREEZEFRAME CRITICAL - gone-1 unreachable/);
    const unknown = await main(['node', 'freezeframe', '-i', join(root, 'nope.yaml'), 'health', '--nagios'], { stdout: { write: (x: string) => void (out = x) }, stderr: { write: () => {} }, env: {} });
    expect(unknown).toBe(3);
    expect(out).toMatch(/^FREEZEFRAME UNKNOWN - inventory .*nope\.yaml .*does not exist/);
  });

  it('refuses system keyspaces (director and agent), unknown keyspaces, and a table without a folder before stopping anything', async () => {
    attachLogs();
    const sys = await cli('restore-keyspace', '--node', 'cass-1', '--keyspace', 'system_schema', 'latest');
    expect(sys.code).toBe(2);
    expect(sys.err).toMatch(/system_schema is a system keyspace/);

    const c = client(pki, 'director', agents[0]!);
    try {
      await expect(stream(c, 'RestoreKeyspace', { backup_id: backupId, keyspaces: ['ks1', 'system'] })).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringMatching(/keyspaces\[1\] system is a system keyspace/),
      });
      await expect(stream(c, 'RestoreKeyspace', { backup_id: backupId, keyspaces: ['ks1'] })).rejects.toMatchObject({
        code: grpc.status.FAILED_PRECONDITION,
        details: expect.stringMatching(/no backup is staged/),
      });
    } finally {
      c.close();
    }

    const unknown = await cli('restore-keyspace', '--node', 'cass-1', '--keyspace', 'ks9', 'latest');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/has no keyspace ks9 \(it has: ks1, ks2\)/);

    writeFileSync(fake.callsFile, '');
    const moved = `${items()}.moved`;
    rmSync(moved, { recursive: true, force: true });
    renameSync(items(), moved);
    try {
      const r = await cli('restore-keyspace', '--node', 'cass-1', '--keyspace', 'ks2', backupId);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/table ks2\.items has no folder in .*nothing was changed/);
      expect(callsNoProbes().filter((x) => x.startsWith('systemctl') || x.startsWith('nodetool'))).toEqual([]);
    } finally {
      renameSync(moved, items());
    }
  });

  it('restore of a Cassandra node puts every keyspace in place; --keyspace only those, with the partial-restore warning', async () => {
    attachLogs();
    sstable(users(), 5, 'users after backup');
    sstable(items(), 10, 'items after backup');
    writeFileSync(fake.callsFile, '');
    const all = await cli('restore', 'latest', '--json');
    expect(all.code, all.err + all.out).toBe(0);
    const res = JSON.parse(all.out) as { restored: string[]; keyspaces: Record<string, Array<{ step: string; keyspace: string }>>; stability: { before: { ok: boolean }; after: { ok: boolean } } };
    expect(res.restored).toEqual(['cass-1']);
    expect(res.keyspaces['cass-1']!.filter((x) => x.step === 'repair').map((x) => x.keyspace)).toEqual(['ks1', 'ks2']);
    expect(res.stability.before.ok).toBe(true);
    expect(res.stability.after.ok).toBe(true);
    expect(files(users())).not.toContain('nb-5-big-Data.db');
    expect(files(items())).toEqual(['nb-3-big-Data.db', 'nb-3-big-Index.db', 'nb-3-big-TOC.txt']);
    expect(callsNoProbes().filter((c) => c.startsWith('nodetool repair'))).toEqual(['nodetool repair ks1', 'nodetool repair ks2']);

    sstable(users(), 6, 'users after backup');
    sstable(items(), 11, 'items after backup');
    writeFileSync(fake.callsFile, '');
    const one = await cli('restore', 'latest', '--keyspace', 'ks2');
    expect(one.code, one.err + one.out).toBe(0);
    expect(one.err + one.out).toMatch(/partial restore: keyspaces ks2 on cass-1; other keyspaces keep their current data, so the deployment may be out of sync/);
    expect(one.out).toMatch(/cass-1: keyspaces put in place\n {2}check/);
    expect(one.out).toMatch(/stability before: ok\nstability after: ok/);
    expect(files(users())).toContain('nb-6-big-Data.db');
    expect(files(items())).toEqual(['nb-3-big-Data.db', 'nb-3-big-Index.db', 'nb-3-big-TOC.txt']);
    expect(callsNoProbes().filter((c) => c.startsWith('nodetool repair'))).toEqual(['nodetool repair ks2']);

    // --keyspace on a node that is not Cassandra, and --staging-only
    const wrong = await cli('restore', 'latest', '--keyspace', 'ks1', '--only', 'tgt');
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/--keyspace applies to Cassandra sources, and tgt is not one/);
    writeFileSync(fake.callsFile, '');
    const staged = await cli('restore', 'latest', '--staging-only', '--json');
    expect(staged.code, staged.err).toBe(0);
    expect(JSON.parse(staged.out).warnings.join('\n')).toMatch(/staged only \(--staging-only\)/);
    expect(existsSync(join(root, 'cass-1', 'staging', 'restore', '.freezeframe.json'))).toBe(true);
    expect(callsNoProbes()).toEqual([]);
  });

  it('health reports Cassandra reachability: CRITICAL when it does not answer, and a restore still runs', async () => {
    attachLogs();
    const okRun = await cli('health', '--json');
    const row = (JSON.parse(okRun.out) as { nodes: Array<{ node: string; checks: Array<{ name: string; ok: boolean }>; clockSkewMs: number }> }).nodes.find((n) => n.node === 'cass-1')!;
    expect(row.checks.find((c) => c.name === 'cassandra')?.ok).toBe(true);
    expect(Math.abs(row.clockSkewMs)).toBeLessThan(5_000);

    writeFileSync(fake.stateFile, 'stopped\n');
    try {
      const n = await cli('health', '--nagios');
      expect(n.code).toBe(2);
      expect(n.out).toMatch(/^FREEZEFRAME CRITICAL - cass-1: cassandra does not answer nodetool status: .*Failed to connect/);
      const human = await cli('health');
      expect(human.code).toBe(1);
      expect(human.out).toMatch(/cass-1 FAILED {2}cassandra: cass-1: cassandra does not answer/);
      // a backup needs Cassandra; a restore does not (it stops and starts Cassandra itself)
      const b = await cli('backup');
      expect(b.code).toBe(1);
      expect(b.err).toMatch(/preflight found 1 problem.*\n.*cassandra does not answer/);
      const r = await cli('restore', 'latest', '--keyspace', 'ks1', '--json');
      expect(r.code, r.err + r.out).toBe(0);
      expect(readFileSync(fake.stateFile, 'utf8').trim()).toBe('running');
    } finally {
      writeFileSync(fake.stateFile, 'running\n');
    }
  });
});
