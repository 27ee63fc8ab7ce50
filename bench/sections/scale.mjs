// Measurement 5: one director against many agents (processes on loopback, dir sources with a
// little data, freeze none): preflight+freeze+snapshot+thaw time, director peak RSS, idle agent RSS,
// for the checkout's agent (node + dist/main.js) and the packaged one (the single executable).
// Then the director against 1000 simulated nodes (lib/sim-nodes.mjs: gRPC servers with mutual
// TLS in a few processes) up to thaw: scale.simulated.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentMem, dirSourceSpecs, makeCerts, startAgents, writeInventory } from '../lib/agents.mjs';
import { startSimNodes, writeSimInventory } from '../lib/sim-nodes.mjs';
import { certsInit } from '@freezeframe/director/engine/certs.js';
import { exec, log, now, phaseCpuStats, round, sleep, stats, undoList } from '../lib/util.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Each rep in a director process of its own, as `freezeframe backup` runs one backup per process
 * (a timer starts a fresh one each time): its code as cold as an operator's, and its peak RSS
 * that of one backup. Returns every run and the highest peak RSS.
 */
async function directorRuns(script, inventory, reps) {
  const runs = [];
  let peakRssMb = 0;
  for (let i = 0; i < reps; i++) {
    const r = await exec(process.execPath, [join(here, '..', 'lib', script), inventory, '1'], { timeoutMs: 30 * 60_000 });
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1));
    runs.push(...out.runs);
    peakRssMb = Math.max(peakRssMb, out.peakRssMb);
  }
  return { runs, peakRssMb };
}

export async function runScale(cfg, work, results) {
  const n = cfg.scaleAgents;
  const root = join(work, 'scale');
  const pki = join(root, 'pki');
  const names = Array.from({ length: n }, (_, i) => `node-${String(i).padStart(3, '0')}`);
  const cleanup = undoList();
  try {
    let t0 = now();
    await makeCerts(pki, [...names, 'scale-target']);
    log(`  ${n + 1} certificates in ${round((now() - t0) / 1000, 1)} s`);
    const specs = dirSourceSpecs(root, names, (data, name) => {
      for (let k = 0; k < 5; k++) writeFileSync(join(data, `f${k}`), `${name} ${k}\n`.repeat(200));
    });
    mkdirSync(join(root, 'target'), { recursive: true });
    specs.unshift({ name: 'scale-target', extra: { target: { kind: 'dir', path: join(root, 'target') } } });
    t0 = now();
    const agents = await startAgents(root, pki, specs, cleanup, 4);
    const startS = round((now() - t0) / 1000, 1);
    log(`  ${agents.length} agents started in ${startS} s`);
    await sleep(2000); // let start-up garbage settle before calling them idle
    const idle = agents.filter((a) => a.name !== 'scale-target').map(agentMem).filter(Boolean);
    const { file } = writeInventory(root, pki, agents, { concurrency: cfg.scaleConcurrency, lease: '120s' });
    const out = await directorRuns('scale-director.mjs', file, cfg.reps.scale);
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
      controlCpu: phaseCpuStats(out.runs.map((x) => x.controlCpu)),
      backupWallMs: stats(out.runs.map((x) => x.wallMs)),
      agentIdleRss: { ...idleRss, runs: undefined },
      agentIdleAnonMb: stats(idle.map((m) => m.anonMb)).median,
      agentIdleFileMb: stats(idle.map((m) => m.fileMb)).median,
      agentPeakRssMbAfterBackup: stats(after.map((m) => m.hwmMb)).max,
      agentsStartS: startS,
      transferConcurrency: cfg.scaleConcurrency,
      goal: { freezePhaseMs: '< 1000 in every rep', directorRssMb: '< 200', agentIdleRssMb: '< 60', packagedAgentIdleRssMb: '< 60' },
      met: { freezePhaseMs: ctlStats.max < 1000, directorRssMb: dirRss < 200, agentIdleRssMb: idleRss.median < 60 },
      note: 'freezePhaseMs = preflight + freeze + snapshot + thaw phase durations of a whole backup (dir sources hold the freeze through the transfer; the transfer phase is excluded)',
    };
    log(`  scale: control phases ${ctlStats.median} ms (cores ${Math.round(results.scale.controlCpu.share * 100)}% busy), director peak ${dirRss} MB, idle agent ${idleRss.median} MB`);
  } finally {
    await cleanup.run();
  }
  await runPackagedIdle(cfg, work, results);
  await runScaleSimulated(cfg, work, results);
}

/**
 * The idle RSS of agents as the .deb installs them: `pnpm package`'s single executable (the
 * minified bundle inside a copy of node), started like the checkout's agents above. Its pages are
 * dropped from the page cache first, so they come back by reads from disk, as an installed
 * binary's do: pages of a file written in one piece, as the build writes it, are mapped in larger
 * blocks and count ~16 MB more of RSS (PROFILE.md, thirty-first pass).
 */
