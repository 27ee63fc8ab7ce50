import { mkdirSync, readdirSync, readFileSync, readlinkSync, lstatSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { channelCredentials, loadProto, readTls, spawnProcess, type AgentClient, type Spawned } from '@freezeframe/common';
import type { Pki } from './pki.js';

// Real agents from dist on loopback, as attackers and the director see them: the helpers the
// test/security-*.test.ts files share (the patterns of agent-loopback.test.ts).

const here = dirname(fileURLToPath(import.meta.url));
export const AGENT_MAIN = resolve(here, '../../packages/agent/dist/main.js');
export const TUNNEL = resolve(here, '../../packages/agent/dist/tunnel.js');

export interface Agent {
  name: string;
  proc: Spawned;
  stderr: string[];
  port: number;
  dataPort: number;
  config: string;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `<root>/<name>/agent.yaml` with TLS files from `pki` (or `tls`) and `extra` YAML lines. */
export function writeAgentConfig(root: string, pki: Pki, name: string, extra: string, tlsFiles = pki.files(name)): string {
  const f = join(root, name, 'agent.yaml');
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(
    f,
    `name: ${name}\nlisten: 127.0.0.1:0\ntls: { ca: ${tlsFiles.ca}, cert: ${tlsFiles.cert}, key: ${tlsFiles.key} }\n` +
      `authorizedDirectors: [director]\nrunDir: ${join(root, name, 'run')}\n${extra}`,
  );
  return f;
}

export function startAgent(name: string, configFile: string): Promise<Agent> {
  const stderr: string[] = [];
  const proc = spawnProcess(
    { bin: process.execPath, args: [AGENT_MAIN, '--config', configFile], timeoutMs: 10 * 60_000, onStderrLine: (l) => stderr.push(l) },
    true,
  );
  proc.done.catch(() => undefined);
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not report listening:\n${stderr.join('\n')}`)), 15_000);
    proc.child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        const ev = JSON.parse(line) as { port: number; dataPort: number };
        resolvePromise({ name, proc, stderr, port: ev.port, dataPort: ev.dataPort, config: configFile });
      }
    });
    proc.child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${stderr.join('\n')}`));
    });
  });
}

export async function stopAgent(a: Agent): Promise<void> {
  a.proc.kill('SIGTERM');
  await Promise.race([a.proc.done.catch(() => undefined), sleep(5_000)]);
  a.proc.kill('SIGKILL');
}

/** A gRPC client holding `as`'s certificate that expects the server to be `expect` (default: the agent). */
export function client(pki: Pki, as: string, agent: Agent, expect = agent.name): AgentClient {
  const Ctor = loadProto().freezeframe.v1.Agent;
  return new Ctor(`127.0.0.1:${agent.port}`, channelCredentials(readTls(pki.files(as)), expect), {
    'grpc.ssl_target_name_override': expect,
    'grpc.max_send_message_length': 64 << 20,
  }) as unknown as AgentClient;
}

/** A client with arbitrary credentials that does not check the server's name. */
export function rawClient(agent: Agent, creds: grpc.ChannelCredentials): AgentClient {
  const Ctor = loadProto().freezeframe.v1.Agent;
  return new Ctor(`127.0.0.1:${agent.port}`, creds, {
    'grpc.ssl_target_name_override': agent.name,
    'grpc.max_send_message_length': 64 << 20,
    'grpc.initial_reconnect_backoff_ms': 100,
  }) as unknown as AgentClient;
}

export function call<T = any>(c: AgentClient, rpc: string, req: object, deadlineMs = 10_000): Promise<T> {
  return new Promise((res, rej) => {
    (c as any)[rpc](req, { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, r: T) => (err ? rej(err) : res(r)));
  });
}

export function stream(c: AgentClient, rpc: 'PerformRsync' | 'RestoreSource', req: object): Promise<any[]> {
  return new Promise((res, rej) => {
    const msgs: any[] = [];
    const s = (c as any)[rpc](req, { deadline: Date.now() + 60_000 });
    s.on('data', (m: any) => msgs.push(m));
    s.on('error', rej);
    s.on('end', () => res(msgs));
  });
}

/** Pids of all processes descending from `pid`. */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const m = /^\d+ \(.*\) \S+ (\d+)/s.exec(readFileSync(`/proc/${d}/stat`, 'utf8'));
      if (m) parent.set(Number(d), Number(m[1]));
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) if (pp === p) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Every path under `dir` with its type, size and link target: a fingerprint to compare before/after. */
export function treeListing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = lstatSync(p);
      const kind = st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isDirectory() ? 'dir' : `${st.size}b ${st.mtimeMs}`;
      out.push(`${p} ${kind}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** The agent's JSON log lines (pino on stderr). */
export function logLines(a: Agent): Array<Record<string, any>> {
  return a.stderr.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, any>];
    } catch {
      return [];
    }
  });
}

export interface DataAnswer {
  /** What the receiver answered before closing (e.g. "ERR ..."), or how the connection failed. */
  text: string;
  error?: string;
}

/**
 * Speaks the data channel's first line by hand: `header` as given (an object is sent as JSON),
 * with the TLS material `tlsFiles` (none: no client certificate).
 */
export function dataChannelHello(port: number, header: object | string, tlsFiles?: { ca: string; cert?: string; key?: string }, caFile?: string): Promise<DataAnswer> {
  const t = tlsFiles ?? { ca: caFile! };
  return new Promise((res) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(caFile ?? t.ca),
      ...(t.cert ? { cert: readFileSync(t.cert), key: readFileSync(t.key!) } : {}),
      checkServerIdentity: () => undefined,
    });
    let got = '';
    let settled = false;
    const done = (a: DataAnswer) => {
      if (settled) return;
      settled = true;
      s.destroy();
      res(a);
    };
    s.on('secureConnect', () => s.write((typeof header === 'string' ? header : JSON.stringify(header)) + '\n'));
    s.on('data', (b) => {
      got += b.toString('latin1');
      // OK is followed by rsync's protocol: stop there, the caller only wants the answer
      if (got.startsWith('OK\n')) done({ text: 'OK\n' });
    });
    s.on('end', () => done({ text: got }));
    s.on('error', (e) => done({ text: got, error: e.message }));
    s.on('close', () => done({ text: got }));
    setTimeout(() => done({ text: got, error: 'timeout' }), 10_000);
  });
}

/** Waits until a log line of `a` satisfies `pred` (stderr arrives asynchronously). */
export async function waitForLog(a: Agent, pred: (l: Record<string, any>) => boolean, ms = 5_000): Promise<Record<string, any>> {
  const until = Date.now() + ms;
  for (;;) {
    const hit = logLines(a).find(pred);
    if (hit) return hit;
    if (Date.now() > until) throw new Error(`no log line of ${a.name} matched within ${ms} ms:\n${a.stderr.slice(-20).join('\n')}`);
    await sleep(25);
  }
}
