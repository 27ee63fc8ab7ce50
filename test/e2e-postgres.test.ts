import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary, run, spawnProcess, type Spawned } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startRig, type Rig } from './support/fault-rig.js';
import { createLoopBtrfs, type LoopBtrfs } from './support/loopfs.js';
import { lacks, needsRoot } from './support/privileges.js';
import { createFilePool, startZfsFuse, type FilePool, type ZfsDaemon } from './support/zpool.js';
import { claim } from './support/claim.js';

await claim('zfs');

// The check that found the stale WAL segment (docs/reliability.md, "Both ends' verdicts"), as a test: a real PostgreSQL 15 under
// pgbench load on a btrfs source, backed up every few seconds into a ZFS target on zfs-fuse
// (whole-second mtimes), every backup restored over the volume and started. Each restored
// database must recover, pass pg_amcheck, and hold more committed rows than the one before.
// WAL segments of 1 MiB make segment switches (the files finished in a snapshot's second)
// frequent.

const PG = '/usr/lib/postgresql/15/bin';
const skip =
  needsRoot('PostgreSQL on btrfs backed up into zfs-fuse', ['btrfs', 'mkfs.btrfs', 'losetup', 'zfs', 'zpool', 'zfs-fuse', 'rsync', 'runuser']) ||
  lacks(`the PostgreSQL 15 server (${PG}/initdb, package postgresql)`, !existsSync(`${PG}/initdb`));

const BACKUPS = 4;
const PORT = '54331';

describe.skipIf(skip)('PostgreSQL under load: every backup restores, recovers and keeps what was committed', () => {
  let fs: LoopBtrfs | undefined;
  let daemon: ZfsDaemon | undefined;
  let pool: FilePool | undefined;
  let rig: Rig | undefined;
  let pg: Spawned | undefined;
  let load: Spawned | undefined;
  let vol = '';
  let sock = '';
  const ids: string[] = [];

  const as = (args: string[]) => ['-u', 'postgres', '--', ...args];
  const psql = async (sql: string) =>
    (await run({ bin: `${PG}/psql`, args: ['-h', sock, '-p', PORT, '-U', 'postgres', '-d', 'app', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], timeoutMs: 30_000 })).stdout.trim();
  const startPg = async () => {
    pg = spawnProcess({ bin: findBinary('runuser'), args: as([`${PG}/postgres`, '-D', join(vol, 'pgdata'), '-k', sock, '-c', 'listen_addresses=', '-p', PORT]), timeoutMs: 15 * 60_000 });
    pg.done.catch(() => undefined);
    for (let i = 0; ; i++) {
      try {
        await run({ bin: `${PG}/pg_isready`, args: ['-h', sock, '-p', PORT], timeoutMs: 5_000 });
        return;
      } catch (e) {
        if (i > 300) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const stopPg = async () => {
    if (!pg) return;
    pg.kill('SIGINT'); // fast shutdown
    await pg.done.catch(() => undefined);
    pg = undefined;
  };

  beforeAll(async () => {
    fs = await createLoopBtrfs({ sizeMiB: 1024, prefix: 'ff-pg-btrfs-' });
    await run({ bin: findBinary('btrfs'), args: ['subvolume', 'create', join(fs.mountPoint, 'vol')], timeoutMs: 30_000 });
    vol = join(fs.mountPoint, 'vol');
    sock = join(fs.dir, 'sock');
    mkdirSync(sock);
    chmodSync(fs.dir, 0o755);
    chownSync(sock, 101, 104);
    mkdirSync(join(vol, 'pgdata'));
    chownSync(join(vol, 'pgdata'), 101, 104);
    await run({ bin: findBinary('runuser'), args: as([`${PG}/initdb`, '-D', join(vol, 'pgdata'), '--auth=trust', '-U', 'postgres', '--wal-segsize=1']), timeoutMs: 120_000 });
    await startPg();
    await run({ bin: `${PG}/createdb`, args: ['-h', sock, '-p', PORT, '-U', 'postgres', 'app'], timeoutMs: 30_000 });
    await psql('CREATE TABLE ledger (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), pad text)');
    await run({ bin: `${PG}/pgbench`, args: ['-h', sock, '-p', PORT, '-U', 'postgres', '-i', '-s', '2', '-q', 'app'], timeoutMs: 120_000 });

    daemon = await startZfsFuse();
    pool = await createFilePool({ sizeMiB: 1536 });
    const snaps = join(fs.mountPoint, 'snaps');
    rig = await startRig(
      (root) => {
        mkdirSync(join(root, 'x'), { recursive: true });
        return [
          { name: 'tgt', roles: `target: { kind: zfs, dataset: ${pool!.name}/backup/current }\n` },
          { name: 'db-1', roles: `source: { kind: btrfs, volume: ${vol}, snapshotMount: ${snaps} }\n` },
        ];
      },
      { prefix: 'ff-pg-e2e-' },
    );
  }, 300_000);

  afterAll(async () => {
    const steps = [
      async () => {
        load?.kill('SIGKILL');
        await load?.done.catch(() => undefined);
      },
      stopPg,
      async () => rig?.stop(),
      async () => pool?.destroy(),
      async () => daemon?.stop(),
      async () => fs?.destroy(),
    ];
    // every step runs, whatever the one before did
    for (const s of steps) await s().catch((e: unknown) => console.error('cleanup:', e));
  }, 120_000);

  it('backs up every few seconds while pgbench commits', async () => {
    onTestFailed(() => console.error(rig!.logs()));
    const script = join(fs!.dir, 'load.sql');
    writeFileSync(script, "INSERT INTO ledger (pad) VALUES (repeat('x', 200));\n\\set aid random(1, 200000)\nUPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n");
    chmodSync(script, 0o644);
    load = spawnProcess({
      bin: `${PG}/pgbench`,
      args: ['-h', sock, '-p', PORT, '-U', 'postgres', '-n', '-c', '2', '-T', '600', '-f', script, 'app'],
      timeoutMs: 15 * 60_000,
      okExitCodes: [0, 1, 2, -1, 143],
    });
    load.done.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_500));
    for (let i = 0; i < BACKUPS; i++) {
      const r = await rig!.director(['backup', '--json']);
      expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
      ids.push(JSON.parse(r.stdout).backupId as string);
      await new Promise((res) => setTimeout(res, 700));
    }
    load.kill('SIGKILL');
    await load.done.catch(() => undefined);
    load = undefined;
    await stopPg();
  }, 300_000);

  it('each backup restores over the volume, recovers, passes pg_amcheck, and holds more committed rows than the one before', async () => {
    onTestFailed(() => console.error(rig!.logs()));
    expect(ids).toHaveLength(BACKUPS);
    let last = -1;
    const counts: number[] = [];
    for (const id of ids) {
      const r = await rig!.director(['restore', id, '--json']);
      expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
      await startPg();
      try {
        const rows = Number(await psql('SELECT count(*) FROM ledger'));
        counts.push(rows);
        const check = await run({ bin: `${PG}/pg_amcheck`, args: ['-h', sock, '-p', PORT, '-U', 'postgres', '--install-missing', '--heapallindexed', 'app'], timeoutMs: 300_000, okExitCodes: [0, 1, 2] });
        expect(check.code, `pg_amcheck on backup ${id}: ${check.stdout}${check.stderr}`).toBe(0);
        expect(rows, `backup ${id}: ${counts.join(' -> ')} rows`).toBeGreaterThan(last);
        last = rows;
      } finally {
        await stopPg();
      }
    }
  }, 600_000);
});
