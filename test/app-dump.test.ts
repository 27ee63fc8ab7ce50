import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { agentConfigSchema, findBinary, run, silentLogger, spawnProcess, type SourceConfig, type Spawned } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lacks, needsRoot } from './support/privileges.js';
import { DumpSource } from '@freezeframe/agent/providers/source/dump.js';
import { claim } from './support/claim.js';

await claim();

// The `dump` source kind with /usr/bin/sh standing in for a database dump program (no
// PostgreSQL or MariaDB server here): stdout streams into the dump folder before the transfer.

type DumpConfig = Extract<SourceConfig, { kind: 'dump' }>;
const SH = '/usr/bin/sh';

describe('dump source', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ff-dump-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const source = (dumps: object[]) =>
    new DumpSource(agentConfigSchema.parse({ name: 'db-1', listen: '127.0.0.1:0', tls: { ca: 'a', cert: 'b', key: 'c' }, source: { kind: 'dump', volume: root, dumps } }).source as DumpConfig, silentLogger);

  it('runs each dump into <volume>/<backup id>/<output>, streams large output, and removes it again', async () => {
    const s = source([
      { name: 'appdb', argv: [SH, '-c', 'echo "-- dump of appdb"; echo "INSERT INTO t VALUES (1);"'], output: 'appdb.sql' },
      // 3 MiB: more than the runner keeps in memory, so it must be streamed to the file
      { name: 'big', argv: [SH, '-c', 'head -c 3145728 /dev/zero'], output: 'big.bin', timeout: '20s' },
    ]);
    const id = '20240101_000000';
    await s.prepare(id);
    const dir = await s.snapshotPath(id);
    expect(dir).toBe(join(root, id));
    expect(readFileSync(join(dir, 'appdb.sql'), 'utf8')).toBe('-- dump of appdb\nINSERT INTO t VALUES (1);\n');
    expect(statSync(join(dir, 'big.bin')).size).toBe(3 << 20);
    expect(JSON.parse(readFileSync(join(dir, '.freezeframe-dumps.json'), 'utf8')).dumps.map((d: { name: string }) => d.name)).toEqual(['appdb', 'big']);
    expect(await s.listSnapshots()).toEqual([id]);
    await s.prepare(id); // idempotent
    expect(await s.remove(id)).toBe(true);
    expect(existsSync(dir)).toBe(false);
    expect(await s.remove(id)).toBe(false);
  });

  it('a failing or hanging dump fails the snapshot, names the dump, and leaves nothing behind', async () => {
    const id = '20240101_000001';
    const failing = source([{ name: 'appdb', argv: [SH, '-c', 'echo partial; echo "connection refused" >&2; exit 2'], output: 'appdb.sql' }]);
    await expect(failing.prepare(id)).rejects.toMatchObject({ code: 'SNAPSHOT_FAILED', message: expect.stringMatching(/dump appdb .* exited with 2: connection refused/) });
    const hanging = source([{ name: 'slow', argv: [SH, '-c', 'sleep 5'], output: 'x', timeout: '200ms' }]);
    await expect(hanging.prepare(id)).rejects.toThrow(/dump slow .* did not finish within 200 ms/);
    expect(readdirSync(root).filter((n) => n.startsWith(id))).toEqual([]);
    await expect(failing.snapshotPath(id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

const PG = '/usr/lib/postgresql/15/bin';
const pgSkip =
  needsRoot('a private PostgreSQL cluster (initdb runs as the postgres user)', ['runuser']) ||
  lacks(`the PostgreSQL 15 server (${PG}/initdb, package postgresql)`, !existsSync(`${PG}/initdb`));

describe.skipIf(pgSkip)('dump source with a real PostgreSQL', () => {
  let root: string;
  let pg: Spawned | undefined;
  const port = '54329';
  beforeAll(async () => {
    root = mkdtempSync('/tmp/ff-pg-');
    chmodSync(root, 0o755);
    const db = join(root, 'db');
    mkdirSync(db);
    mkdirSync(join(root, 'sock'));
    chownSync(db, 101, 104);
    chownSync(join(root, 'sock'), 101, 104);
    const as = (args: string[]) => ['-u', 'postgres', '--', ...args];
    await run({ bin: findBinary('runuser'), args: as([`${PG}/initdb`, '-D', db, '--auth=trust', '-U', 'postgres']), timeoutMs: 60_000 });
    pg = spawnProcess({ bin: findBinary('runuser'), args: as([`${PG}/postgres`, '-D', db, '-k', join(root, 'sock'), '-c', 'listen_addresses=', '-p', port]), timeoutMs: 10 * 60_000 });
    pg.done.catch(() => undefined);
    const psql = (sql: string, dbname = 'postgres') => run({ bin: `${PG}/psql`, args: ['-h', join(root, 'sock'), '-p', port, '-U', 'postgres', '-d', dbname, '-v', 'ON_ERROR_STOP=1', '-c', sql], timeoutMs: 20_000 });
    for (let i = 0; ; i++) {
      try {
        await psql('select 1');
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await psql('CREATE DATABASE appdb');
    await psql("CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders VALUES (1, 'first order'), (2, 'second order');", 'appdb');
  });
  afterAll(async () => {
    if (pg) {
      pg.kill('SIGTERM');
      await pg.done.catch(() => undefined);
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('pg_dump from the agent config writes a consistent dump into the snapshot area', async () => {
    const area = join(root, 'dumps');
    mkdirSync(area);
    const s = new DumpSource(
      agentConfigSchema.parse({
        name: 'db-1',
        listen: '127.0.0.1:0',
        tls: { ca: 'a', cert: 'b', key: 'c' },
        source: { kind: 'dump', volume: area, dumps: [{ name: 'appdb', argv: [`${PG}/pg_dump`, '-h', join(root, 'sock'), '-p', port, '-U', 'postgres', '--no-owner', 'appdb'], output: 'appdb.sql' }] },
      }).source as DumpConfig,
      silentLogger,
    );
    await s.prepare('20240101_000000');
    const sql = readFileSync(join(await s.snapshotPath('20240101_000000'), 'appdb.sql'), 'utf8');
    expect(sql).toMatch(/PostgreSQL database dump/);
    expect(sql).toMatch(/CREATE TABLE public\.orders/);
    expect(sql).toMatch(/1\tfirst order\n2\tsecond order/);
    await s.remove('20240101_000000');
  });
});
