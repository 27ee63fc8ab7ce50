import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findBinary, run, spawnProcess, type Spawned } from '@freezeframe/common';
import { removeMountsUnder } from './loopfs.js';

/**
 * A private Docker engine for tests (see docs/testbed.md, "The multi-host bed"): its own
 * data root, exec root and socket under `dir`, no default bridge. With `iptables: true`
 * (needed for `docker network create` bridges that the host can reach) dockerd rewrites the
 * host's iptables, ip_forward and FORWARD policy; `stop()` puts all of that back, and deletes
 * the bridges it made. Only one engine with iptables may run on a machine at a time.
 */
export interface StartDockerdOptions {
  /** A short folder (unix socket paths are limited to 108 bytes) that this engine owns. */
  dir: string;
  /** Let dockerd manage iptables (default false). */
  iptables?: boolean;
  /** Milliseconds to wait for the socket to answer (default 30 s). */
  readyTimeoutMs?: number;
}

export interface Dockerd {
  dir: string;
  socket: string;
  pid: number;
  /** `unix://<socket>`, for DOCKER_HOST. */
  host: string;
  /** Runs the docker CLI against this engine; resolves to trimmed stdout, rejects with stderr. */
  docker(args: readonly string[], opts?: { timeoutMs?: number; input?: string }): Promise<string>;
  /** Imports the skeleton image (run containers with `-v /usr:/usr:ro`); returns its name. */
  importImage(name: string): Promise<string>;
  /** dockerd's captured stderr so far, for failure messages. */
  logs(): string;
  /** Removes all containers, stops dockerd by its pid, restores the host. Safe to call twice. */
  stop(): Promise<void>;
}

interface HostState {
  iptables?: { filter: string; nat: string };
  ipForward: string;
  links: Set<string>;
  /** The `docker` cgroup of each hierarchy that did not exist yet: dockerd makes it for its containers and leaves it. */
  cgroupParents: string[];
}

const CGROUPS = '/sys/fs/cgroup';

/** `<hierarchy>/docker` for every mounted cgroup hierarchy (v1 controllers and the unified one) that has none yet. */
function missingDockerCgroups(): string[] {
  const hierarchies = readdirSync(CGROUPS).map((h) => join(CGROUPS, h));
  return [CGROUPS, ...hierarchies].filter((h) => existsSync(join(h, 'cgroup.procs'))).map((h) => join(h, 'docker')).filter((d) => !existsSync(d));
}

function netLinks(): Set<string> {
  return new Set(readdirSync('/sys/class/net'));
}

async function captureHost(iptables: boolean): Promise<HostState> {
  const state: HostState = {
    ipForward: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(),
    links: netLinks(),
    cgroupParents: missingDockerCgroups(),
  };
  if (iptables) {
    const save = findBinary('iptables-save');
    const [filter, nat] = await Promise.all(
      ['filter', 'nat'].map(async (t) => (await run({ bin: save, args: ['-t', t], timeoutMs: 10_000 })).stdout),
    );
    state.iptables = { filter: filter!, nat: nat! };
  }
  return state;
}

