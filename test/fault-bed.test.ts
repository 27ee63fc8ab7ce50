import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findBinary, run } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startBed, type Bed, type CliResult } from './support/bed.js';
import { needsRoot } from './support/privileges.js';
import { treeListing } from './support/treesum.js';
import { claim } from './support/claim.js';

await claim('docker', 'zfs');

// The fault suite's network and storage faults (docs/reliability.md) on the multi-host bed (test/support/bed.ts): two btrfs
// source agents in their own containers, a ZFS target in its own, the director on the host.
//  - network cut: the sending source's link is taken down inside its network namespace while it
//    streams a large file (its egress shaped by tbf so the transfer lasts long enough to cut);
//  - target pool full: a reservation on a sibling dataset leaves the target dataset ~16 MiB,
//    then a source grows by more than that.

const skip = needsRoot('fault tests on the multi-host bed', ['dockerd', 'btrfs', 'zfs-fuse', 'nsenter', 'tc']);

/** The director's gRPC keepalive (agent-client.ts): ping every 10 s, dead after 10 s more. */
const KEEPALIVE_WINDOW_MS = 20_000;

function describeRun(r: CliResult, bed: Bed): string {
  return `exit ${r.code}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-3000)}\n${bed.agentLogs()}`;
}

async function sh(bin: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return (await run({ bin: findBinary(bin), args, timeoutMs })).stdout.trim();
}

