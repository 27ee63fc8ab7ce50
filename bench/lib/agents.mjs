// Agents as processes on loopback, with certificates, reusing the director's own pieces:
// certsInit/certsIssue (freezeframe certs) and startAgent/stopAgent (freezeframe demo).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { loadInventory } from '@freezeframe/common';
import { certsInit, certsIssue } from '@freezeframe/director/engine/certs.js';
import { startAgent, stopAgent } from '@freezeframe/director/engine/demo-agents.js';
import { connectInventory, closeAll } from '@freezeframe/director/engine/core/deployment.js';
import { procMemMb } from './util.mjs';

export { connectInventory, closeAll, loadInventory };

export async function makeCerts(pkiDir, names, concurrency = 4) {
  await certsInit(pkiDir);
  const limit = pLimit(concurrency);
  await Promise.all(names.map((name) => limit(() => certsIssue({ dir: pkiDir, name, ips: ['127.0.0.1'], dns: ['localhost'] }))));
}

let tmpfsRuns;
/**
 * Where an agent's runDir goes: on tmpfs, as the default /run/freezeframe is on a Debian host
 * (its freeze record is written while the applications are paused, and an fsync to a disk there
 * would count in the freeze window); FF_BENCH_RUNDIR=disk puts it beside the config (PROFILE.md).
 */
function runDirOf(dir, name) {
  if (process.env.FF_BENCH_RUNDIR === 'disk') return join(dir, 'run');
  if (!tmpfsRuns) {
    tmpfsRuns = mkdtempSync('/dev/shm/ffbench-run-');
    process.on('exit', () => rmSync(tmpfsRuns, { recursive: true, force: true }));
  }
  return join(tmpfsRuns, name);
}

/** Writes `<root>/nodes/<name>/agent.yaml` (JSON is YAML) and returns its path. */
export function writeAgentConfig(root, pkiDir, name, extra) {
  const dir = join(root, 'nodes', name);
  mkdirSync(dir, { recursive: true });
  const runDir = runDirOf(dir, name);
  mkdirSync(runDir, { recursive: true });
  const cfg = {
    name,
    listen: '127.0.0.1:0',
    tls: { ca: join(pkiDir, 'ca.pem'), cert: join(pkiDir, `${name}.pem`), key: join(pkiDir, `${name}-key.pem`) },
    authorizedDirectors: ['director'],
    runDir,
    allowRestore: true,
    // FF_BENCH_BYTE_PATH=off: node relays (the A/B of PROFILE.md's fifth pass)
    ...(process.env.FF_BENCH_BYTE_PATH ? { nativeBytePath: process.env.FF_BENCH_BYTE_PATH } : {}),
    ...extra,
  };
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, JSON.stringify(cfg, null, 2) + '\n');
  return file;
}

/**
 * One agent per name with a `dir` source and freeze `none`, as the scale section runs them: its
 * data is a folder of its own, `<root>/data/<name>`, that `fill(folder, name)` may write into.
 */
export function dirSourceSpecs(root, names, fill = () => undefined) {
  return names.map((name) => {
    const data = join(root, 'data', name);
    mkdirSync(data, { recursive: true });
    fill(data, name);
    return { name, extra: { source: { kind: 'dir', volume: data }, freeze: { kind: 'none' } } };
  });
}

/**
 * Starts agents (`specs`: [{name, extra}]) a few at a time. Each agent's stop goes onto `undo`
 * before the agent starts, so the undo list stops it (once it has started) whether the start
 * succeeds, fails or is under way when the bench is stopped; a start queued after the list ran
 * throws instead of starting. `command` ({bin, args}) starts another agent than the checkout's.
 */
export async function startAgents(root, pkiDir, specs, undo, concurrency = 4, command = undefined) {
  const limit = pLimit(concurrency);
  return Promise.all(
    specs.map((s) =>
      limit(async () => {
        const file = writeAgentConfig(root, pkiDir, s.name, s.extra);
        let start;
        // a start that failed killed its own process
        undo.push(async () => {
          const agent = await start.catch(() => undefined);
          if (agent) await stopAgent(agent);
        });
        start = startAgent(s.name, file, join(root, 'nodes', s.name, 'agent.log'), command);
        return start;
      }),
    ),
  );
}

/** Stops agents before their undo list would (stopping one twice does nothing). */
export async function stopAgents(agents) {
  await Promise.all(agents.map((a) => stopAgent(a)));
}

export const agentPid = (a) => a.proc.child.pid;
export const agentMem = (a) => procMemMb(agentPid(a));

/** An inventory file for these agents; returns the parsed inventory. */
export function writeInventory(root, pkiDir, agents, { concurrency = 1, lease = '60s', name = 'inventory.yaml' } = {}) {
  const file = join(root, name);
  writeFileSync(
    file,
    JSON.stringify(
      {
        deployment: 'bench',
        tls: { ca: join(pkiDir, 'ca.pem'), cert: join(pkiDir, 'director.pem'), key: join(pkiDir, 'director-key.pem') },
        nodes: agents.map((a) => ({ name: a.name, address: `127.0.0.1:${a.port}` })),
        freeze: { lease },
        transfer: { concurrency },
        stateDir: join(root, 'state'),
      },
      null,
      2,
    ) + '\n',
  );
  return { file, inv: loadInventory(file) };
}
