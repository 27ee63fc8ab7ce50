// Measurement 5: one director against many agents (processes on loopback, dir sources with a
// little data, freeze none): preflight+freeze+snapshot+thaw time, director peak RSS, idle agent RSS.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentMem, makeCerts, startAgents, stopAgents, writeInventory } from '../lib/agents.mjs';
import { exec, log, now, round, sleep, stats } from '../lib/util.mjs';

const here = dirname(fileURLToPath(import.meta.url));

export async function runScale(cfg, work, results) {
  const n = cfg.scaleAgents;
  const root = join(work, 'scale');
  const pki = join(root, 'pki');
  const names = Array.from({ length: n }, (_, i) => `node-${String(i).padStart(3, '0')}`);
  let agents = [];
  try {
    let t0 = now();
    await makeCerts(pki, [...names, 'scale-target']);
    log(`  ${n + 1} certificates in ${round((now() - t0) / 1000, 1)} s`);
    const specs = names.map((name) => {
      const data = join(root, 'data', name);
      mkdirSync(data, { recursive: true });
      for (let k = 0; k < 5; k++) writeFileSync(join(data, `f${k}`), `${name} ${k}\n`.repeat(200));
      return { name, extra: { source: { kind: 'dir', volume: data }, freeze: { kind: 'none' } } };
    });
    mkdirSync(join(root, 'target'), { recursive: true });
    specs.unshift({ name: 'scale-target', extra: { target: { kind: 'dir', path: join(root, 'target') } } });
    t0 = now();
    agents = await startAgents(root, pki, specs, 4);
    const startS = round((now() - t0) / 1000, 1);
    log(`  ${agents.length} agents started in ${startS} s`);
    await sleep(2000); // let start-up garbage settle before calling them idle
    const idle = agents.filter((a) => a.name !== 'scale-target').map(agentMem).filter(Boolean);
    const { file } = writeInventory(root, pki, agents, { concurrency: cfg.scaleConcurrency, lease: '120s' });
    const r = await exec(process.execPath, [join(here, '..', 'lib', 'scale-director.mjs'), file, String(cfg.reps.scale)], { timeoutMs: 30 * 60_000 });
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1));
    const after = agents.filter((a) => a.name !== 'scale-target').map(agentMem).filter(Boolean);
    const ctl = out.runs.map((x) => ['preflight', 'freeze', 'snapshot', 'thaw'].reduce((s, k) => s + (x.phases[k] ?? 0), 0));
    const ctlStats = stats(ctl);
    const idleRss = stats(idle.map((m) => m.rssMb));
    const dirRss = round(out.peakRssMb, 1);
    results.scale = {
      agents: n,
      freezePhaseMs: ctlStats.median,
      directorRssMb: dirRss,
      agentIdleRssMb: idleRss.median,
      freezePhase: ctlStats,
      phasesPerRun: out.runs.map((x) => x.phases),
      backupWallMs: stats(out.runs.map((x) => x.wallMs)),
      agentIdleRss: { ...idleRss, runs: undefined },
      agentIdleAnonMb: stats(idle.map((m) => m.anonMb)).median,
      agentIdleFileMb: stats(idle.map((m) => m.fileMb)).median,
      agentPeakRssMbAfterBackup: stats(after.map((m) => m.hwmMb)).max,
      agentsStartS: startS,
      transferConcurrency: cfg.scaleConcurrency,
      goal: { freezePhaseMs: '< 2000', directorRssMb: '< 200', agentIdleRssMb: '< 60' },
      met: { freezePhaseMs: ctlStats.median < 2000, directorRssMb: dirRss < 200, agentIdleRssMb: idleRss.median < 60 },
      note: 'freezePhaseMs = preflight + freeze + snapshot + thaw phase durations of a whole backup (dir sources hold the freeze through the transfer; the transfer phase is excluded)',
    };
    log(`  scale: control phases ${ctlStats.median} ms, director peak ${dirRss} MB, idle agent ${idleRss.median} MB`);
  } finally {
    await stopAgents(agents);
  }
}
