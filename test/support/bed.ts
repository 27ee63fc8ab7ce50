import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, link, mkdir, mkdtemp, rm, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { entryName, findBinary, run } from '@freezeframe/common';
import { startDockerd, type Dockerd } from './dockerd.js';
import { createLoopBtrfs } from './loopfs.js';
import { makePki, type TlsPaths } from './pki.js';

/**
 * A whole freezeframe deployment on one machine (docs/testbed.md, "The multi-host bed"):
 * a private Docker engine; an internal network with one fixed address per agent; per source
 * agent a btrfs filesystem on a loop file (mounted on the host, bind-mounted into its container
 * at /data, data in subvolume /data/vol, snapshots in /data/snaps); a target agent whose
 * container runs its own zfs-fuse with a pool on a file; application containers that keep
 * writing into the source volumes; and the director on the host, reaching the agents at their
 * container addresses. Everything is recorded as it is made and undone by id in `stop()`.
 *
 * What the containers really need (measured here): a btrfs bind mount can be snapshotted with
 * no extra capability, but deleting a snapshot needs CAP_SYS_ADMIN (or the mount option
 * user_subvol_rm_allowed), so source agents get `--cap-add SYS_ADMIN`; zfs-fuse needs both
 * `--device /dev/fuse` and SYS_ADMIN (without either the daemon never answers). `--privileged`
 * fails on this kind of machine. The Docker freeze agent gets the engine's socket, the cgroup
 * freeze agent `/sys/fs/cgroup` read-write; app containers have no network at all.
 *
 * Only one bed at a time per machine: dockerd's iptables chains are global (docs/testbed.md), so
 * files using it claim `docker` (test/support/claim.ts).
 */

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const AGENT_MAIN = join(REPO, 'packages/agent/dist/main.js');
export const DIRECTOR_MAIN = join(REPO, 'packages/director/dist/cli/main.js');

export type FreezeKind = 'docker' | 'cgroup' | 'none';
/** What the node's application does: see bed-writer.mjs. */
export type WriterRole = 'solo' | 'leader' | 'follower';

export interface BedSourceSpec {
  name: string;
  freeze: FreezeKind;
  /** The app container writing into this source's volume; none when omitted. */
  writer?: WriterRole;
  /**
   * The agent's `services:` section (stop-services / start-services): containers by name, `app`
   * standing for this source's writer. The agent gets the engine's socket.
   */
  services?: { docker: string[]; stopTimeout?: string };
  /**
   * Sections of the agent's config (e.g. `source`, `freeze`) written over the ones the bed
   * makes; called once the source's filesystem exists. The btrfs filesystem is still made and
   * mounted at /data, as the agent's writable area.
   */
  agentConfig?: (source: BedSource) => Record<string, unknown>;
  /**
   * Also bind the btrfs mount at its host path inside the agent's container, so programs and
   * files written on the host that name host paths (e.g. the fake nodetool) work there too.
   */
  mountAtHostPath?: boolean;
}

export interface BedOptions {
  sources: BedSourceSpec[];
  targetName?: string;
  /** First three octets of the /24 the agents live on. */
  subnet?: string;
  /** Size of each btrfs loop file (MiB; btrfs needs >= 114). */
  sourceMiB?: number;
  poolMiB?: number;
  /** Start the agents (false: only engine, network, filesystems and apps; for bed smoke tests). */
  agents?: boolean;
  /** Fills a source's (empty) volume before anything starts. */
  seed?: (volume: string, source: BedSourceSpec) => Promise<void>;
  deployment?: string;
  freezeLease?: string;
  /**
   * A second target container, the remote site of `freezeframe replicate`: its own zfs-fuse and
   * pool, an agent with `target.replicaOf` naming the target, and the inventory's `replicate:`.
   */
  remote?: { name: string };
  /** Keys added to the target agent's `target:` section (e.g. `browse`). */
  targetExtra?: Record<string, unknown>;
}

export interface BedApp {
  name: string;
  id: string;
  role: WriterRole;
}

export interface BedSource {
  name: string;
  ip: string;
  freeze: FreezeKind;
  container: string;
  /** Host path of the btrfs mount (holds `vol` and `snaps`); outside `Bed.dir`. */
  mount: string;
  /** Host path of the source volume (the subvolume `vol`). */
  volume: string;
  /** The volume as the agent sees it, and the entry name it gives. */
  agentVolume: string;
  entry: string;
  loopDevice: string;
  app?: BedApp;
}

