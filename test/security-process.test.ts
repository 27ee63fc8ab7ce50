import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type Pki } from './support/pki.js';
import { AGENT_MAIN, sleep, writeAgentConfig } from './support/agents.js';
import { TUNNEL } from './support/security-rig.js';
import { claim } from './support/claim.js';

await claim();

// Attacks on the node processes themselves (docs/security.md, "A local user without root"): node opens an unauthenticated
// inspector on 127.0.0.1 when it receives SIGUSR1 (rsync sends it to its --rsh child, the root
// tunnel, when it fails) or when NODE_OPTIONS carries --inspect; whoever connects runs code as
// that process. Each kind of freezeframe process (agent, tunnel, director CLI) is started from
// dist with the inspector's port pinned to a free one, attacked both ways, and the port must
// stay shut. No root needed: the inspector opens the same for any user.

const DIRECTOR_MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../packages/director/dist/cli/main.js');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], env: Record<string, string>): Started {
  const child = spawn(process.execPath, args, { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

/** Resolves once `ready()` holds or the process has exited (15 s at most). */
async function upOrGone(p: Started, ready: () => boolean): Promise<Started> {
  const until = Date.now() + 15_000;
  while (!ready() && p.child.exitCode === null && p.child.signalCode === null && Date.now() < until) await sleep(20);
  return p;
}

describe('security: no node inspector in any freezeframe process', () => {
  let root: string;
  let pki: Pki;
  /** Accepts TCP and says nothing: a tunnel or director connected to it is up and waiting. */
  let silent: net.Server;
  let connections = 0;
  const sockets: net.Socket[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-sec-process-'));
    pki = await makePki(join(root, 'pki'), ['director', 'alpha']);
    silent = net.createServer((s) => {
      connections++;
      sockets.push(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent?.close(r));
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const silentPort = () => (silent.address() as net.AddressInfo).port;

  /** Starts one kind of process and resolves once it is up (or has exited). */
  const kinds: Record<string, (nodeArgs: string[], env: Record<string, string>) => Promise<Started>> = {
    async agent(nodeArgs, env) {
      mkdirSync(join(root, 'agent-data'), { recursive: true });
      const cfg = writeAgentConfig(root, pki, 'alpha', `source: { kind: dir, volume: ${join(root, 'agent-data')} }\nfreeze: { kind: none }\n`);
      const p = start([...nodeArgs, AGENT_MAIN, '--config', cfg], env);
      children.push(p.child);
      return upOrGone(p, () => p.output().includes('"listening"'));
    },
    async tunnel(nodeArgs, env) {
      const t = pki.files('alpha');
      const before = connections;
      const p = start([...nodeArgs, TUNNEL, 'placeholder', 'rsync', '--server', '.', 'x/'], {
        ...env,
        FF_TUNNEL_HOST: '127.0.0.1',
        FF_TUNNEL_PORT: String(silentPort()),
        FF_TUNNEL_TICKET: 'a'.repeat(64),
        FF_TUNNEL_PEER: 'beta',
        FF_TUNNEL_DIRECTION: 'backup',
        FF_TLS_CA: t.ca,
        FF_TLS_CERT: t.cert,
        FF_TLS_KEY: t.key,
      });
      children.push(p.child);
      return upOrGone(p, () => connections > before);
    },
    async director(nodeArgs, env) {
      const t = pki.files('director');
      const inv = join(root, 'inventory.yaml');
      writeFileSync(inv, `deployment: t\ntls: { ca: ${t.ca}, cert: ${t.cert}, key: ${t.key} }\nnodes:\n  - { name: alpha, address: 127.0.0.1:${silentPort()} }\n`);
      const before = connections;
      const p = start([...nodeArgs, DIRECTOR_MAIN, 'health', '-i', inv], env);
      children.push(p.child);
      return upOrGone(p, () => connections > before);
    },
  };

  for (const kind of Object.keys(kinds)) {
    it(`${kind}: SIGUSR1 opens no inspector`, async () => {
      const port = await freePort();
      // the port SIGUSR1 would open the inspector on, so the check cannot miss it
      const p = await kinds[kind]!([`--inspect-port=127.0.0.1:${port}`], {});
      try {
        expect(p.child.exitCode, p.output()).toBeNull();
        p.child.kill('SIGUSR1');
        await sleep(1_000);
        expect(await listening(port), `${kind} opened an inspector on SIGUSR1:\n${p.output()}`).toBe(false);
        // and the signal did not kill it either
        expect(p.child.exitCode, p.output()).toBeNull();
        expect(p.output()).not.toContain('Debugger listening');
      } finally {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    });

    it(`${kind}: NODE_OPTIONS=--inspect from the caller leaves no inspector running`, async () => {
      const port = await freePort();
      const p = await kinds[kind]!([], { NODE_OPTIONS: `--inspect=127.0.0.1:${port}` });
      try {
        expect(await listening(port), `${kind} runs with an inspector:\n${p.output()}`).toBe(false);
        expect(await p.exited).toBe(2);
        expect(p.output()).toContain(`freezeframe: refusing to run with the node inspector open (127.0.0.1:${port}`);
      } finally {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    });
  }

  it('NODE_OPTIONS never reaches node when a program is run by its #! line', async () => {
    for (const main of [AGENT_MAIN, DIRECTOR_MAIN, TUNNEL]) {
      // as the kernel runs it: the interpreter, the rest of the line as one argument, the file
      const m = /^#!(\S+) (.*)$/m.exec(readFileSync(main, 'utf8').split('\n')[0]!);
      expect(m, main).not.toBeNull();
      const port = await freePort();
      const q = spawn(m![1]!, [m![2]!, main, '--version'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', NODE_OPTIONS: `--inspect=127.0.0.1:${port}` }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(q);
      let err = '';
      q.stderr.on('data', (b: Buffer) => (err += b.toString()));
      await new Promise((r) => q.once('exit', r));
      expect(err, main).not.toContain('Debugger listening');
      expect(err, main).not.toContain('refusing to run');
    }
  });
});