async function restoreHost(state: HostState): Promise<string[]> {
  const problems: string[] = [];
  if (state.iptables) {
    // restoring a table without --noflush replaces it whole: dockerd's chains, jumps and the
    // FORWARD policy go back to what they were before the engine started
    for (const table of ['filter', 'nat'] as const) {
      try {
        await run({ bin: findBinary('iptables-restore'), args: [], input: state.iptables[table], timeoutMs: 10_000 });
      } catch (e) {
        problems.push(`iptables ${table}: ${(e as Error).message}`);
      }
    }
  }
  for (const link of netLinks()) {
    if (state.links.has(link) || !existsSync(`/sys/class/net/${link}/bridge`)) continue;
    try {
      await run({ bin: findBinary('ip'), args: ['link', 'del', link], timeoutMs: 10_000 });
    } catch (e) {
      problems.push(`bridge ${link}: ${(e as Error).message}`);
    }
  }
  for (const dir of state.cgroupParents) {
    // empty once the containers are gone; rmdir refuses one that still holds a container's group
    await rmdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') problems.push(`cgroup ${dir}: ${e.message}`);
    });
  }
  try {
    if (readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() !== state.ipForward) {
      await writeFile('/proc/sys/net/ipv4/ip_forward', state.ipForward);
    }
  } catch (e) {
    problems.push(`ip_forward: ${(e as Error).message}`);
  }
  return problems;
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startDockerd(opts: StartDockerdOptions): Promise<Dockerd> {
  const dir = opts.dir;
  const iptables = opts.iptables ?? false;
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  if (Buffer.byteLength(join(dir, 'run', 'containerd', 'containerd.sock.ttrpc')) > 100) {
    throw new Error(`startDockerd: dir ${dir} is too long for unix socket paths; use a short folder under /tmp`);
  }
  await mkdir(dir, { recursive: true });
  const hostState = await captureHost(iptables);
  const args = [
    '--data-root', join(dir, 'docker'),
    '--exec-root', join(dir, 'run'),
    '-H', host,
    '--pidfile', join(dir, 'dockerd.pid'),
    '--bridge=none',
    `--iptables=${iptables}`,
    `--ip-forward=${iptables}`,
    '--ip-masq=false',
    // containers are removed before stop; this only bounds a stop after a crashed test
    '--shutdown-timeout=2',
    // no /etc/docker/daemon.json of the host leaks into the tests
    '--config-file', join(dir, 'daemon.json'),
  ];
  await writeFile(join(dir, 'daemon.json'), '{}\n');
  // The runner gives dockerd its own process group; we stop it by its pid only, never the
  // group: killing containerd and the shims with it makes dockerd take ~25 s to exit.
  const proc: Spawned = spawnProcess({ bin: findBinary('dockerd'), args, timeoutMs: 2 * 60 * 60 * 1000, maxStderr: 256 << 10 });
  let exited: Error | undefined;
  let exitedOk = false;
  proc.done.then(
    () => {
      exitedOk = true;
    },
    (e: Error) => {
      exited = e;
    },
  );
  const pid = proc.child.pid;
  if (pid === undefined) throw new Error('startDockerd: dockerd did not start');
  // the runner keeps only the tail for its result; keep a live copy for failure messages
  const logLines: string[] = [];
  proc.child.stderr?.on('data', (b: Buffer) => {
    logLines.push(b.toString('utf8'));
    if (logLines.length > 2000) logLines.splice(0, 1000);
  });
  const stderrText = () => logLines.join('');

  const dockerEnv = { DOCKER_HOST: host, DOCKER_CONFIG: join(dir, 'cli'), HOME: dir };
  const docker: Dockerd['docker'] = async (dargs, o = {}) => {
    const r = await run({
      bin: findBinary('docker'),
      args: dargs,
      env: dockerEnv,
      timeoutMs: o.timeoutMs ?? 60_000,
      ...(o.input !== undefined ? { input: o.input } : {}),
    });
    return r.stdout.trim();
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const problems: string[] = [];
    if (alive(pid) && !exited && !exitedOk) {
      try {
        const ids = (await docker(['ps', '-aq'], { timeoutMs: 15_000 })).split('\n').filter(Boolean);
        if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids], { timeoutMs: 30_000 });
      } catch (e) {
        problems.push(`removing containers: ${(e as Error).message}`);
      }
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 20_000;
      while (alive(pid) && Date.now() < deadline) await sleep(20);
      if (alive(pid)) {
        problems.push('dockerd ignored SIGTERM for 20 s; killed its process group');
        proc.kill('SIGKILL');
        await proc.done.catch(() => undefined);
      }
    }
    await proc.done.catch(() => undefined);
    // what dockerd may leave mounted there when it dies badly (overlay layers, netns, shm)
    await removeMountsUnder(dir);
    problems.push(...(await restoreHost(hostState)));
    await rm(join(dir, 'docker'), { recursive: true, force: true }).catch((e: Error) => problems.push(`rm data root: ${e.message}`));
    await rm(join(dir, 'run'), { recursive: true, force: true }).catch((e: Error) => problems.push(`rm exec root: ${e.message}`));
    if (problems.length > 0) throw new Error(`stopping dockerd in ${dir}: ${problems.join('; ')}`);
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited || exitedOk) {
      await stop().catch(() => undefined);
      throw new Error(`dockerd exited before it was ready: ${exited?.message ?? 'exit 0'}\n${stderrText().slice(-4000)}`);
    }
    if (existsSync(socket) && (await ping(socket))) break;
    if (Date.now() > deadline) {
      await stop().catch(() => undefined);
      throw new Error(`dockerd did not answer on ${socket} within ${opts.readyTimeoutMs ?? 30_000} ms\n${stderrText().slice(-4000)}`);
    }
    await sleep(25);
  }

  const importImage = async (name: string): Promise<string> => {
    const root = await mkdtemp(join(dir, 'skeleton-'));
    try {
      for (const d of ['usr', 'etc', 'tmp', 'proc', 'sys', 'dev', 'run', 'var', 'root', 'data', 'home']) await mkdir(join(root, d));
      for (const l of ['bin', 'lib', 'lib64', 'sbin']) await symlink(`usr/${l}`, join(root, l));
      await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
      await writeFile(join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
      // with `files` only, container names on a user network do not resolve
      await writeFile(join(root, 'etc', 'nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
      const tarball = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.tar`);
      await run({ bin: findBinary('tar'), args: ['-C', root, '-cf', tarball, '.'], timeoutMs: 30_000 });
      try {
        await docker(['import', tarball, name]);
      } finally {
        await rm(tarball, { force: true });
      }
      return name;
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  };

  return { dir, socket, pid, host, docker, importImage, logs: stderrText, stop };
}

/** Reads dockerd's pidfile, for a harness that must find an engine it did not start. */
export async function readDockerdPid(dir: string): Promise<number | undefined> {
  try {
    return Number((await readFile(join(dir, 'dockerd.pid'), 'utf8')).trim()) || undefined;
  } catch {
    return undefined;
  }
}
