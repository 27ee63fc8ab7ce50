import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { entryName } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSample, startBed, type Bed, type BedSource, type CliResult } from './support/bed.js';
import { keyspaceRestoreCalls, writeFakeCassandra, type FakeCassandra } from './support/fake-cassandra.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim('docker', 'zfs');

// Hooks, dumps and Cassandra through the director CLI on the multi-host bed: three source
// agents in their own containers next to a zfs-fuse target. app-1 freezes with `command`
// hooks from its config; db-1 is a `dump` source (/usr/bin/sh standing in for pg_dump); cass-1
// is a `cassandra` source whose nodetool and systemctl are the recording stand-ins of
// fake-cassandra.ts, working on a real on-disk layout in the container's writable btrfs mount
// (bound at its host path too, because the stand-ins name host paths).

const skip = needsRoot('multi-host bed', ['dockerd', 'btrfs', 'zfs-fuse']);

const SH = '/usr/bin/sh';
const U1 = '0123456789abcdef0123456789abcdef';
const U2 = '11111111111111111111111111111111';
const U3 = '33333333333333333333333333333333';
const CASS_UID = 4242;

function describeRun(r: CliResult, bed: Bed): string {
  return `exit ${r.code}\nstdout: ${r.stdout.slice(-4000)}\nstderr: ${r.stderr.slice(-4000)}\n${bed.agentLogs()}`;
}

/** The Cassandra node's folders on the host (and, through the host-path bind, in its container). */
function cassPaths(mount: string) {
  const root = join(mount, 'cass');
  const data = join(root, 'data');
  return {
    root,
    data,
    commitlog: join(root, 'commitlog'),
    staging: join(root, 'staging'),
    users: join(data, 'ks1', `users-${U1}`),
    events: join(data, 'ks1', `events-${U2}`),
    items: join(data, 'ks2', `items-${U3}`),
  };
}

const put = (file: string, content: string) => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  chownSync(file, CASS_UID, CASS_UID);
};
const sstable = (dir: string, gen: number, what: string) => {
  put(join(dir, `nb-${gen}-big-Data.db`), `${what} data ${gen}\n`);
  put(join(dir, `nb-${gen}-big-TOC.txt`), 'Data.db\nTOC.txt\n');
};
const files = (dir: string) => readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile()).sort();

