import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { AGENT_MAIN, DIRECTOR_MAIN, startBed, type Bed, type CliResult } from './support/bed.js';
import { needsRoot } from './support/privileges.js';
import { treeListing } from './support/treesum.js';
import { claim } from './support/claim.js';

await claim('docker', 'zfs');

// Off-site copies on the multi-host bed (test/support/bed.ts): a source, the deployment's ZFS
// target, and a second target container with its own zfs-fuse pool as the remote site
// (target.replicaOf naming the target). Through the director CLI: the first replicate sends a
// full stream, the next ones incremental streams about the size of the change; the sending
// target's agent dies mid-stream and the remote lists no partial backup, the next replicate
// completes (zfs-fuse has no resume tokens: it restarts from the newest common backup); a
// restore from the remote equals the source as it was, byte for byte. The main target also
// shows its newest backup at target.browse.

const skip = needsRoot('multi-host bed', ['dockerd', 'btrfs', 'zfs-fuse']);
const MiB = 1 << 20;
const REMOTE = 'offsite-target';
const BROWSE = '/ffbrowse';

interface SentView {
  backupId: string;
  baseId: string;
  bytes: number;
}
interface RemoteView {
  remote: string;
  ok: boolean;
  sent: SentView[];
  behind: number;
  newest?: string;
  error?: { code: string; message: string };
}