export interface BedTarget {
  name: string;
  ip: string;
  container: string;
  pool: string;
  dataset: string;
  /** Host pid of the target container's init (zfs-fuse): `/proc/<pid>/root` shows its mounts. */
  pid: number;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is JSON. */
  json: unknown;
}

export interface Bed {
  dir: string;
  engine: Dockerd;
  network: string;
  sources: BedSource[];
  target: BedTarget;
  /** With `remote`: the remote target, and `zfs`/`zpool` inside its container. */
  remote?: BedTarget & { zfs(args: readonly string[]): Promise<string> };
  inventory: string;
  /** The director's state folder (run records under runs/). */
  stateDir: string;
  source(name: string): BedSource;
  docker(args: readonly string[], opts?: { timeoutMs?: number }): Promise<string>;
  /** `zfs`/`zpool` inside the target container. */
  zfs(args: readonly string[]): Promise<string>;
  /** The director CLI on the host: `node director/dist/cli/main.js -i <inventory> ...args`. */
  cli(args: readonly string[], opts?: { timeoutMs?: number }): Promise<CliResult>;
  /** Clones a tagged backup on the target and calls `fn` with the host path of the clone's root. */
  withBackup<T>(backupId: string, fn: (root: string) => Promise<T> | T): Promise<T>;
  /** Stops the app containers (a restore needs services stopped), and starts them again. */
  stopApps(): Promise<void>;
  startApps(): Promise<void>;
  /** Every agent's output, for failure messages. */
  agentLogs(): string;
  stop(): Promise<void>;
}

async function sh(bin: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return (await run({ bin: findBinary(bin), args, timeoutMs })).stdout.trim();
}

/** Undo actions, run newest first; each failure is recorded and the rest still run. */
function cleanupStack() {
  const steps: { what: string; fn: () => Promise<unknown> }[] = [];
  return {
    push(what: string, fn: () => Promise<unknown>) {
      steps.push({ what, fn });
    },
    async run(): Promise<string[]> {
      const problems: string[] = [];
      while (steps.length > 0) {
        const s = steps.pop()!;
        try {
          await s.fn();
        } catch (e) {
          problems.push(`${s.what}: ${(e as Error).message}`);
        }
      }
      return problems;
    },
  };
}

