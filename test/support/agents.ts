import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import { channelCredentials, loadProto, readTls, spawnProcess, type AgentClient, type Spawned } from '@freezeframe/common';
import { onTestFailed } from 'vitest';
import type { Pki, TlsPaths } from './pki.js';

// Real agents from dist on loopback, each with its own config and OS-chosen ports: written,
// started, called over gRPC and stopped by their own pids. Shared by every test in test/ that
// runs agents outside the Docker bed.

const here = dirname(fileURLToPath(import.meta.url));
export const AGENT_MAIN = resolve(here, '../../packages/agent/dist/main.js');

export interface TestAgent {
  name: string;
  proc: Spawned;
  /** The agent's stderr (pino JSON), one entry a line, as it arrives. */
  stderr: string[];
  port: number;
  dataPort: number;
  config: string;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface AgentConfigOptions {
  /** The agent's TLS files (default: `pki`'s files for its name). */
  tls?: TlsPaths;
  /** Fixed ports, so a restarted agent keeps its addresses (default: chosen by the OS). */
  ports?: { port: number; dataPort: number };
}

/** Writes `<root>/<name>/agent.yaml` (run dir beside it) with TLS from `pki` and `extra` YAML lines. */
export function writeAgentConfig(root: string, pki: Pki, name: string, extra: string, opts: AgentConfigOptions = {}): string {
  const t = opts.tls ?? pki.files(name);
  const listen = opts.ports
    ? `listen: 127.0.0.1:${opts.ports.port}\ndataListen: 127.0.0.1:${opts.ports.dataPort}\n`
    : 'listen: 127.0.0.1:0\n';
  const f = join(root, name, 'agent.yaml');
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(
    f,
    `name: ${name}\n${listen}tls: { ca: ${t.ca}, cert: ${t.cert}, key: ${t.key}${t.crl ? `, crl: ${t.crl}` : ''} }\n` +
      `authorizedDirectors: [director]\nrunDir: ${join(root, name, 'run')}\n${extra}`,
  );
  return f;
}

/**
 * Starts the built agent with `configFile` and resolves once it prints its `listening` event
 * (with the ports it got); rejects with its stderr if it exits or stays silent for 15 s.
 * `lifetimeMs` bounds the process: the runner kills it after that long.
 */
export function startAgent(name: string, configFile: string, opts: { lifetimeMs?: number } = {}): Promise<TestAgent> {
  return startAgentCommand(name, { bin: process.execPath, args: [AGENT_MAIN, '--config', configFile] }, opts);
}

/**
 * startAgent for an agent started another way: an installed binary, one run by name from PATH,
 * or through chroot. `args` holds its `--config FILE`.
 */
export function startAgentCommand(
  name: string,
  cmd: { bin: string; args: string[]; cwd?: string; env?: Record<string, string> },
  opts: { lifetimeMs?: number } = {},
): Promise<TestAgent> {
  const stderr: string[] = [];
  const configFile = cmd.args[cmd.args.indexOf('--config') + 1] ?? '';
  const proc = spawnProcess(
    { ...cmd, timeoutMs: opts.lifetimeMs ?? 10 * 60_000, onStderrLine: (l) => stderr.push(l) },
    true,
  );
  proc.done.catch(() => undefined);
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`${name} did not report listening:\n${stderr.join('\n')}`)), 15_000);
    proc.child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        const ev = JSON.parse(line) as { port: number; dataPort: number };
        res({ name, proc, stderr, port: ev.port, dataPort: ev.dataPort, config: configFile });
      }
    });
    proc.child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`${name} exited with ${code} before listening:\n${stderr.join('\n')}`));
    });
  });
}

/** SIGTERM (the agent thaws and exits), then SIGKILL after 5 s for one that hangs. */
export async function stopAgent(a: TestAgent): Promise<void> {
  a.proc.kill('SIGTERM');
  await Promise.race([a.proc.done.catch(() => undefined), sleep(5_000)]);
  a.proc.kill('SIGKILL');
}

