// The director of the simulated-scale benchmark, in its own process so its peak RSS is its own:
//   node sim-director.mjs <inventory> <runs> [--two-round-trips]
// Each run is what `freezeframe backup` does up to thaw (runBackupUntilThaw: preflight, target
// lock, leftovers, freeze, snapshot, thaw, then snapshots released and the lock dropped) on
// fresh channels, as a new director process would (the bench starts one process per run). --two-round-trips: preflight as before
// DescribeRequest.with_health (Health and Describe, two calls per node), for A/B comparisons. Prints one JSON line: per run the phase
// durations, the wall time, this process's CPU time and the CPU in the control phases, then the
// process's peak RSS.
import { readFileSync } from 'node:fs';
import { VERSION, loadInventory, newBackupId } from '@freezeframe/common';
import { runBackupUntilThaw } from '@freezeframe/director/engine/backup.js';
import { withDeployment } from '@freezeframe/director/engine/core/deployment.js';
import { newRunRecord } from '@freezeframe/director/engine/core/records.js';
import { phaseCpu } from './util.mjs';

const [file, runsArg, variant] = process.argv.slice(2);
const inv = loadInventory(file);
const runs = [];
const base = Date.now();
const control = phaseCpu(['preflight', 'freeze', 'snapshot', 'thaw']);
for (let i = 0; i < Number(runsArg ?? 1); i++) {
  const backupId = newBackupId(new Date(base + i * 1000), `sim-${i}`);
  const record = newRunRecord('backup', backupId, backupId, inv.deployment);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await withDeployment(inv, ({ nodes }) => {
    // without the method, preflight falls back to Health + Describe (healthAndDescription)
    if (variant === '--two-round-trips') for (const n of nodes) n.describeWithHealth = undefined;
    return runBackupUntilThaw(nodes, { deployment: inv.deployment, backupId, leaseMs: inv.freeze.lease, concurrency: inv.transfer.concurrency, directorVersion: VERSION, record, onEvent: control.onEvent });
  });
  const cpu = process.cpuUsage(cpu0);
  runs.push({ wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, phases: Object.fromEntries(record.phases.map((p) => [p.phase, p.durationMs ?? 0])), controlCpu: control.take() });
}
const hwm = Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);
process.stdout.write(JSON.stringify({ runs, peakRssMb: hwm / 1024 }) + '\n');
process.exit(0);