async function runPackagedIdle(cfg, work, results) {
  const root = join(work, 'scale-packaged');
  const pki = join(root, 'pki');
  const n = Math.min(cfg.scaleAgents, 20);
  const names = Array.from({ length: n }, (_, i) => `pkg-${String(i).padStart(2, '0')}`);
  const cleanup = undoList();
  try {
    const t0 = now();
    await exec(process.execPath, [join(here, '..', '..', 'scripts', 'package.mjs'), '--out', join(root, 'pkg'), '--executables-only', '--role', 'agent'], { timeoutMs: 300_000 });
    const bin = join(root, 'pkg', 'bin', 'freezeframe-agent');
    await exec('sync', [bin]);
    await exec('dd', [`if=${bin}`, 'iflag=nocache', 'count=0', 'status=none']);
    log(`  packaged agent built in ${round((now() - t0) / 1000, 1)} s`);
    await makeCerts(pki, names);
    const specs = dirSourceSpecs(root, names, (data, name) => writeFileSync(join(data, 'f'), `${name}\n`));
    const agents = await startAgents(root, pki, specs, cleanup, 4, { bin, args: [] });
    await sleep(2000); // as for the checkout's agents
    const idle = agents.map(agentMem).filter(Boolean);
    const rss = stats(idle.map((m) => m.rssMb));
    results.scale.packagedAgentIdleRssMb = rss.median;
    results.scale.packagedAgentIdle = {
      agents: n,
      rss: { ...rss, runs: undefined },
      anonMb: stats(idle.map((m) => m.anonMb)).median,
      fileMb: stats(idle.map((m) => m.fileMb)).median,
      note: 'pnpm package --executables-only --role agent; its pages dropped from the page cache before the agents start',
    };
    results.scale.met.packagedAgentIdleRssMb = rss.median < 60;
    log(`  packaged agent idle ${rss.median} MB (${results.scale.packagedAgentIdle.anonMb} MB its own)`);
  } finally {
    await cleanup.run();
  }
}

/**
 * The director's real code (runBackupUntilThaw in its own process, lib/sim-director.mjs) against
 * `cfg.simNodes` simulated nodes: the same calls, TLS and fan-out as a real backup up to thaw,
 * with nodes that do no work. The nodes share the machine's cores with the director, so the
 * time is an upper bound of the director's own; its CPU time is reported beside it.
 */
async function runScaleSimulated(cfg, work, results) {
  const root = join(work, 'scale-sim');
  const pki = join(root, 'pki');
  mkdirSync(root, { recursive: true });
  await certsInit(pki);
  const t0 = now();
  const sim = await startSimNodes({ pkiDir: pki, count: cfg.simNodes, processes: cfg.simProcesses });
  const cleanup = undoList();
  cleanup.push(() => sim.stop());
  try {
    const startS = round((now() - t0) / 1000, 1);
    log(`  ${cfg.simNodes} simulated nodes in ${cfg.simProcesses} processes up in ${startS} s (certificates ${round(sim.certsMs)} ms)`);
    const inv = writeSimInventory(join(root, 'inventory.yaml'), { pkiDir: pki, nodes: sim.nodes, stateDir: join(root, 'state') });
    const cpu0 = sim.cpuMs();
    const out = await directorRuns('sim-director.mjs', inv, cfg.reps.scale);
    const simCpuMs = sim.cpuMs() - cpu0;
    const ctl = stats(out.runs.map((x) => ['preflight', 'freeze', 'snapshot', 'thaw'].reduce((sum, k) => sum + (x.phases[k] ?? 0), 0)));
    const rss = round(out.peakRssMb, 1);
    results.scale.simulated = {
      nodes: cfg.simNodes,
      freezePhaseMs: ctl.median,
      directorRssMb: rss,
      freezePhase: ctl,
      untilThawWallMs: stats(out.runs.map((x) => x.wallMs)),
      directorCpuMs: stats(out.runs.map((x) => x.cpuMs)),
      simulatedNodesCpuMsPerRun: round(simCpuMs / out.runs.length),
      controlCpu: phaseCpuStats(out.runs.map((x) => x.controlCpu)),
      phasesPerRun: out.runs.map((x) => x.phases),
      processes: cfg.simProcesses,
      certificatesMs: round(sim.certsMs),
      nodesStartS: startS,
      goal: { freezePhaseMs: '< 3000', directorRssMb: '< 250' },
      met: { freezePhaseMs: ctl.median < 3000, directorRssMb: rss < 250 },
      note: 'simulated nodes: node 0 the target, every other a btrfs source that is its own freeze host; each a gRPC server with mutual TLS, its own certificate from the CA and its own 127.1.x.y address, answering without doing the work; the director runs backup up to thaw (runBackupUntilThaw), each run in a director process of its own; untilThawWallMs also counts the target lock, the leftover clean-up call and the snapshot release',
    };
    log(`  simulated: ${cfg.simNodes} nodes, control phases ${ctl.median} ms (cores ${Math.round(results.scale.simulated.controlCpu.share * 100)}% busy), director CPU ${results.scale.simulated.directorCpuMs.median} ms, peak ${rss} MB`);
  } finally {
    await cleanup.run();
  }
}
