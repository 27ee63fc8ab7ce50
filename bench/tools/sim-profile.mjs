#!/usr/bin/env node
// Where the director's CPU goes at scale: simulated nodes started once, then one director run
// (../lib/sim-director.mjs, up to thaw) under --cpu-prof; prints the functions with the most self
// time and the profile's path.   node bench/tools/sim-profile.mjs [nodes=1000] [top=30]
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { certsInit } from '@freezeframe/director/engine/certs.js';
import { startSimNodes, writeSimInventory } from '../lib/sim-nodes.mjs';
import { exec } from '../lib/util.mjs';

const lib = join(dirname(fileURLToPath(import.meta.url)), '..', 'lib');
const [n = 1000, top = 30] = process.argv.slice(2).map(Number);
const root = mkdtempSync(join(tmpdir(), 'ff-sim-profile-'));
const profDir = mkdtempSync(join(tmpdir(), 'ff-director-profile-'));
await certsInit(join(root, 'pki'));
const sim = await startSimNodes({ pkiDir: join(root, 'pki'), count: n, processes: 4 });
try {
  const inv = writeSimInventory(join(root, 'inventory.yaml'), { pkiDir: join(root, 'pki'), nodes: sim.nodes, stateDir: join(root, 'state') });
  const out = await exec(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, join(lib, 'sim-director.mjs'), inv, '1'], { timeoutMs: 10 * 60_000 });
  const { runs, peakRssMb } = JSON.parse(out.stdout.trim().split('\n').at(-1));
  console.log(JSON.stringify({ wallMs: Math.round(runs[0].wallMs), cpuMs: Math.round(runs[0].cpuMs), peakRssMb: Math.round(peakRssMb), phases: runs[0].phases }));
  const file = join(profDir, readdirSync(profDir).find((f) => f.endsWith('.cpuprofile')));
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const dt = new Map();
  p.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const self = new Map();
  for (const node of p.nodes) {
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-3).join('/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (dt.get(node.id) ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
  console.log(`profile: ${file}`);
} finally {
  await sim.stop();
  rmSync(root, { recursive: true, force: true });
}
