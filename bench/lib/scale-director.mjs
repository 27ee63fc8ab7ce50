// The director of the scale benchmark, in its own process so its peak RSS is its own:
//   node scale-director.mjs <inventory> <runs>
// Prints one JSON line: per run the phase durations and the CPU in the control phases, then the
// process's peak RSS.
import { readFileSync } from 'node:fs';
import { loadInventory } from '@freezeframe/common';
import { backup } from '@freezeframe/director/engine/backup.js';
import { phaseCpu } from './util.mjs';

const [file, runsArg] = process.argv.slice(2);
const inv = loadInventory(file);
const runs = [];
const base = Date.now();
// the transfer phase runs between snapshot and thaw (dir sources hold the freeze): not counted
const cpu = phaseCpu(['preflight', 'freeze', 'snapshot', 'thaw']);
for (let i = 0; i < Number(runsArg ?? 1); i++) {
  const t0 = performance.now();
  const r = await backup(inv, { label: `scale-${i}`, now: new Date(base + i * 1000), onEvent: cpu.onEvent });
  runs.push({ wallMs: performance.now() - t0, phases: Object.fromEntries(r.record.phases.map((p) => [p.phase, p.durationMs ?? 0])), files: r.record.filesTotal, controlCpu: cpu.take() });
}
const hwm = Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);
process.stdout.write(JSON.stringify({ runs, peakRssMb: hwm / 1024 }) + '\n');
process.exit(0);
