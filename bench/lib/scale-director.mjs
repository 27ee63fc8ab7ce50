// The director of the scale benchmark, in its own process so its peak RSS is its own:
//   node scale-director.mjs <inventory> <runs>
// Prints one JSON line: per run the phase durations, then the process's peak RSS.
import { readFileSync } from 'node:fs';
import { loadInventory } from '@freezeframe/common';
import { backup } from '@freezeframe/director/engine/backup.js';

const [file, runsArg] = process.argv.slice(2);
const inv = loadInventory(file);
const runs = [];
const base = Date.now();
for (let i = 0; i < Number(runsArg ?? 1); i++) {
  const t0 = performance.now();
  const r = await backup(inv, { label: `scale-${i}`, now: new Date(base + i * 1000) });
  runs.push({ wallMs: performance.now() - t0, phases: Object.fromEntries(r.record.phases.map((p) => [p.phase, p.durationMs ?? 0])), files: r.record.filesTotal });
}
const hwm = Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);
process.stdout.write(JSON.stringify({ runs, peakRssMb: hwm / 1024 }) + '\n');
process.exit(0);
