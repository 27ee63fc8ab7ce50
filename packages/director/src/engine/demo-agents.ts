import { createWriteStream, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import { FfError, findBinary, spawnProcess, type Spawned } from '@freezeframe/common';

// Agents as child processes of the director, for the demo: started through common's runner,
// ready when they print their one JSON "listening" line, stopped by their own process group.

/**
 * How to start an agent: from a checkout, node with packages/agent/dist/main.js next to this
 * package's dist; from the package's single executable, the freezeframe-agent package's binary.
 */
export function agentCommand(): { bin: string; args: string[] } {
  if (isSea()) {
    try {
      return { bin: findBinary('freezeframe-agent'), args: [] };
    } catch (e) {
      throw new FfError('FAILED_PRECONDITION', 'the demo runs agents on this machine, and freezeframe-agent is not installed', {
        cause: e,
        hint: 'install the freezeframe-agent package beside freezeframe',
      });
    }
  }
  const here = dirname(fileURLToPath(import.meta.url)); // packages/director/{dist,src}/engine
  const candidate = join(here, '..', '..', '..', 'agent', 'dist', 'main.js');
  if (!existsSync(candidate)) {
    throw new FfError('FAILED_PRECONDITION', `agent binary not found at ${candidate}`, { hint: 'build it: npx tsc --build packages/agent' });
  }
  return { bin: process.execPath, args: [candidate] };
}

export interface RunningAgent {
  name: string;
  port: number;
  dataPort: number;
  logFile: string;
  proc: Spawned;
}

const READY_TIMEOUT_MS = 20_000;
/** The runner insists on a timeout: longer than any demo, short enough that nothing lingers. */
const AGENT_LIFETIME_MS = 60 * 60_000;

/** `agent`: another way to start it than this program's own (the bench starts packaged agents). */
export async function startAgent(name: string, configFile: string, logFile: string, agent = agentCommand()): Promise<RunningAgent> {
  const log = createWriteStream(logFile, { flags: 'a' });
  let onReady: (v: { port: number; dataPort: number }) => void = () => {};
  const ready = new Promise<{ port: number; dataPort: number }>((resolve) => (onReady = resolve));
  const proc = spawnProcess({
    bin: agent.bin,
    args: [...agent.args, '--config', configFile],
    timeoutMs: AGENT_LIFETIME_MS,
    env: { FREEZEFRAME_LOG_LEVEL: process.env.FREEZEFRAME_LOG_LEVEL ?? 'info' },
    onStdoutLine: (line) => {
      log.write(`${line}\n`);
      try {
        const msg = JSON.parse(line) as { event?: string; port?: number; dataPort?: number };
        if (msg.event === 'listening' && typeof msg.port === 'number') onReady({ port: msg.port, dataPort: msg.dataPort ?? 0 });
      } catch {
        // not the JSON line we wait for
      }
    },
    onStderrLine: (line) => log.write(`${line}\n`),
  });
  proc.done.catch(() => {}).finally(() => log.end());
  let timer: NodeJS.Timeout | undefined;
  try {
    const r = await Promise.race([
      ready,
      proc.done.then(
        (res) => Promise.reject(new FfError('COMMAND_FAILED', `agent ${name} exited (${res.code}) before listening: ${res.stderr.trim().split('\n').slice(-5).join('\n')}`)),
        (e: unknown) => Promise.reject(e instanceof FfError ? new FfError(e.code, `agent ${name}: ${e.message}`, { cause: e, hint: `see ${logFile}` }) : e),
      ),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new FfError('DEADLINE_EXCEEDED', `agent ${name} did not report listening within ${READY_TIMEOUT_MS} ms`, { hint: `see ${logFile}` })), READY_TIMEOUT_MS);
      }),
    ]);
    return { name, port: r.port, dataPort: r.dataPort, logFile, proc };
  } catch (e) {
    proc.kill('SIGKILL');
    await proc.done.catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopAgent(a: RunningAgent, graceMs = 5_000): Promise<void> {
  a.proc.kill('SIGTERM');
  const t = setTimeout(() => a.proc.kill('SIGKILL'), graceMs);
  await a.proc.done.catch(() => {});
  clearTimeout(t);
}
