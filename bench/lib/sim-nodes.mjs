// The scale harness: many simulated nodes in a few processes (sim-node-host.mjs), each node a
// gRPC server with mutual TLS, its own certificate from the freezeframe CA (sim-certs.mjs) and
// its own loopback address (127.1.x.y), so the director's cost at 1000 nodes can be measured on
// a machine that could never host 1000 real agents. Node 0 is the target; every other node is a
// source that is also its own freeze host.
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simCa } from './sim-certs.mjs';
import { procCpuMs } from './util.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The loopback address of simulated node `i` (127.0.0.0/8 is all on `lo`). */
export const simIp = (i) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;

function request(child, msg, key, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`simulated node host ${child.pid}: no answer to ${key} in ${timeoutMs / 1000} s`)), timeoutMs);
    const onMsg = (m) => {
      if (m.error) done(new Error(`simulated node host ${child.pid}: ${m.error}`));
      else if (m[key] !== undefined) done(undefined, m[key]);
    };
    const onExit = (code) => done(new Error(`simulated node host ${child.pid} exited with ${code}`));
    function done(err, value) {
      clearTimeout(timer);
      child.off('message', onMsg);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value);
    }
    child.on('message', onMsg);
    child.once('exit', onExit);
    child.send(msg);
  });
}

/**
 * Starts `count` simulated nodes named `<prefix>-NNNN` in `processes` processes; `pkiDir` holds a
 * freezeframe CA (ca.pem, ca-key.pem). Nodes whose index is in `legacy` answer as agents from
 * before DescribeRequest.with_health. Stop them with stop() whatever happens.
 */
export async function startSimNodes({ pkiDir, count, processes = 4, prefix = 'sim', legacy = [] }) {
  const ca = simCa(pkiDir);
  const t0 = performance.now();
  const specs = Array.from({ length: count }, (_, i) => {
    const name = `${prefix}-${String(i).padStart(4, '0')}`;
    const ip = simIp(i);
    return { name, ip, role: i === 0 ? 'target' : 'source', legacy: legacy.includes(i), ...ca.issue(name, ip) };
  });
  const certsMs = performance.now() - t0;
  const hosts = [];
  const stop = async () => {
    await Promise.all(
      hosts.map(
        (c) =>
          new Promise((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
            c.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (c.connected) c.send({ stop: true });
            else c.kill('SIGTERM');
          }),
      ),
    );
  };
  try {
    const per = Math.ceil(count / processes);
    const parts = [];
    for (let p = 0; p * per < count; p++) {
      const child = fork(join(here, 'sim-node-host.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      hosts.push(child);
      parts.push(request(child, { start: { caPem: ca.caPem.toString(), nodes: specs.slice(p * per, (p + 1) * per) } }, 'ready'));
    }
    const ready = (await Promise.all(parts)).flat();
    const roleOf = new Map(specs.map((s) => [s.name, s.role]));
    return {
      nodes: ready.map((r) => ({ ...r, role: roleOf.get(r.name) })),
      certsMs,
      pids: hosts.map((c) => c.pid),
      /** CPU time (user + system) the hosting processes used so far, in ms. */
      cpuMs() {
        return hosts.reduce((sum, c) => sum + procCpuMs(c.pid).own, 0);
      },
      /** Every RPC each node answered, in order. */
      async calls() {
        return Object.assign({}, ...(await Promise.all(hosts.map((c) => request(c, { calls: true }, 'calls')))));
      },
      /** Per node, the client addresses its calls came from: one per connection the director made. */
      async peers() {
        return Object.assign({}, ...(await Promise.all(hosts.map((c) => request(c, { peers: true }, 'peers')))));
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** An inventory (JSON is YAML) for the director of `pkiDir` and these nodes; returns its path. */
export function writeSimInventory(file, { pkiDir, nodes, stateDir, lease = '120s', concurrency = 8 }) {
  writeFileSync(
    file,
    JSON.stringify(
      {
        deployment: 'sim',
        tls: { ca: join(pkiDir, 'ca.pem'), cert: join(pkiDir, 'director.pem'), key: join(pkiDir, 'director-key.pem') },
        nodes: nodes.map((n) => ({ name: n.name, address: n.address })),
        freeze: { lease },
        transfer: { concurrency },
        stateDir,
      },
      null,
      2,
    ) + '\n',
  );
  return file;
}