describe.skipIf(skip)('faults on the multi-host bed', () => {
  let bed: Bed;
  const tagged: string[] = [];

  const snapshots = async () =>
    (await bed.zfs(['zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name', '-r', bed.target.dataset]))
      .split('\n')
      .filter(Boolean)
      .map((n) => n.split('@')[1]!);
  const pidOf = async (container: string) => Number(await bed.docker(['inspect', '-f', '{{.State.Pid}}', container]));
  /** `args` inside the network namespace of a source's container (host binaries). */
  const inNetns = async (source: string, args: string[]) => sh('nsenter', ['-t', String(await pidOf(bed.source(source).container)), '-n', ...args]);
  const sourceSnapshots = () => bed.sources.flatMap((s) => readdirSync(join(s.mount, 'snaps')).map((n) => `${s.name}:${n}`));
  const backupOk = async () => {
    await sleep(1100); // backup ids have one-second resolution
    const r = await bed.cli(['backup', '--json'], { timeoutMs: 180_000 });
    expect(r.code, describeRun(r, bed)).toBe(0);
    const id = (r.json as { backupId: string }).backupId;
    tagged.push(id);
    return id;
  };
  const lastRecord = () => {
    const dir = join(bed.stateDir, 'runs');
    const f = readdirSync(dir).filter((n) => /^\d{8}_\d{6}.*\.json$/.test(n)).sort().at(-1)!;
    return JSON.parse(readFileSync(join(dir, f), 'utf8')) as { backupId: string; result: string; missingSources?: string[]; error?: { message: string } };
  };

  beforeAll(async () => {
    bed = await startBed({
      sources: [
        { name: 'src-a', freeze: 'none' },
        { name: 'src-b', freeze: 'none' },
      ],
      subnet: '10.78.0',
      sourceMiB: 200,
      poolMiB: 256,
      deployment: 'faultbed',
    });
    await backupOk();
  }, 180_000);

  afterAll(async () => {
    await bed?.stop();
  });

  it('network cut mid-transfer: the error names the node and cause within the keepalive window, nothing tagged', async () => {
    onTestFailed(() => console.error(bed.agentLogs()));
    const b = bed.source('src-b');
    await writeFile(join(b.volume, 'bulk.bin'), randomBytes(48 << 20));
    // ~2 MB/s out of src-b: the 48 MiB transfer would take ~25 s
    await inNetns('src-b', ['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', '16mbit', 'burst', '32kbit', 'latency', '400ms']);
    const before = await snapshots();
    await sleep(1100);
    const started = Date.now();
    // not --json: stderr then carries the run's timestamped phase and retry lines, printed below
    const backup = bed.cli(['backup'], { timeoutMs: 300_000 });
    // cut once the big file is visibly arriving on the target (rsync --inplace writes it in place)
    const file = `/proc/${bed.target.pid}/root/${bed.target.dataset}/${b.entry}/bulk.bin`;
    for (let i = 0; i < 600 && !(existsSync(file) && statSync(file).size > 2 << 20); i++) await sleep(100);
    expect(existsSync(file) && statSync(file).size, 'bulk.bin is arriving on the target before the cut').toBeGreaterThan(2 << 20);
    const cutAt = Date.now();
    await inNetns('src-b', ['ip', 'link', 'set', 'eth0', 'down']);
    let r: CliResult;
    try {
      r = await backup;
    } finally {
      await inNetns('src-b', ['ip', 'link', 'set', 'eth0', 'up']);
      await inNetns('src-b', ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root']).catch(() => '');
    }
    const failedAfterMs = Date.now() - cutAt;
    console.info(`network cut at ${new Date(cutAt).toISOString()}: director failed ${failedAfterMs} ms after the cut (backup ran ${Date.now() - started} ms)\n${r.stderr}`);
    expect(r.code, describeRun(r, bed)).not.toBe(0);
    const err = JSON.stringify((r.json as { error?: unknown } | undefined)?.error ?? r.stderr);
    expect(err).toContain('src-b');
    expect(err, 'the cause, not just "failed"').toMatch(/keepalive|UNAVAILABLE|unavailable|unreachable|connection|timed out|deadline/i);
    // keepalive detects the dead stream (10-20 s); two retries and the release wait 3 s each for the
    // node (agent-client.ts RECONNECT_DEADLINE_MS): ~30 s measured
    expect(failedAfterMs, describeRun(r, bed)).toBeLessThan(KEEPALIVE_WINDOW_MS + 30_000);
    expect(await snapshots(), 'nothing tagged').toEqual(before);
    const rec = lastRecord();
    expect(rec.result).toBe('incomplete');
    expect(rec.missingSources).toContain('src-b');

    // with the link back, the next backup completes (its start-of-run cleanup removes what the cut run left)
    await rm(join(b.volume, 'bulk.bin'));
    const id = await backupOk();
    expect(await snapshots()).toContain(id);
    expect(sourceSnapshots(), 'no source snapshot left').toEqual([]);
  }, 420_000);

  it('target pool full: a clear error, earlier backups intact and restorable once there is space, source snapshots removed', async () => {
    onTestFailed(() => console.error(bed.agentLogs()));
    const pool = bed.target.pool;
    const filler = `${pool}/filler`;
    const available = async () => Number(await bed.zfs(['zfs', 'get', '-H', '-p', '-o', 'value', 'available', bed.target.dataset]));
    /**
     * Leaves about `bytes` free on the target: a reservation of the rest, adjusted until the pool
     * says so (zfs-fuse frees a destroyed reservation, and accounts new writes, a little later).
     */
    const leave = async (bytes: number) => {
      await bed.zfs(['zfs', 'destroy', filler]).catch(() => undefined);
      let free = await available();
      let reserved: number | undefined;
      for (let i = 0; i < 20 && Math.abs(free - bytes) > 2 << 20; i++) {
        const want = Math.max(0, (reserved ?? 0) + free - bytes);
        if (reserved === undefined) await bed.zfs(['zfs', 'create', '-o', `reservation=${want}`, '-o', 'mountpoint=none', filler]);
        else await bed.zfs(['zfs', 'set', `reservation=${want}`, filler]);
        reserved = want;
        await sleep(200);
        free = await available();
      }
      expect(Math.abs(free - bytes), `free ${free}, wanted about ${bytes}`).toBeLessThanOrEqual(2 << 20);
    };
    const a = bed.source('src-a');
    try {
      const earlier = tagged[0]!;
      const expected = await bed.withBackup(earlier, (root) => treeListing(join(root, a.entry)));
      const before = await snapshots();
      const referencedBefore = Number(await bed.zfs(['zfs', 'get', '-H', '-p', '-o', 'value', 'referenced', `${bed.target.dataset}@${earlier}`]));

      // nearly full: preflight refuses before anything is paused or sent
      await leave(16 << 20);
      await sleep(1100);
      const refused = await bed.cli(['backup', '--json'], { timeoutMs: 120_000 });
      expect(refused.code, describeRun(refused, bed)).not.toBe(0);
      const refusal = JSON.stringify((refused.json as { error?: unknown }).error);
      expect(refusal, refusal).toMatch(/backup-target: target has [\d.]+ \w+ free, needs at least 64\.0 MiB/);
      expect(sourceSnapshots()).toEqual([]);

      // room for preflight (64 MiB), not for the data: the transfer runs out of space
      await leave(72 << 20);
      await writeFile(join(a.volume, 'grown.bin'), randomBytes(100 << 20));
      await sleep(1100);
      const r = await bed.cli(['backup', '--json'], { timeoutMs: 300_000 });
      expect(r.code, describeRun(r, bed)).not.toBe(0);
      const err = JSON.stringify((r.json as { error?: unknown } | undefined)?.error ?? r.stderr);
      expect(err).toContain('src-a');
      expect(err, `the cause: ${err}`).toMatch(/backup-target: target has [\d.]+ \w+ free, needs at least 64\.0 MiB[^;]*: the target is probably full/);
      // the receiving rsync's own reason, kept by the target agent (the sender only saw a broken pipe)
      expect(err, 'the receiver\'s reason').toMatch(/backup-target \(receiving\): rsync exited with \d+: [\s\S]*No space left on device/);
      expect(await snapshots(), 'nothing tagged').toEqual(before);
      expect(sourceSnapshots(), 'source snapshots removed').toEqual([]);

      // the earlier backup is untouched: its snapshot still references what it did
      const refd = await bed.zfs(['zfs', 'get', '-H', '-p', '-o', 'value', 'referenced', `${bed.target.dataset}@${earlier}`]);
      expect(Number(refd)).toBe(referencedBefore);
      // while the pool is full a ZFS clone cannot be made (zfs-fuse: "out of space"): the restore says so
      await rm(join(a.volume, 'grown.bin'));
      await rm(join(a.volume, 'sample'), { recursive: true, force: true });
      await sh('btrfs', ['filesystem', 'sync', a.mount]); // btrfs returns freed space at commit
      const whileFull = await bed.cli(['restore', earlier, '--only', 'src-a', '--json'], { timeoutMs: 180_000 });
      expect(whileFull.code, describeRun(whileFull, bed)).not.toBe(0);
      expect(JSON.stringify((whileFull.json as { error?: unknown }).error)).toMatch(/backup-target: target has (only )?[\d.]+ \w+ free|backup-target[\s\S]*out of space/);
      // with space back (here: the filler goes; in production: prune or grow the pool), it is intact and restores
      await bed.zfs(['zfs', 'destroy', filler]);
      expect(await bed.withBackup(earlier, (root) => treeListing(join(root, a.entry)))).toEqual(expected);
      const restored = await bed.cli(['restore', earlier, '--only', 'src-a', '--json'], { timeoutMs: 180_000 });
      expect(restored.code, describeRun(restored, bed)).toBe(0);
      expect(treeListing(a.volume)).toEqual(expected);
    } finally {
      await bed.zfs(['zfs', 'destroy', filler]).catch(() => undefined);
      await rm(join(a.volume, 'grown.bin'), { force: true });
    }
    // with space again, backups work
    await backupOk();
  }, 600_000);
});
