import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { run, spawnProcess, type Spawned } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startRig, type Rig } from './support/fault-rig.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim();

// The `dump` source with a real MariaDB from Debian: `mariadb-dump --single-transaction` runs
// from the agent config (credentials in a root-only defaults file) while a writer commits
// transactions, the backup and the restore go through the director CLI and real agents on
// loopback, and the restored dump is loaded into a fresh server and compared with the source
// as of the dump's consistent point. Private servers only: own datadir, socket and port.

const MARIADBD = '/usr/sbin/mariadbd';
const MARIADB = '/usr/bin/mariadb';
const DUMP = '/usr/bin/mariadb-dump';
const INSTALL_DB = '/usr/bin/mariadb-install-db';
const SEED = 200_000; // orders before the writer starts, so the dump takes a while
const LINES = 3; // order lines per order, written in the order's transaction

const skip = needsRoot('private MariaDB servers (mariadbd --user=root; Debian packages mariadb-server, mariadb-client)', ['mariadbd', 'mariadb-install-db', 'mariadb', 'mariadb-dump']);

interface Server {
  dir: string;
  socket: string;
  port: number;
  proc: Spawned;
  sql(statements: string, db?: string): Promise<string>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** A mariadbd of our own: --no-defaults, so no system my.cnf and no system datadir or socket is read. */
async function startServer(dir: string): Promise<Server> {
  mkdirSync(dir);
  const data = join(dir, 'data');
  await run({ bin: INSTALL_DB, args: ['--no-defaults', '--user=root', `--datadir=${data}`, '--auth-root-authentication-method=socket', '--skip-test-db'], timeoutMs: 120_000 });
  const socket = join(dir, 'mysqld.sock');
  const port = await freePort();
  const proc = spawnProcess({
    bin: MARIADBD,
    args: ['--no-defaults', '--user=root', `--datadir=${data}`, `--socket=${socket}`, `--port=${port}`, '--bind-address=127.0.0.1', `--pid-file=${join(dir, 'mariadbd.pid')}`, `--log-error=${join(dir, 'error.log')}`, '--innodb-buffer-pool-size=128M', '--skip-log-bin'],
    timeoutMs: 30 * 60_000,
  });
  proc.done.catch(() => undefined);
  const sql = async (statements: string, db?: string) =>
    (await run({ bin: MARIADB, args: ['--no-defaults', '-S', socket, '-u', 'root', '-N', '-B', '-e', statements, ...(db ? [db] : [])], timeoutMs: 5 * 60_000, maxStdout: 16 << 20 })).stdout;
  for (let i = 0; ; i++) {
    try {
      await sql('SELECT 1');
      break;
    } catch (e) {
      if (i > 300) throw new Error(`mariadbd in ${dir} did not answer: ${String(e)}\n${readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    dir,
    socket,
    port,
    proc,
    sql,
    async stop() {
      proc.kill('SIGTERM'); // a clean shutdown; the runner's timeout kills it otherwise
      await proc.done.catch(() => undefined);
    },
  };
}

/**
 * Commits one order with its LINES lines per transaction, one after the other, through one
 * client session; `committed` is the id of the last order whose COMMIT the server confirmed.
 */
function startWriter(s: Server, firstId: number) {
  const w = spawnProcess({ bin: MARIADB, args: ['--no-defaults', '-S', s.socket, '-u', 'root', '-N', '-B', '--unbuffered', 'appdb'], timeoutMs: 30 * 60_000 }, true);
  w.done.catch(() => undefined);
  let errors = '';
  w.child.stderr!.on('data', (b: Buffer) => (errors += b.toString()));
  const state = { committed: firstId - 1, stopping: false, finished: undefined as undefined | Promise<void> };
  const send = (id: number) => {
    const lines = Array.from({ length: LINES }, (_, n) => `(${id}, ${n + 1}, 'sku-${(id * 7 + n) % 1000}', ${(id % 97) + n}.25)`).join(', ');
    w.child.stdin!.write(`START TRANSACTION; INSERT INTO orders (id, customer, total, created) VALUES (${id}, 'customer ${id % 5000}', ${id % 1000}.50, NOW(6)); INSERT INTO order_lines (order_id, n, sku, price) VALUES ${lines}; COMMIT; SELECT ${id};\n`);
  };
  state.finished = new Promise<void>((resolve) => {
    createInterface({ input: w.child.stdout! }).on('line', (line) => {
      state.committed = Number(line);
      if (state.stopping) {
        w.child.stdin!.end();
        resolve();
      } else send(state.committed + 1);
    });
  });
  send(firstId);
  return {
    get committed() {
      return state.committed;
    },
    errors: () => errors,
    async stop(): Promise<number> {
      state.stopping = true;
      await state.finished;
      await w.done.catch(() => undefined);
      return state.committed;
    },
  };
}

const checksum = async (s: Server, table: string): Promise<string> => (await s.sql(`CHECKSUM TABLE ${table}`)).trim().split('\t')[1]!;

describe.skipIf(skip)('dump source with a real MariaDB under a writing load, through backup and restore', () => {
  let work = '';
  let source: Server | undefined;
  let fresh: Server | undefined;
  let rig: Rig | undefined;
  const area = () => join(work, 'dumps');

  beforeAll(async () => {
    work = mkdtempSync('/tmp/ffmdb-');
    chmodSync(work, 0o700);
    source = await startServer(join(work, 'src'));
    await source.sql(
      'CREATE DATABASE appdb; USE appdb; ' +
        'CREATE TABLE appdb.orders (id INT PRIMARY KEY, customer VARCHAR(40) NOT NULL, total DECIMAL(10,2) NOT NULL, created DATETIME(6) NOT NULL) ENGINE=InnoDB; ' +
        'CREATE TABLE appdb.order_lines (id BIGINT AUTO_INCREMENT PRIMARY KEY, order_id INT NOT NULL, n INT NOT NULL, sku VARCHAR(20) NOT NULL, price DECIMAL(10,2) NOT NULL, KEY (order_id)) ENGINE=InnoDB; ' +
        `INSERT INTO appdb.orders SELECT seq, CONCAT('customer ', seq % 5000), seq % 1000 + 0.5, '2024-01-01 00:00:00' + INTERVAL seq SECOND FROM seq_1_to_${SEED}; ` +
        `INSERT INTO appdb.order_lines (order_id, n, sku, price) SELECT o.seq, l.seq, CONCAT('sku-', (o.seq * 7 + l.seq - 1) % 1000), o.seq % 97 + l.seq - 1 + 0.25 FROM seq_1_to_${SEED} o, seq_1_to_${LINES} l ORDER BY o.seq, l.seq; ` +
        // the least a dump needs; the password lives only in the defaults file
        `CREATE USER ffbackup@'127.0.0.1' IDENTIFIED BY '${randomBytes(12).toString('hex')}'; ` +
        "GRANT SELECT, SHOW VIEW, TRIGGER, LOCK TABLES, EVENT ON appdb.* TO ffbackup@'127.0.0.1';",
    );
    mkdirSync(area());
    mkdirSync(join(work, 'etc'), { mode: 0o700 });
    rig = await startRig(
      (root) => {
        mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
        return [
          { name: 'tgt', roles: `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n` },
          {
            name: 'db-1',
            roles:
              `source:\n  kind: dump\n  volume: ${area()}\n  dumps:\n` +
              `    - name: appdb\n      argv: [${DUMP}, --defaults-file=${join(work, 'etc', 'mariadb-backup.cnf')}, --single-transaction, --routines, --triggers, --events, appdb]\n      output: appdb.sql\n      timeout: 10m\n`,
          },
        ];
      },
      { prefix: 'ff-mdb-' },
    );
  }, 300_000);

  afterAll(async () => {
    try {
      await rig?.stop();
      await source?.stop();
      await fresh?.stop();
    } finally {
      if (work) rmSync(work, { recursive: true, force: true });
    }
  });

  it('backs up a consistent dump while transactions commit, restores it, and the fresh server holds exactly the dump point', async () => {
    onTestFailed(() => console.error(rig?.logs()));
    // the backup account: password in a defaults file only root can read, never on a command line
    const password = randomBytes(12).toString('hex');
    await source!.sql(`ALTER USER ffbackup@'127.0.0.1' IDENTIFIED BY '${password}'`);
    const cnf = join(work, 'etc', 'mariadb-backup.cnf');
    writeFileSync(cnf, `[client]\nuser=ffbackup\npassword=${password}\nhost=127.0.0.1\nport=${source!.port}\n`, { mode: 0o600 });
    expect(statSync(cnf).mode & 0o777).toBe(0o600);
    expect(statSync(cnf).uid).toBe(0);

    const writer = startWriter(source!, SEED + 1);
    await new Promise((r) => setTimeout(r, 500));
    const before = writer.committed;
    const t0 = Date.now();
    const b = await rig!.director(['backup', '--json']);
    const backupMs = Date.now() - t0;
    const after = writer.committed;
    const last = await writer.stop();
    expect(b.code, `${b.stdout}\n${b.stderr}\n${writer.errors()}`).toBe(0);
    expect(writer.errors()).toBe('');
    const id = JSON.parse(b.stdout).backupId as string;
    // the writer kept committing through the whole backup
    expect(after - before).toBeGreaterThan(0);

    // no copy of the password in what the agent logged or the dump holds
    expect(rig!.logs()).not.toContain(password);

    const r = await rig!.director(['restore', id, '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const restored = join(area(), 'restore');
    const meta = JSON.parse(readFileSync(join(restored, '.freezeframe-dumps.json'), 'utf8')) as { backupId: string; dumps: Array<{ name: string; bytes: number; durationMs: number }> };
    expect(meta.backupId).toBe(id);
    const dumpFile = join(restored, 'appdb.sql');
    const text = readFileSync(dumpFile, 'utf8');
    expect(text).toMatch(/^-- MariaDB dump/m);
    expect(text).not.toContain(password);

    fresh = await startServer(join(work, 'fresh'));
    await fresh.sql('CREATE DATABASE appdb');
    const l0 = Date.now();
    await fresh.sql(`source ${dumpFile}`, 'appdb');
    const loadMs = Date.now() - l0;

    // every order up to the dump's consistent point, none after: ids 1..N without a gap
    const [count, min, max] = (await fresh.sql('SELECT COUNT(*), MIN(id), MAX(id) FROM orders', 'appdb')).trim().split('\t').map(Number) as [number, number, number];
    expect(min).toBe(1);
    expect(count).toBe(max);
    const n = max;
    expect(n).toBeGreaterThanOrEqual(before); // committed before the backup started
    expect(n).toBeLessThanOrEqual(after);
    // each transaction whole: every order has all its lines, no line without its order
    expect((await fresh.sql(`SELECT COUNT(*), MAX(order_id) FROM order_lines`, 'appdb')).trim()).toBe(`${n * LINES}\t${n}`);
    expect((await fresh.sql(`SELECT COUNT(*) FROM (SELECT order_id FROM order_lines GROUP BY order_id HAVING COUNT(*) <> ${LINES}) x`, 'appdb')).trim()).toBe('0');

    // the source as of the dump point, cut by the ids, has the same table checksums
    await source!.sql(
      'CREATE DATABASE cut; CREATE TABLE cut.orders LIKE appdb.orders; CREATE TABLE cut.order_lines LIKE appdb.order_lines; ' +
        `INSERT INTO cut.orders SELECT * FROM appdb.orders WHERE id <= ${n}; INSERT INTO cut.order_lines SELECT * FROM appdb.order_lines WHERE order_id <= ${n};`,
    );
    expect(await checksum(fresh, 'appdb.orders')).toBe(await checksum(source!, 'cut.orders'));
    expect(await checksum(fresh, 'appdb.order_lines')).toBe(await checksum(source!, 'cut.order_lines'));
    // and the source did go on past that point
    expect(await checksum(source!, 'appdb.orders')).not.toBe(await checksum(source!, 'cut.orders'));

    console.log(
      `mariadb dump: ${SEED} seeded orders (${SEED * LINES} lines); writer committed ${before - SEED} orders before the backup, ${after - before} during it (${last - SEED} in all); ` +
        `dump point N=${n} (${n - before} after the backup started); dump ${meta.dumps[0]!.durationMs} ms, ${(meta.dumps[0]!.bytes / 1048576).toFixed(1)} MiB; backup ${backupMs} ms; load into the fresh server ${loadMs} ms`,
    );
    expect(readdirSync(area()).filter((f) => f.endsWith('.partial'))).toEqual([]);
  }, 600_000);
});