/** A gRPC client holding `as`'s certificate that expects the server to be `expect` (default: the agent). */
export function client(pki: Pki, as: string, agent: TestAgent, expect = agent.name): AgentClient {
  return rawClient(agent, channelCredentials(readTls(pki.files(as))), expect);
}

/** A client with arbitrary credentials (an attacker's, or none); checks the server's name only if `creds` do. */
export function rawClient(agent: TestAgent, creds: grpc.ChannelCredentials, serverName = agent.name): AgentClient {
  const Ctor = loadProto().freezeframe.v1.Agent;
  // the override sends the node name as TLS SNI instead of an IP address (RFC 6066; Node warns)
  return new Ctor(`127.0.0.1:${agent.port}`, creds, {
    'grpc.ssl_target_name_override': serverName,
    'grpc.max_send_message_length': 64 << 20,
    'grpc.initial_reconnect_backoff_ms': 100,
  }) as unknown as AgentClient;
}

/** A unary RPC as a promise; rejects with the gRPC ServiceError. */
export function call<T = any>(c: AgentClient, rpc: string, req: object, deadlineMs = 30_000): Promise<T> {
  return new Promise((res, rej) => {
    (c as any)[rpc](req, { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, r: T) => (err ? rej(err) : res(r)));
  });
}

/** A server-streaming RPC collected to its end; rejects with the gRPC ServiceError. */
export function stream(c: AgentClient, rpc: string, req: object, deadlineMs = 120_000): Promise<any[]> {
  return new Promise((res, rej) => {
    const msgs: any[] = [];
    const s = (c as any)[rpc](req, { deadline: Date.now() + deadlineMs });
    s.on('data', (m: any) => msgs.push(m));
    s.on('error', rej);
    s.on('end', () => res(msgs));
  });
}

/** The last `lines` stderr lines of each agent, under a header naming it. */
export function agentLogs(agents: Iterable<TestAgent>, lines = 30): string {
  return [...agents].map((a) => `--- ${a.name} stderr ---\n${a.stderr.slice(-lines).join('\n')}`).join('\n');
}

/** If the current test fails, its report carries the agents' recent stderr (also printed). */
export function attachAgentLogs(agents: Iterable<TestAgent>, lines = 30): void {
  onTestFailed((ctx) => {
    const logs = agentLogs(agents, lines);
    ctx.task.result!.errors?.push({ name: 'agent logs', message: logs } as any);
    console.error(logs);
  });
}

/** The agent's JSON log lines (pino on stderr). */
export function logLines(a: TestAgent): Array<Record<string, any>> {
  return a.stderr.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, any>];
    } catch {
      return [];
    }
  });
}

/** Waits until a log line of `a` satisfies `pred` (stderr arrives asynchronously). */
export async function waitForLog(a: TestAgent, pred: (l: Record<string, any>) => boolean, ms = 5_000): Promise<Record<string, any>> {
  const until = Date.now() + ms;
  for (;;) {
    const hit = logLines(a).find(pred);
    if (hit) return hit;
    if (Date.now() > until) throw new Error(`no log line of ${a.name} matched within ${ms} ms:\n${a.stderr.slice(-20).join('\n')}`);
    await sleep(25);
  }
}

/** Pids of the processes descending from `pid` (an agent's rsync, tunnels, hooks), only those named `comm` if given. */
export function descendants(pid: number, comm?: string): number[] {
  const parent = new Map<number, { ppid: number; comm: string }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // comm may hold spaces and parentheses: the greedy match ends at the last ')'
      const m = /^\d+ \((.*)\) \S+ (\d+)/s.exec(readFileSync(`/proc/${d}/stat`, 'utf8'));
      if (m) parent.set(Number(d), { ppid: Number(m[2]), comm: m[1]! });
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, v] of parent) if (v.ppid === p) {
      if (!comm || v.comm === comm) out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}
