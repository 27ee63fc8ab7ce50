#!/usr/bin/env node
// freezeframe's benchmark suite (docs/benchmarks.md). Every measurement compares freezeframe with the raw
// tool on the same data in the same run, paired A B A B, and reports median and spread.
//   node bench/run.mjs                  full run -> bench/results/latest.{json,md}
//   node bench/run.mjs --quick          smoke run (small data, 1-2 runs) -> bench/results/quick/
//   options: --out DIR, --only freeze,transfer,scale,deep (sections), --reps N (or per measurement:
//   --reps transfer=1,incremental=4; the others keep their defaults), --work DIR (scratch parent)
//   `deep` (backup --deep vs an incremental backup) is measured only when --only names it
// Needs root (loop mounts, btrfs, zfs-fuse, the cgroup v1 freezer) and the built packages (pnpm build).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from '@freezeframe/common';
import { exec, freshPageUs, log, now, round, undoAll } from './lib/util.mjs';
import { renderMarkdown } from './lib/report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SECTIONS = ['freeze', 'transfer', 'scale', 'deep'];
/** Sections a run without --only measures. */
const DEFAULT_SECTIONS = ['freeze', 'transfer', 'scale'];

function parseArgs(argv) {
  const o = { quick: false, out: undefined, only: DEFAULT_SECTIONS, reps: undefined, work: tmpdir() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--out') o.out = resolve(val());
    else if (a === '--only') o.only = val().split(',');
    else if (a === '--reps') {
      // N for every measurement, or per measurement: `--reps transfer=1,incremental=4`
      const v = val();
      o.reps = /^\d+$/.test(v) ? Number(v) : Object.fromEntries(v.split(',').map((kv) => kv.split('=')).map(([k, n]) => [k, Number(n)]));
    }
    else if (a === '--work') o.work = resolve(val());
    else if (a === '--help' || a === '-h') {
      const header = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1);
      process.stdout.write(header.slice(0, header.findIndex((l) => !l.startsWith('//'))).join('\n').replaceAll('// ', '') + '\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  for (const s of o.only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section ${s} (${SECTIONS.join(', ')})`);
  o.out ??= join(here, 'results', o.quick ? 'quick' : '');
  return o;
}

function config(o) {
  const MiB = 1 << 20;
  const c = o.quick
    ? {
        largeFiles: 1, largeFileBytes: 64 * MiB, smallFiles: 2000,
        storeLargeBytes: 16 * MiB, storeSmallFiles: 500,
        dataFsGiB: 2, btrfsFsGiB: 2, zfsPoolGiB: 1, storage: true,
        freezeSources: [1, 3], scaleAgents: 10, scaleConcurrency: 4, simNodes: 100, simProcesses: 2,
        reps: { transfer: 1, storage: 1, incremental: 1, restore: 1, freeze: 1, scale: 1 },
      }
    : {
        largeFiles: 4, largeFileBytes: 512 * MiB, smallFiles: 200_000,
        storeLargeBytes: 512 * MiB, storeSmallFiles: 20_000,
        dataFsGiB: 40, btrfsFsGiB: 20, zfsPoolGiB: 4, storage: true,
        freezeSources: [1, 5, 20], scaleAgents: 100, scaleConcurrency: 8, simNodes: 1000, simProcesses: 4,
        reps: { transfer: 5, storage: 3, incremental: 5, restore: 5, freeze: 5, scale: 3 },
      };
  if (typeof o.reps === 'number') for (const k of Object.keys(c.reps)) c.reps[k] = o.reps;
  else if (o.reps) {
    for (const [k, n] of Object.entries(o.reps)) {
      if (!(k in c.reps) || !Number.isInteger(n) || n < 1) throw new Error(`--reps: ${k}=${n}: expected one of ${Object.keys(c.reps).join(', ')} = a count of 1 or more`);
      c.reps[k] = n;
    }
  }
  return c;
}

async function version(bin, args, re) {
  try {
    const r = await exec(bin, args, { timeoutMs: 10_000, okExitCodes: [0, 1] });
    const m = re.exec(r.stdout + r.stderr);
    return m ? m[1] : (r.stdout + r.stderr).trim().split('\n')[0];
  } catch (e) {
    return `unknown (${e.message.split('\n')[0]})`;
  }
}

async function machine() {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  return {
    cpu,
    cores: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    kernel: release(),
    loadavgAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    // this VM moves between hosts, and a fresh page costs some of them ~18 µs (PROFILE.md, twenty-third pass)
    freshPageUs: await freshPageUs(),
  };
}

async function versions() {
  return {
    freezeframe: VERSION,
    commit: await version('git', ['-C', here, 'rev-parse', '--short', 'HEAD'], /^(\w+)/),
    node: process.version,
    rsync: await version('rsync', ['--version'], /rsync\s+version\s+(\S+)/),
    zfsFuse: await version('dpkg-query', ['-W', '-f', '${Version}', 'zfs-fuse'], /^(\S+)/),
    btrfsProgs: await version('btrfs', ['--version'], /btrfs-progs v(\S+)/),
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('the benchmark needs root (loop mounts, btrfs, zfs-fuse, cgroup freezer)');
  const cfg = config(o);
  const work = mkdtempSync(join(o.work, 'ffbench-'));
  const started = now();
  const results = {
    kind: o.quick ? 'quick' : 'full',
    startedAt: new Date().toISOString(),
    machine: await machine(),
    versions: await versions(),
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    config: cfg,
    errors: [],
  };
  log(`${results.kind} run, scratch ${work}`);
  let stoppedBy;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      stoppedBy = signal;
      log(`${signal}: stopping; undoing what the sections made, then removing ${work}`);
      await undoAll();
      await exec('rm', ['-rf', '--one-file-system', work]).catch((e) => log(`could not remove ${work}: ${e.message}`));
      process.exit(130);
    });
  }
  const sections = {
    freeze: async () => (await import('./sections/freeze.mjs')).runFreeze(cfg, work, results),
    transfer: async () => (await import('./sections/data-channel.mjs')).runDataChannel(cfg, work, results),
    scale: async () => (await import('./sections/scale.mjs')).runScale(cfg, work, results),
    deep: async () => (await import('./sections/deep.mjs')).runDeep(cfg, work, results),
  };
  for (const s of o.only) {
    if (stoppedBy) break;
    log(`== ${s}`);
    const t0 = now();
    try {
      await sections[s]();
    } catch (e) {
      log(`${s} FAILED: ${e.stack ?? e}`);
      results.errors.push({ section: s, message: String(e.message ?? e) });
    }
    log(`== ${s} done in ${round((now() - t0) / 1000, 1)} s`);
  }
  // an interrupted run writes no results: the signal's handler cleans up and exits
  if (stoppedBy) return;
  results.durationS = round((now() - started) / 1000, 1);
  // FF_BENCH_KEEP=1 keeps the scratch folder (the agents' logs) to look at a failed run
  if (!process.env.FF_BENCH_KEEP) await exec('rm', ['-rf', '--one-file-system', work]).catch((e) => log(`could not remove ${work}: ${e.message}`));
  mkdirSync(o.out, { recursive: true });
  const jsonFile = join(o.out, 'latest.json');
  writeFileSync(jsonFile, JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(o.out, 'latest.md'), renderMarkdown(results));
  log(`results: ${jsonFile} and latest.md (${results.durationS} s)`);
  if (results.errors.length > 0) process.exitCode = 1;
}

main().catch((e) => {
  log(`failed: ${e.stack ?? e}`);
  process.exit(1);
});
