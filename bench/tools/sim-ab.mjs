#!/usr/bin/env node
// A/B of preflight's round trips at scale: simulated nodes started once, then per round the
// director process (../lib/sim-director.mjs, one run) with --two-round-trips (A: Health +
// Describe) and without (B: Describe with health), the order alternating; prints each run and
// the medians.   node bench/tools/sim-ab.mjs [nodes=1000] [rounds=4]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { certsInit } from '@freezeframe/director/engine/certs.js';
import { startSimNodes, writeSimInventory } from '../lib/sim-nodes.mjs';
import { exec } from '../lib/util.mjs';

const lib = join(dirname(fileURLToPath(import.meta.url)), '..', 'lib');
const [n = 1000, rounds = 4] = process.argv.slice(2).map(Number);
const root = mkdtempSync(join(tmpdir(), 'ff-sim-ab-'));
await certsInit(join(root, 'pki'));
const sim = await startSimNodes({ pkiDir: join(root, 'pki'), count: n, processes: 4 });
const res = { A: [], B: [] };
try {
  const inv = writeSimInventory(join(root, 'inventory.yaml'), { pkiDir: join(root, 'pki'), nodes: sim.nodes, stateDir: join(root, 'state') });
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 ? ['B', 'A'] : ['A', 'B']) {
      const cpu0 = sim.cpuMs();
      const out = await exec(process.execPath, [join(lib, 'sim-director.mjs'), inv, '1', ...(v === 'A' ? ['--two-round-trips'] : [])], { timeoutMs: 10 * 60_000 });
      const { runs, peakRssMb } = JSON.parse(out.stdout.trim().split('\n').at(-1));
      const x = runs[0];
      const row = {
        v,
        ctl: ['preflight', 'freeze', 'snapshot', 'thaw'].reduce((s, k) => s + (x.phases[k] ?? 0), 0),
        preflight: x.phases.preflight,
        wall: Math.round(x.wallMs),
        cpu: Math.round(x.cpuMs),
        simCpu: sim.cpuMs() - cpu0,
        rss: Math.round(peakRssMb),
        load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
      };
      res[v].push(row);
      console.log(JSON.stringify(row));
    }
  }
  const med = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
  for (const v of ['A', 'B']) console.log(v, JSON.stringify(Object.fromEntries(['ctl', 'preflight', 'wall', 'cpu', 'simCpu', 'rss'].map((k) => [k, med(res[v].map((r) => r[k]))]))));
} finally {
  await sim.stop();
  rmSync(root, { recursive: true, force: true });
}
