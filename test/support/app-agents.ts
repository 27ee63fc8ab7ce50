import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import { channelCredentials, loadProto, readTls, spawnProcess, type AgentClient, type Spawned } from '@freezeframe/common';
import type { Pki } from './pki.js';

// Real agents from dist for the application tests: start, call, stop (by their own pids).

const here = dirname(fileURLToPath(import.meta.url));
export const AGENT_MAIN = resolve(here, '../../packages/agent/dist/main.js');
export const DIRECTOR_MAIN = resolve(here, '../../packages/director/dist/cli/main.js');

export interface TestAgent {
  name: string;
  proc: Spawned;
  stderr: string[];
  port: number;
  dataPort: number;
  config: string;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `<root>/<name>/agent.yaml` with TLS from `pki` and the given extra YAML. */
export function writeAgentConfig(root: string, pki: Pki, name: string, extra: string): string {
  const f = join(root, name, 'agent.yaml');
  mkdirSync(dirname(f), { recursive: true });
  const t = pki.files(name);
  writeFileSync(
    f,
    `name: ${name}\nlisten: 127.0.0.1:0\ntls: { ca: ${t.ca}, cert: ${t.cert}, key: ${t.key} }\n` +
      `authorizedDirectors: [director]\nrunDir: ${join(root, name, 'run')}\n${extra}`,
  );
  return f;
}

export function startAgent(name: string, configFile: string): Promise<TestAgent> {
  const stderr: string[] = [];
  const proc = spawnProcess({ bin: process.execPath, args: [AGENT_MAIN, '--config', configFile], timeoutMs: 10 * 60_000, onStderrLine: (l) => stderr.push(l) }, true);
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

export async function stopAgent(a: TestAgent): Promise<void> {
  a.proc.kill('SIGTERM');
  await Promise.race([a.proc.done.catch(() => undefined), sleep(5_000)]);
  a.proc.kill('SIGKILL');
}

export function client(pki: Pki, as: string, agent: TestAgent): AgentClient {
  const Ctor = loadProto().freezeframe.v1.Agent;
  return new Ctor(`127.0.0.1:${agent.port}`, channelCredentials(readTls(pki.files(as)), agent.name), {
    'grpc.ssl_target_name_override': agent.name,
  }) as unknown as AgentClient;
}

export function call<T = any>(c: AgentClient, rpc: string, req: object): Promise<T> {
  return new Promise((res, rej) => {
    (c as any)[rpc](req, { deadline: Date.now() + 60_000 }, (err: grpc.ServiceError | null, r: T) => (err ? rej(err) : res(r)));
  });
}

export function stream(c: AgentClient, rpc: string, req: object): Promise<any[]> {
  return new Promise((res, rej) => {
    const msgs: any[] = [];
    const s = (c as any)[rpc](req, { deadline: Date.now() + 120_000 });
    s.on('data', (m: any) => msgs.push(m));
    s.on('error', rej);
    s.on('end', () => res(msgs));
  });
}