function describeRun(r: CliResult, bed: Bed): string {
  return `exit ${r.code}\nstdout: ${r.stdout.slice(-4000)}\nstderr: ${r.stderr.slice(-4000)}\n${bed.agentLogs()}`;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.skipIf(skip)('replicate to a remote target on the multi-host bed', () => {
  let bed: Bed;
  let vol = '';
  const ids: string[] = [];
  const listings = new Map<string, string[]>();
  const cli = async (args: string[], ok = true) => {
    const r = await bed.cli(args, { timeoutMs: 300_000 });
    if (ok) expect(r.code, describeRun(r, bed)).toBe(0);
    return r;
  };
  const backup = async () => {
    const r = await cli(['backup', '--json']);
    const id = (r.json as { backupId: string }).backupId;
    ids.push(id);
    listings.set(id, treeListing(vol));
    return id;
  };
  const remoteOf = (r: CliResult) => (r.json as { remotes: RemoteView[] }).remotes.find((x) => x.remote === REMOTE)!;
  const remoteIds = async () => ((await cli(['list', '--target', REMOTE, '--json'])).json as { backups: Array<{ id: string }> }).backups.map((b) => b.id);
  /** Rewrites `bytes` in the middle of big.bin: the change the next backup carries. */
  const change = async (bytes: number, at: number) => {
    const f = await open(join(vol, 'big.bin'), 'r+');
    try {
      await f.write(randomBytes(bytes), 0, bytes, at);
    } finally {
      await f.close();
    }
  };

  beforeAll(async () => {
    bed = await startBed({
      sources: [{ name: 'src-a', freeze: 'none' }],
      remote: { name: REMOTE },
      targetExtra: { browse: BROWSE },
      poolMiB: 384,
      sourceMiB: 512,
    });
    vol = bed.source('src-a').volume;
    await writeFile(join(vol, 'big.bin'), randomBytes(24 * MiB));
  }, 300_000);

  afterAll(async () => {
    await bed?.stop();
  });

  it('first a full stream, then incremental streams about the size of the change; a second run sends nothing', async () => {
    onTestFailed(() => console.error(bed.agentLogs()));
    const b1 = await backup();
    const dry = await cli(['replicate', '--dry-run', '--json']);
    const plan = (dry.json as { remotes: Array<{ remote: string; steps: Array<SentView & { how: string }>; bytes: number }> }).remotes[0]!;
    expect(plan).toMatchObject({ remote: REMOTE, steps: [{ backupId: b1, baseId: '' }] });
    expect(plan.bytes).toBeGreaterThan(20 * MiB);
    expect(await remoteIds()).toEqual([]);

    const first = remoteOf(await cli(['replicate', '--json']));
    expect(first).toMatchObject({ ok: true, behind: 0, newest: b1, sent: [{ backupId: b1, baseId: '' }] });
    expect(first.sent[0]!.bytes).toBeGreaterThan(20 * MiB);

    await change(MiB, 4 * MiB);
    const b2 = await backup();
    await change(MiB, 12 * MiB);
    const b3 = await backup();
    const human = await cli(['replicate', '--dry-run']);
    expect(human.stdout).toContain(b2);
    expect(human.stdout).toContain(b3);
    const next = remoteOf(await cli(['replicate', '--json']));
    expect(next).toMatchObject({ ok: true, behind: 0, newest: b3, sent: [{ backupId: b2, baseId: b1 }, { backupId: b3, baseId: b2 }] });
    // about the change, not the total: zfs-fuse sent 5.7-7.1 MB for each 1 MiB change here, the full stream 27 MB
    for (const s of next.sent) expect(s.bytes, `stream of ${s.backupId}`).toBeLessThan(first.sent[0]!.bytes / 3);
    console.info(`replicate: full ${first.sent[0]!.bytes} bytes, then ${next.sent.map((s) => s.bytes).join(' and ')} for 1 MiB changes`);
    expect(await remoteIds()).toEqual([b1, b2, b3]);
    expect(remoteOf(await cli(['replicate', '--json'])).sent).toEqual([]);

    // the main target shows its newest backup at target.browse: a read-only clone mounted there
    const shown = join(`/proc/${bed.target.pid}/root`, BROWSE, bed.source('src-a').entry, 'big.bin');
    expect(existsSync(shown)).toBe(true);
    expect(sha(shown)).toBe(sha(join(vol, 'big.bin')));
    expect(await bed.zfs(['zfs', 'get', '-H', '-o', 'value', 'origin', `${bed.target.dataset}-latest`])).toBe(`${bed.target.dataset}@${b3}`);
  });

  it('the sending agent dies mid-stream: the remote lists no partial backup; the next replicate completes', async () => {
    onTestFailed(() => console.error(bed.agentLogs()));
    await writeFile(join(vol, 'more.bin'), randomBytes(64 * MiB));
    const b4 = await backup();
    const before = await remoteIds();
    const proc = spawn(process.execPath, [DIRECTOR_MAIN, '-i', bed.inventory, 'replicate', '--json'], { env: { ...process.env, HOME: bed.dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number>((resolve) => proc.once('close', (code) => resolve(code ?? -1)));
    // the target's agent relays the stream: killing it cuts the link mid-stream (and the retry's
    // too). It is killed by its host pid the moment the remote logs the stream's start: a
    // `docker exec pkill` takes long enough for a fast stream to finish first.
    const agentMain = 'packages/agent/dist/main.js';
    const top = await bed.docker(['top', bed.target.container, '-eo', 'pid,args']);
    const agentPids = top.split('\n').filter((l) => l.includes(agentMain)).map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(agentPids, top).toHaveLength(1);
    const log = join(bed.dir, 'logs', `${REMOTE}.log`);
    const deadline = Date.now() + 60_000;
    const started = () => readFileSync(log, 'utf8').split('\n').some((l) => l.includes('receiving a replication stream') && l.includes(b4));
    while (!started()) {
      if (Date.now() > deadline) throw new Error(`the stream of ${b4} never started:\n${out}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    process.kill(agentPids[0]!, 'SIGKILL');
    const code = await exited;
    expect(code, out).not.toBe(0);
    expect(await remoteIds()).toEqual(before);
    const snaps = await bed.remote!.zfs(['zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name']);
    expect(snaps).not.toContain(b4);

    await bed.docker([
      'exec', '-d', bed.target.container, 'sh', '-c',
      `exec node ${AGENT_MAIN} --config /etc/freezeframe/agent.yaml >>/bed/logs/${bed.target.name}.log 2>&1`,
    ]);
    const up = Date.now() + 30_000;
    for (;;) {
      const h = await bed.cli(['health', '--json']);
      if ((h.json as { nodes?: Array<{ node: string; ok: boolean }> } | undefined)?.nodes?.find((n) => n.node === bed.target.name)?.ok) break;
      if (Date.now() > up) throw new Error(`the target's agent did not come back:\n${describeRun(h, bed)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const again = remoteOf(await cli(['replicate', '--json']));
    expect(again).toMatchObject({ ok: true, behind: 0, newest: b4, sent: [{ backupId: b4, baseId: before.at(-1) }] });
    expect(await remoteIds()).toEqual([...before, b4]);
  });

  it('restore --from the remote puts the source back as it was, byte for byte', async () => {
    onTestFailed(() => console.error(bed.agentLogs()));
    const b2 = ids[1]!;
    const r = await cli(['restore', b2, '--from', REMOTE, '--yes', '--json']);
    expect((r.json as { record: { result: string; restored: string[] } }).record).toMatchObject({ result: 'ok', restored: ['src-a'] });
    expect(treeListing(vol)).toEqual(listings.get(b2));
    // the remote's clone is gone again; its backups stay
    expect(await bed.remote!.zfs(['zfs', 'list', '-H', '-o', 'name'])).not.toContain('-restore-');
    expect(await remoteIds()).toEqual(ids);
  });

  it('replicate: { after: backup } replicates each backup; an unreachable remote is a warning of the backup, not its failure', async () => {
    onTestFailed(() => console.error(bed.agentLogs()));
    const inv = JSON.parse(readFileSync(bed.inventory, 'utf8')) as { replicate: { after?: string } };
    inv.replicate.after = 'backup';
    await writeFile(bed.inventory, JSON.stringify(inv, null, 2));
    await change(MiB, 2 * MiB);
    const b5 = await backup();
    expect(await remoteIds()).toEqual([...ids.slice(0, -1), b5]);
    const rec = JSON.parse(readFileSync(join(bed.stateDir, 'runs', `${b5}.json`), 'utf8')) as { warnings: string[]; replicate?: { remotes: RemoteView[] } };
    expect(rec.warnings.filter((w) => w.includes('replicat'))).toEqual([]);
    expect(rec.replicate?.remotes).toMatchObject([{ remote: REMOTE, ok: true, sent: [{ backupId: b5, baseId: ids.at(-2) }] }]);

    await bed.docker(['exec', bed.remote!.container, 'pkill', '-KILL', '-f', 'packages/agent/dist/main.js']);
    await change(MiB, 6 * MiB);
    const r = await cli(['backup', '--json']);
    const b6 = (r.json as { backupId: string }).backupId;
    const warned = JSON.parse(readFileSync(join(bed.stateDir, 'runs', `${b6}.json`), 'utf8')) as { result: string; warnings: string[] };
    expect(warned.result).toBe('ok');
    expect(warned.warnings).toContainEqual(expect.stringContaining(`replication to ${REMOTE} failed (backup ${b6} itself is fine`));
  });
});