describe.skipIf(skip)('command hooks, dumps and Cassandra through the director CLI on the bed', () => {
  let bed: Bed;
  let fake: FakeCassandra;
  const cass = () => cassPaths(bed.source('cass-1').mount);
  const hooksLog = () => join(bed.source('app-1').mount, 'hooks.log');
  const hookLines = () => (existsSync(hooksLog()) ? readFileSync(hooksLog(), 'utf8') : '');
  const calls = () =>
    readFileSync(fake.callsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { prog: string; argv: string[] })
      .map((c) => `${c.prog} ${c.argv.join(' ')}`);
  /** Without the agent's Health probes (`nodetool status`, asked by every preflight and health check). */
  const callsNoProbes = () => calls().filter((c) => c !== 'nodetool status');

  beforeAll(async () => {
    bed = await startBed({
      subnet: '10.80.0',
      freezeLease: '10s',
      sources: [
        {
          name: 'app-1',
          freeze: 'none',
          // pre leaves a marker in the volume and post removes it: the backup holds the marker
          // only if the snapshot was taken between the two hooks
          agentConfig: () => ({
            freeze: {
              kind: 'command',
              pre: { argv: [SH, '-c', 'echo pre >> /data/hooks.log; echo frozen > /data/vol/in-freeze'], timeout: '10s' },
              // the marker goes before the log line: the test waits for the line, then checks the marker
              post: { argv: [SH, '-c', 'rm -f /data/vol/in-freeze; echo post >> /data/hooks.log'] },
            },
          }),
        },
        {
          name: 'db-1',
          freeze: 'none',
          agentConfig: () => ({
            source: {
              kind: 'dump',
              volume: '/data/dumps',
              dumps: [{ name: 'appdb', argv: [SH, '-c', 'echo "-- dump of appdb"; cat /data/vol/sample/hello.txt'], output: 'appdb.sql', timeout: '20s' }],
            },
          }),
        },
        {
          name: 'cass-1',
          freeze: 'none',
          mountAtHostPath: true,
          agentConfig: (s: BedSource) => {
            const p = cassPaths(s.mount);
            return {
              source: {
                kind: 'cassandra',
                keyspaces: ['ks1', 'ks2'],
                nodetool: join(p.root, 'nodetool'),
                dataDir: p.data,
                commitlogDir: p.commitlog,
                stagingDir: p.staging,
                service: { unit: 'cassandra.service', systemctl: join(p.root, 'systemctl') },
                pollInterval: '100ms',
                startTimeout: '20s',
              },
            };
          },
        },
      ],
      seed: async (volume, spec) => {
        await seedSample(volume, spec.name);
        const mount = dirname(volume);
        if (spec.name === 'db-1') mkdirSync(join(mount, 'dumps'));
        if (spec.name !== 'cass-1') return;
        // dataDir and stagingDir on one subvolume (the mount's top level): the agent hard-links between them
        const p = cassPaths(mount);
        mkdirSync(p.commitlog, { recursive: true });
        sstable(p.users, 1, 'users');
        sstable(p.users, 2, 'users');
        put(join(p.users, '.users_email_idx', 'nb-1-big-Data.db'), 'email index 1\n');
        sstable(p.events, 1, 'events');
        sstable(p.items, 3, 'items');
        for (const d of [p.users, p.events, p.items]) chownSync(d, CASS_UID, CASS_UID);
        put(join(p.commitlog, 'CommitLog-7-1.log'), 'old segment\n');
        fake = writeFakeCassandra(p.root, p.data, p.commitlog);
        writeFileSync(fake.stateFile, 'running\n');
      },
    });
  }, 150_000);

  afterAll(async () => {
    await bed?.stop();
  });

  let backupId = '';

  it('backup: the hooks run around the snapshot, the dump and the keyspaces land in the tagged ZFS backup', async () => {
    writeFileSync(fake.pendingFile, 'ks1.users\n');
    const r = await bed.cli(['backup', '--json'], { timeoutMs: 120_000 });
    expect(r.code, describeRun(r, bed)).toBe(0);
    backupId = (r.json as { backupId: string }).backupId;

    // command freeze: pre, then post; post removed the marker pre left in the live volume
    expect(hookLines()).toBe('pre\npost\n');
    expect(existsSync(join(bed.source('app-1').volume, 'in-freeze'))).toBe(false);
    // cassandra: flush, snapshot of the configured keyspaces tagged with the backup id, clearsnapshot at release
    expect(callsNoProbes()).toEqual(['nodetool flush', `nodetool snapshot -t ${backupId} ks1 ks2`, `nodetool clearsnapshot -t ${backupId}`]);
    expect(existsSync(join(cass().users, 'snapshots', backupId))).toBe(false);
    expect(existsSync(join(cass().staging, 'backup', backupId))).toBe(false);
    // dump: released on the node after the transfer
    expect(readdirSync(join(bed.source('db-1').mount, 'dumps'))).toEqual([]);

    expect(await bed.zfs(['zfs', 'list', '-H', '-o', 'name', '-t', 'snapshot'])).toContain(`${bed.target.dataset}@${backupId}`);
    await bed.withBackup(backupId, (root) => {
      const app = join(root, bed.source('app-1').entry);
      expect(readFileSync(join(app, 'in-freeze'), 'utf8')).toBe('frozen\n');
      expect(readFileSync(join(app, 'sample', 'hello.txt'), 'utf8')).toBe('hello from app-1\n');

      const db = join(root, entryName('db-1', '/data/dumps'));
      expect(readFileSync(join(db, 'appdb.sql'), 'utf8')).toBe('-- dump of appdb\nhello from db-1\n');
      expect(JSON.parse(readFileSync(join(db, '.freezeframe-dumps.json'), 'utf8')).dumps.map((d: { name: string }) => d.name)).toEqual(['appdb']);

      const c = join(root, entryName('cass-1', cass().data));
      expect(readdirSync(c).sort()).toEqual(['.freezeframe.json', 'ks1', 'ks2']);
      expect(readdirSync(join(c, 'ks1')).sort()).toEqual(['events', 'users']);
      // generation 3 is the memtable the flush wrote before the snapshot
      expect(files(join(c, 'ks1', 'users'))).toEqual([
        'manifest.json', 'nb-1-big-Data.db', 'nb-1-big-TOC.txt', 'nb-2-big-Data.db', 'nb-2-big-TOC.txt', 'nb-3-big-Data.db', 'nb-3-big-TOC.txt', 'schema.cql',
      ]);
      expect(readFileSync(join(c, 'ks1', 'users', '.users_email_idx', 'nb-1-big-Data.db'), 'utf8')).toBe('email index 1\n');
      expect(files(join(c, 'ks2', 'items'))).toContain('nb-3-big-Data.db');
      expect(JSON.parse(readFileSync(join(c, '.freezeframe.json'), 'utf8'))).toMatchObject({ backupId, keyspaces: ['ks1', 'ks2'], tables: { ks1: { users: U1, events: U2 }, ks2: { items: U3 } } });
    });
  });

  it('pause with a short lease: pre runs, and post runs when the lease runs out without an unpause', async () => {
    writeFileSync(hooksLog(), '');
    const r = await bed.cli(['pause', '--lease', '3s', '--json']);
    expect(r.code, describeRun(r, bed)).toBe(0);
    const p = r.json as { id: string; nodes: Array<{ node: string; frozen: string[] }> };
    expect(p.nodes.map((n) => n.node)).toEqual(['app-1']);
    expect(p.nodes[0]!.frozen).toEqual(['command:sh']);
    expect(hookLines()).toBe('pre\n');
    expect(readFileSync(join(bed.source('app-1').volume, 'in-freeze'), 'utf8')).toBe('frozen\n');
    const during = await bed.cli(['health', '--json']);
    expect((during.json as { nodes: Array<{ node: string; frozen: string[] }> }).nodes.find((n) => n.node === 'app-1')?.frozen, describeRun(during, bed)).toEqual([p.id]);

    const deadline = Date.now() + 10_000;
    while (hookLines() !== 'pre\npost\n' && Date.now() < deadline) await sleep(100);
    expect(hookLines(), bed.agentLogs()).toBe('pre\npost\n');
    expect(existsSync(join(bed.source('app-1').volume, 'in-freeze'))).toBe(false);
    const h = await bed.cli(['health', '--json']);
    const app = (h.json as { nodes: Array<{ node: string; frozen?: string[] }> }).nodes.find((n) => n.node === 'app-1');
    expect(app?.frozen, describeRun(h, bed)).toEqual([]);
    expect(readFileSync(join(bed.dir, 'logs', 'app-1.log'), 'utf8')).toMatch(/lease expired/);
  });

  it('restore-keyspace --node cass-1 --keyspace ks1 <id>: files back, owner kept, nodetool and systemctl called in order', async () => {
    const p = cass();
    // life goes on after the backup: a new sstable in ks1 and ks2, a compaction, a commit log segment
    sstable(p.users, 4, 'users after backup');
    sstable(p.items, 9, 'items after backup');
    put(join(p.commitlog, 'CommitLog-7-2.log'), 'newer segment\n');
    writeFileSync(fake.callsFile, '');

    const r = await bed.cli(['restore-keyspace', '--node', 'cass-1', '--keyspace', 'ks1', backupId, '--json'], { timeoutMs: 120_000 });
    expect(r.code, describeRun(r, bed)).toBe(0);
    const res = r.json as { backupId: string; steps: Array<{ step: string; keyspace?: string; table?: string; files?: number }> };
    expect(res.backupId).toBe(backupId);
    expect(res.steps.map((s) => `${s.step}${s.keyspace ? ` ${s.keyspace}` : ''}${s.table ? `.${s.table}` : ''}`)).toEqual([
      'check', 'drain', 'stop', 'clear-commitlog', 'delete ks1.events', 'place ks1.events', 'delete ks1.users', 'place ks1.users', 'start', 'wait', 'repair ks1', 'cleanup',
    ]);
    expect(res.steps.find((s) => s.step === 'clear-commitlog')?.files).toBe(2);
    const c = calls();
    expect(c.slice(c.indexOf('nodetool drain'))).toEqual(keyspaceRestoreCalls(['ks1']));

    // at the stop the newer files were live; at the start the backup's files were in place and the commit log empty
    const atStop = JSON.parse(readFileSync(join(p.root, 'seen-at-stop.json'), 'utf8'));
    expect(atStop.live).toContain(`ks1/users-${U1}/nb-4-big-Data.db`);
    expect(atStop.commitlog).toEqual(['CommitLog-7-1.log', 'CommitLog-7-2.log']);
    const atStart = JSON.parse(readFileSync(join(p.root, 'seen-at-start.json'), 'utf8'));
    expect(atStart.commitlog).toEqual([]);
    expect(atStart.live).not.toContain(`ks1/users-${U1}/nb-4-big-Data.db`);

    expect(files(p.users)).toEqual(['nb-1-big-Data.db', 'nb-1-big-TOC.txt', 'nb-2-big-Data.db', 'nb-2-big-TOC.txt', 'nb-3-big-Data.db', 'nb-3-big-TOC.txt']);
    expect(readFileSync(join(p.users, 'nb-3-big-Data.db'), 'utf8')).toBe('flushed memtable of ks1.users\n');
    expect(readFileSync(join(p.users, '.users_email_idx', 'nb-1-big-Data.db'), 'utf8')).toBe('email index 1\n');
    expect(files(p.events)).toEqual(['nb-1-big-Data.db', 'nb-1-big-TOC.txt']);
    for (const f of [join(p.users, 'nb-1-big-Data.db'), join(p.users, 'nb-3-big-Data.db'), join(p.users, '.users_email_idx', 'nb-1-big-Data.db')]) {
      expect(statSync(f).uid, f).toBe(CASS_UID);
      expect(statSync(f).gid, f).toBe(CASS_UID);
    }
    // ks2 was not asked for: its newer sstable stays
    expect(files(p.items)).toContain('nb-9-big-Data.db');
    expect(readdirSync(p.commitlog)).toEqual(['CommitLog-7-999.log']);
    expect(existsSync(join(p.staging, 'restore'))).toBe(false);
    expect(readFileSync(fake.stateFile, 'utf8').trim()).toBe('running');
  });

  it('restore --only db-1 brings the dump back into the node\'s restore folder', async () => {
    const r = await bed.cli(['restore', backupId, '--only', 'db-1', '--json'], { timeoutMs: 120_000 });
    expect(r.code, describeRun(r, bed)).toBe(0);
    expect((r.json as { restored: string[] }).restored).toEqual(['db-1']);
    expect(readFileSync(join(bed.source('db-1').mount, 'dumps', 'restore', 'appdb.sql'), 'utf8')).toBe('-- dump of appdb\nhello from db-1\n');
  });
});
