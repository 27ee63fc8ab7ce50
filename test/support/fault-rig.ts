import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { spawnProcess, type Spawned } from '@freezeframe/common';
import { agentLogs, startAgent, stopAgent, writeAgentConfig, type TestAgent } from './agents.js';
import { removeCgroupDir } from './cgroup.js';
import { makePki, type Pki } from './pki.js';

// Real agents (processes of the built binary) on loopback and the real director CLI as a
// process, so faults are real: kill -9 of a process, a killed rsync, a flipped byte on disk.

const here = dirname(fileURLToPath(import.meta.url));
export const DIRECTOR_MAIN = resolve(here, '../../packages/director/dist/cli/main.js');

export interface RigAgent extends TestAgent {
  /** Config body after the listen lines (roles). */
  roles: string;
}

export interface RigNodeSpec {
  name: string;
  /** YAML lines for the roles: `source: ...`, `freeze: ...`, `target: ...`. */
  roles: string;
}

export interface Rig {
  root: string;
  pki: Pki;
  agents: Map<string, RigAgent>;
  inventory: string;
  stateDir: string;
  start(name: string): Promise<RigAgent>;
  kill9(name: string): Promise<void>;
  /** Runs the director CLI; resolves with exit code and output (never rejects on exit code). */
  director(args: string[], env?: Record<string, string>): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
  /** Starts the director CLI without waiting. */
  directorProc(args: string[], env?: Record<string, string>): { proc: Spawned; out: () => string; err: () => string };
  logs(): string;
  stop(): Promise<void>;
}

/** Makes the PKI, starts every agent (specs get the rig's root folder), writes the inventory (freeze lease `lease`). */
export async function startRig(specsOf: (root: string) => RigNodeSpec[], opts: { lease?: string; prefix?: string } = {}): Promise<Rig> {
  const root = mkdtempSync(join(tmpdir(), opts.prefix ?? 'ff-fault-'));
  const specs = specsOf(root);
  const pki = await makePki(join(root, 'pki'), ['director', ...specs.map((s) => s.name)]);
  const agents = new Map<string, RigAgent>();
  const stateDir = join(root, 'state');
  const inventory = join(root, 'inventory.yaml');
  const rig: Rig = {
    root,
    pki,
    agents,
    inventory,
    stateDir,
    async start(name) {
      const spec = specs.find((s) => s.name === name)!;
      const prev = agents.get(name);
      // a restarted agent keeps its ports: the inventory names them
      const config = writeAgentConfig(root, pki, name, `allowRestore: true\nfreezeLeaseMaxMs: 10m\n${spec.roles}`, {
        ports: prev ? { port: prev.port, dataPort: prev.dataPort } : undefined,
      });
      const agent: RigAgent = { ...(await startAgent(name, config, { lifetimeMs: 30 * 60_000 })), roles: spec.roles };
      agents.set(name, agent);
      return agent;
    },
    async kill9(name) {
      const a = agents.get(name)!;
      a.proc.kill('SIGKILL');
      await a.proc.done.catch(() => undefined);
    },
    directorProc(args, env = {}) {
      let out = '';
      let err = '';
      const proc = spawnProcess(
        {
          bin: process.execPath,
          args: [DIRECTOR_MAIN, '-i', inventory, ...args],
          timeoutMs: 5 * 60_000,
          env: { ...env, XDG_STATE_HOME: join(root, 'xdg') },
          onStderrLine: (l) => (err += `${l}\n`),
        },
        true,
      );
      proc.child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      return { proc, out: () => out, err: () => err };
    },
    async director(args, env = {}) {
      const d = rig.directorProc(args, env);
      const r = await d.proc.done.then(
        (x) => ({ code: x.code as number | null, signal: null as string | null }),
        (e: { details?: { exitCode?: number; signal?: string } }) => ({ code: e.details?.exitCode ?? null, signal: e.details?.signal ?? null }),
      );
      await sleep(20);
      return { ...r, stdout: d.out(), stderr: d.err() };
    },
    logs() {
      return agentLogs(agents.values());
    },
    async stop() {
      for (const a of agents.values()) await stopAgent(a);
      rmSync(root, { recursive: true, force: true });
    },
  };
  for (const s of specs) await rig.start(s.name);
  writeFileSync(
    inventory,
    `deployment: fault\ntls: { ca: ${pki.ca}, cert: ${pki.files('director').cert}, key: ${pki.files('director').key} }\n` +
      `stateDir: ${stateDir}\nfreeze: { lease: ${opts.lease ?? '2s'} }\nnodes:\n` +
      specs.map((s) => `  - { name: ${s.name}, address: 127.0.0.1:${agents.get(s.name)!.port} }\n`).join(''),
  );
  return rig;
}

export function readRecord(rig: Rig, id: string): any {
  return JSON.parse(readFileSync(join(rig.stateDir, 'runs', `${id}.json`), 'utf8'));
}

/** Record ids (backup ids) written by the director, newest last. */
export function recordIds(rig: Rig): string[] {
  const d = join(rig.stateDir, 'runs');
  return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort() : [];
}

/** A cgroup v1 freezer group of our own with one sleeping process in it; `state()` reads the kernel's view. */
export interface FreezerGroup {
  name: string;
  dir: string;
  pid: number;
  state(): string;
  destroy(): Promise<void>;
}

export async function freezerGroupWithSleeper(tag: string): Promise<FreezerGroup> {
  const name = `fffault-${tag}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
  const dir = join('/sys/fs/cgroup/freezer', name);
  mkdirSync(dir);
  const proc = spawnProcess({ bin: '/bin/sleep', args: ['600'], timeoutMs: 15 * 60_000 });
  proc.done.catch(() => undefined);
  const pid = proc.child.pid!;
  writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  return {
    name,
    dir,
    pid,
    state: () => readFileSync(join(dir, 'freezer.state'), 'utf8').trim(),
    async destroy() {
      if (!existsSync(dir)) return;
      await writeFile(join(dir, 'freezer.state'), 'THAWED').catch(() => undefined);
      proc.kill('SIGKILL');
      await proc.done.catch(() => undefined);
      await removeCgroupDir(dir);
    },
  };
}

export async function waitFor(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<number> {
  const t0 = Date.now();
  while (!(await fn())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
  return Date.now() - t0;
}