function agentConfigYaml(cfg: Record<string, unknown>): string {
  // JSON is YAML: no dependency, no quoting surprises
  return `${JSON.stringify(cfg, null, 2)}\n`;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, detail: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}\n${detail()}`);
    }
    await sleep(50);
  }
}

/** Writes the default sample tree: modes, owners, times, symlinks, hard links, a larger file. */
export async function seedSample(volume: string, source: string): Promise<void> {
  const d = join(volume, 'sample');
  await mkdir(join(d, 'nested/deeper'), { recursive: true });
  await writeFile(join(d, 'hello.txt'), `hello from ${source}\n`);
  await writeFile(join(d, 'secret.key'), `key of ${source}\n`);
  await chmod(join(d, 'secret.key'), 0o600);
  await writeFile(join(d, 'run.sh'), '#!/bin/sh\necho run\n');
  await chmod(join(d, 'run.sh'), 0o755);
  await writeFile(join(d, 'empty'), '');
  await writeFile(join(d, 'nested/owned'), 'owned by 1234:5678\n');
  await chown(join(d, 'nested/owned'), 1234, 5678);
  await chmod(join(d, 'nested'), 0o750);
  await chown(join(d, 'nested'), 1000, 1000);
  await writeFile(join(d, 'nested/deeper/setgid-dir-file'), 'x'.repeat(3000));
  await chmod(join(d, 'nested/deeper'), 0o2775);
  // 2 MiB of incompressible-ish data: the delta-transfer check changes 4 KiB of it
  const big = Buffer.alloc(2 << 20);
  let x = source.length * 7919 + 1;
  for (let i = 0; i < big.length; i += 4) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    big.writeUInt32LE(x, i);
  }
  await writeFile(join(d, 'big.bin'), big);
  await link(join(d, 'hello.txt'), join(d, 'hello-hardlink.txt'));
  await link(join(d, 'hello.txt'), join(d, 'nested/hello-third-name'));
  await symlink('hello.txt', join(d, 'link-relative'));
  await symlink('/nonexistent/dangling', join(d, 'link-dangling'));
  await symlink('nested/deeper', join(d, 'link-to-dir'));
  const old = new Date('2021-03-04T05:06:07Z');
  await utimes(join(d, 'hello.txt'), old, old);
  await utimes(join(d, 'big.bin'), old, old);
}

export async function startBed(opts: BedOptions): Promise<Bed> {
  if (opts.agents !== false) {
    for (const [what, file] of [
      ['agent', AGENT_MAIN],
      ['director', DIRECTOR_MAIN],
    ] as const) {
      if (!existsSync(file)) throw new Error(`the ${what} is not built: ${file} is missing (run \`npx tsc --build\`)`);
    }
  }
  for (const s of opts.sources) {
    if (s.freeze === 'cgroup' && !s.writer) throw new Error(`bed: source ${s.name} has a cgroup freeze but no writer app to freeze`);
  }
  const subnet = opts.subnet ?? '10.77.0';
  const targetName = opts.targetName ?? 'backup-target';
  const deployment = opts.deployment ?? 'bed';
  // short: unix socket paths under it must stay below 108 bytes
  const dir = await mkdtemp('/tmp/ffbed-');
  const tag = dir.slice(-6).toLowerCase().replace(/[^a-z0-9]/g, 'x');
  const cleanup = cleanupStack();
  cleanup.push(`removing ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const logsDir = join(dir, 'logs');
  await mkdir(logsDir);

  let engine: Dockerd | undefined;
  const stopBed = async () => {
    const problems = await cleanup.run();
    if (problems.length > 0) throw new Error(`tearing down the bed in ${dir}:\n  ${problems.join('\n  ')}`);
  };
  const agentLogs = () => {
    const names = [targetName, ...(opts.remote ? [opts.remote.name] : []), ...opts.sources.map((s) => s.name)];
    return names
      .map((n) => {
        const f = join(logsDir, `${n}.log`);
        return existsSync(f) ? `--- ${n}\n${readFileSync(f, 'utf8').slice(-6000)}` : `--- ${n}: no output`;
      })
      .join('\n');
  };

  try {
    engine = await startDockerd({ dir: join(dir, 'e'), iptables: true });
    const eng = engine;
    cleanup.push('stopping dockerd', () => eng.stop());
    const docker = (args: readonly string[], o: { timeoutMs?: number } = {}) => eng.docker(args, o);
    const image = await eng.importImage(`ffbed-skeleton:${tag}`);

    const network = `ffbed-${tag}`;
    const networkId = await docker([
      'network', 'create', '--internal',
      '--subnet', `${subnet}.0/24`, '--gateway', `${subnet}.1`,
      '-o', `com.docker.network.bridge.name=ffbed${tag}`,
      network,
    ]);
    cleanup.push(`removing network ${network}`, () => docker(['network', 'rm', networkId]));

    const removeContainer = (id: string) => docker(['rm', '-f', '-v', id], { timeoutMs: 30_000 });
    const runContainer = async (name: string, args: string[]): Promise<string> => {
      const id = await docker(['run', '-d', '--name', name, '--label', `ffbed=${tag}`, ...args]);
      cleanup.push(`removing container ${name}`, () => removeContainer(id));
      return id;
    };

    const pki = join(dir, 'pki');
    let tlsFiles: (n: string) => TlsPaths = () => {
      throw new Error('no PKI: the bed was started without agents');
    };
    const remoteNames = opts.remote ? [opts.remote.name] : [];
    if (opts.agents !== false) tlsFiles = (await makePki(pki, ['director', targetName, ...remoteNames, ...opts.sources.map((s) => s.name)])).files;
    const inContainerTls = (n: string) => {
      const t = tlsFiles(n);
      const rel = (p: string) => join('/etc/freezeframe/pki', p.slice(pki.length + 1));
      return { ca: rel(t.ca), cert: rel(t.cert), key: rel(t.key) };
    };
    const commonMounts = ['-v', '/usr:/usr:ro', '-v', `${REPO}:${REPO}:ro`, '-v', `${pki}:/etc/freezeframe/pki:ro`, '-v', `${logsDir}:/bed/logs`];
    const agentCmd = (n: string) => ['sh', '-c', `exec node ${AGENT_MAIN} --config /etc/freezeframe/agent.yaml >>/bed/logs/${n}.log 2>&1`];

    // ---- sources: filesystems and apps first (cgroup freezing needs the app's container id)
    const xchg = join(dir, 'xchg');
    await mkdir(xchg);
    // settled, not all: a teardown after one failure must not race the others' setup
    const settled = await Promise.allSettled(
      opts.sources.map(async (spec, i): Promise<BedSource> => {
        const nodeDir = join(dir, spec.name);
        await mkdir(nodeDir);
        const fs = await createLoopBtrfs({ sizeMiB: opts.sourceMiB ?? 160, prefix: `ffbed-${tag}-${spec.name}-` });
        cleanup.push(`removing the btrfs filesystem of ${spec.name}`, () => fs.destroy());
        const mount = fs.mountPoint;
        const loopDevice = fs.loopDevice;
        await sh('btrfs', ['subvolume', 'create', join(mount, 'vol')]);
        await mkdir(join(mount, 'snaps'));
        const volume = join(mount, 'vol');
        await (opts.seed ?? ((v: string, s: BedSourceSpec) => seedSample(v, s.name)))(volume, spec);
        const agentVolume = '/data/vol';
        return {
          name: spec.name,
          ip: `${subnet}.${11 + i}`,
          freeze: spec.freeze,
          container: '',
          mount,
          volume,
          agentVolume,
          entry: entryName(spec.name, agentVolume),
          loopDevice,
        };
      }),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const sources = settled.map((r) => (r as PromiseFulfilledResult<BedSource>).value);

    const appArgs = (s: BedSource, role: WriterRole) => {
      const args = [
        '--network', 'none',
        '--label', `ff.freeze=${s.name}`,
        '-v', '/usr:/usr:ro',
        '-v', `${join(REPO, 'test/support')}:/bed/bin:ro`,
        '-v', `${s.volume}:/data/vol`,
      ];
      if (role !== 'solo') args.push('-v', `${xchg}:/xchg`);
      return [...args, image, 'node', '/bed/bin/bed-writer.mjs', role, '/data/vol/app', '/xchg'];
    };
    for (const [i, spec] of opts.sources.entries()) {
      if (!spec.writer) continue;
      const s = sources[i]!;
      const name = `ffbed-${tag}-app-${s.name}`;
      s.app = { name, role: spec.writer, id: await runContainer(name, appArgs(s, spec.writer)) };
    }

    // ---- targets: zfs-fuse is each container's init; the pool lives on a file on the host
    const startTarget = async (name: string, ip: string, pool: string) => {
      const t: BedTarget = { name, ip, container: '', pool, dataset: `${pool}/current`, pid: 0 };
      const tdir = join(dir, name);
      await mkdir(tdir);
      const poolFile = join(tdir, 'pool.img');
      await writeFile(poolFile, '');
      await truncate(poolFile, (opts.poolMiB ?? 256) << 20);
      t.container = await runContainer(`ffbed-${tag}-${name}`, [
        '--hostname', name,
        '--network', network, '--ip', ip,
        '--device', '/dev/fuse', '--cap-add', 'SYS_ADMIN',
        '--tmpfs', '/var/run/zfs', '--tmpfs', '/var/lock/zfs', '--tmpfs', '/var/lib/zfs',
        ...commonMounts,
        '-v', `${tdir}:/bed/target`,
        image, 'zfs-fuse', '--no-daemon',
      ]);
      const zfsIn = async (args: readonly string[]) => {
        const [bin, ...rest] = args;
        return docker(['exec', t.container, bin!, ...rest], { timeoutMs: 60_000 });
      };
      // exported before the container goes, so zfs-fuse flushes and the file is a clean pool
      cleanup.push(`exporting pool ${pool}`, () => zfsIn(['zpool', 'export', '-f', pool]).catch(() => undefined));
      await waitFor(`zfs-fuse in the ${name} container`, 10_000, async () => {
        await zfsIn(['zpool', 'list', '-H']);
        return true;
      });
      await zfsIn(['zpool', 'create', '-m', `/${pool}`, pool, '/bed/target/pool.img']);
      t.pid = Number(await docker(['inspect', '-f', '{{.State.Pid}}', t.container]));
      return { t, tdir, zfs: zfsIn };
    };
    const { t: target, tdir: targetDir, zfs } = await startTarget(targetName, `${subnet}.10`, `ffbed${tag}`);
    await zfs(['zfs', 'create', target.dataset]);
    // the remote's dataset is made by its first (full) stream
    const remote = opts.remote ? await startTarget(opts.remote.name, `${subnet}.9`, `ffbedr${tag}`) : undefined;

    const inventory = join(dir, 'inventory.yaml');
    const stateDir = join(dir, 'director-state');
    if (opts.agents !== false) {
      const agentBase = (n: string, ip: string) => ({
        name: n,
        listen: `${ip}:7450`,
        dataListen: `${ip}:7451`,
        tls: inContainerTls(n),
        authorizedDirectors: ['director'],
        allowRestore: true,
      });
      await mkdir(join(targetDir, 'etc'));
      await writeFile(
        join(targetDir, 'etc/agent.yaml'),
        agentConfigYaml({ ...agentBase(targetName, target.ip), target: { kind: 'zfs', dataset: target.dataset, ...opts.targetExtra } }),
      );
      await docker([
        'exec', '-d', target.container, 'sh', '-c',
        `mkdir -p /etc/freezeframe && ln -sf /bed/target/etc/agent.yaml /etc/freezeframe/agent.yaml && ${agentCmd(targetName)[2]}`,
      ]);
      if (remote) {
        const r = remote.t;
        await mkdir(join(remote.tdir, 'etc'));
        await writeFile(
          join(remote.tdir, 'etc/agent.yaml'),
          agentConfigYaml({ ...agentBase(r.name, r.ip), target: { kind: 'zfs', dataset: r.dataset, replicaOf: targetName } }),
        );
        await docker([
          'exec', '-d', r.container, 'sh', '-c',
          `mkdir -p /etc/freezeframe && ln -sf /bed/target/etc/agent.yaml /etc/freezeframe/agent.yaml && ${agentCmd(r.name)[2]}`,
        ]);
      }

      for (const [i, s] of sources.entries()) {
        const spec = opts.sources[i]!;
        const nodeDir = join(dir, s.name);
        const cfg: Record<string, unknown> = {
          ...agentBase(s.name, s.ip),
          source: { kind: 'btrfs', volume: s.agentVolume, snapshotMount: '/data/snaps' },
        };
        const extra: string[] = [];
        if (s.freeze === 'docker') {
          cfg.freeze = { kind: 'docker', socket: '/var/run/docker.sock', labels: [`ff.freeze=${s.name}`] };
          extra.push('-v', `${eng.socket}:/var/run/docker.sock`);
        } else if (s.freeze === 'cgroup') {
          if (!s.app) throw new Error(`bed: source ${s.name} has a cgroup freeze but no writer app to freeze`);
          cfg.freeze = { kind: 'cgroup', cgroups: [`docker/${s.app.id}`], version: 'v1' };
          extra.push('-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw');
        }
        if (spec.services) {
          const docker = spec.services.docker.map((n) => {
            if (n !== 'app') return n;
            if (!s.app) throw new Error(`bed: source ${s.name} names its app in services but has no writer`);
            return s.app.name;
          });
          cfg.services = { socket: '/var/run/docker.sock', docker, stopTimeout: spec.services.stopTimeout ?? '2s' };
          if (s.freeze !== 'docker') extra.push('-v', `${eng.socket}:/var/run/docker.sock`);
        }
        if (spec.agentConfig) Object.assign(cfg, spec.agentConfig(s));
        if (spec.mountAtHostPath) extra.push('-v', `${s.mount}:${s.mount}`);
        await writeFile(join(nodeDir, 'agent.yaml'), agentConfigYaml(cfg));
        s.container = await runContainer(`ffbed-${tag}-${s.name}`, [
          '--hostname', s.name,
          '--network', network, '--ip', s.ip,
          '--cap-add', 'SYS_ADMIN',
          ...commonMounts,
          '-v', `${join(nodeDir, 'agent.yaml')}:/etc/freezeframe/agent.yaml:ro`,
          '-v', `${s.mount}:/data`,
          ...extra,
          image, ...agentCmd(s.name),
        ]);
      }

      const dtls = tlsFiles('director');
      await writeFile(
        inventory,
        agentConfigYaml({
          deployment,
          tls: dtls,
          nodes: [{ name: targetName, address: `${target.ip}:7450` }, ...sources.map((s) => ({ name: s.name, address: `${s.ip}:7450` }))],
          freeze: { lease: opts.freezeLease ?? '30s' },
          stateDir,
          ...(remote ? { replicate: { to: [{ name: remote.t.name, address: `${remote.t.ip}:7450` }] } } : {}),
        }),
      );
      for (const n of [{ name: targetName, container: '' }, ...(remote ? [{ name: remote.t.name, container: '' }] : []), ...sources]) {
        const state = await waitFor(
          `agent ${n.name} to listen`,
          30_000,
          async () => {
            const f = join(logsDir, `${n.name}.log`);
            if (existsSync(f) && readFileSync(f, 'utf8').includes('"event":"listening"')) return 'up';
            // a source agent is its container's init: when it dies the container stops
            if (n.container && (await docker(['inspect', '-f', '{{.State.Running}}', n.container])) === 'false') return 'exited';
            return undefined;
          },
          agentLogs,
        );
        if (state === 'exited') throw new Error(`agent ${n.name} exited before it listened`);
      }
    } else {
      // without agents the source containers only hold the mounts, for smoke tests
      for (const s of sources) {
        s.container = await runContainer(`ffbed-${tag}-${s.name}`, [
          '--hostname', s.name,
          '--network', network, '--ip', s.ip,
          '--cap-add', 'SYS_ADMIN',
          ...commonMounts,
          '-v', `${s.mount}:/data`,
          image, 'sleep', 'infinity',
        ]);
      }
    }

    const resetXchg = async () => {
      await rm(xchg, { recursive: true, force: true });
      await mkdir(xchg);
    };
    const apps = () => sources.flatMap((s) => (s.app ? [s.app] : []));
    const bed: Bed = {
      dir,
      engine: eng,
      network,
      sources,
      target,
      ...(remote ? { remote: { ...remote.t, zfs: remote.zfs } } : {}),
      inventory,
      stateDir,
      source(name) {
        const s = sources.find((x) => x.name === name);
        if (!s) throw new Error(`no source ${name} in the bed`);
        return s;
      },
      docker,
      zfs,
      async cli(args, o = {}) {
        const r = await run({
          bin: process.execPath,
          args: [DIRECTOR_MAIN, '-i', inventory, ...args],
          timeoutMs: o.timeoutMs ?? 120_000,
          okExitCodes: Array.from({ length: 256 }, (_, i) => i),
          env: { HOME: dir },
          maxStdout: 16 << 20,
        });
        let json: unknown;
        try {
          json = JSON.parse(r.stdout);
        } catch {
          json = undefined;
        }
        return { code: r.code, stdout: r.stdout, stderr: r.stderr, json };
      },
      async withBackup(backupId, fn) {
        const clone = `${target.pool}/verify${Date.now().toString(36)}`;
        await zfs(['zfs', 'clone', '-o', `mountpoint=/${clone}`, `${target.dataset}@${backupId}`, clone]);
        try {
          return await fn(`/proc/${target.pid}/root/${clone}`);
        } finally {
          await zfs(['zfs', 'unmount', clone]).catch(() => undefined);
          // zfs-fuse reports a just-unmounted dataset busy once (docs/testbed.md): retry
          await waitFor(`destroying ${clone}`, 5000, async () => {
            await zfs(['zfs', 'destroy', clone]);
            return true;
          });
        }
      },
      async stopApps() {
        for (const a of apps()) await docker(['stop', '-t', '1', a.id]);
      },
      async startApps() {
        await resetXchg();
        for (const a of apps()) await docker(['start', a.id]);
      },
      agentLogs,
      stop: stopBed,
    };
    return bed;
  } catch (e) {
    const problems = await cleanup.run();
    const tail = problems.length > 0 ? `\nteardown problems:\n  ${problems.join('\n  ')}` : '';
    (e as Error).message += `\n${agentLogs()}${tail}`;
    throw e;
  }
}
