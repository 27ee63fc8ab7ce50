// Small shared pieces of the benchmark: timing, statistics, the process runner, /proc readings.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { findBinary, run, spawnProcess } from '@freezeframe/common';

export { findBinary, run, spawnProcess };

/** Aborted by undoAll: every exec started before then. */
let running = stopSignal();

/** One listener per exec still running, and twenty run at once in the freeze section: no leak warning for that. */
function stopSignal() {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}

/** Runs a program (absolute binary via common's runner: argv array, no shell); a bench stopped by undoAll kills its process group. */
export function exec(bin, args, opts = {}) {
  return run({ bin: bin.startsWith('/') ? bin : findBinary(bin), args, timeoutMs: opts.timeoutMs ?? 30 * 60_000, ...opts, signal: opts.signal ?? running.signal });
}

export const now = () => performance.now();

export async function timed(fn) {
  const t0 = now();
  const value = await fn();
  return { ms: now() - t0, value };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** median, min, max and spread ((max-min)/median, in %) of a list of numbers. */
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { n: 0, median: NaN, min: NaN, max: NaN, spreadPct: NaN, runs: [] };
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return {
    n,
    median: round(median),
    min: round(s[0]),
    max: round(s[n - 1]),
    spreadPct: median > 0 ? round(((s[n - 1] - s[0]) / median) * 100, 1) : 0,
    runs: xs.map((x) => round(x)),
  };
}

export const round = (x, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** VmRSS and VmHWM of a process in MiB (undefined when it is gone). */
export function procMemMb(pid) {
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(st)?.[1] ?? NaN);
    // RssFile is mostly the node binary's code, shared by every agent on a machine; RssAnon is each agent's own
    return { rssMb: round(kb('VmRSS') / 1024, 1), hwmMb: round(kb('VmHWM') / 1024, 1), anonMb: round(kb('RssAnon') / 1024, 1), fileMb: round(kb('RssFile') / 1024, 1) };
  } catch {
    return undefined;
  }
}

/**
 * The CPU probe's fixed work: 64 MiB of memory filled (its time per 4 KiB page apart, `pageUs`),
 * their sha256, then an integer loop. Written out into a fresh node process as it is, so it names
 * nothing outside itself.
 */
function probeWork() {
  const t = performance.now();
  const memory = Buffer.alloc(64 << 20, 7);
  const pageUs = ((performance.now() - t) * 1000) / ((64 << 20) / 4096);
  require('node:crypto').createHash('sha256').update(memory).digest();
  let x = 0;
  for (let i = 0; i < 5e7; i++) x = (x + i * 7) % 1000003;
  return { ms: performance.now() - t + x * 0, pageUs };
}

const probeInChild = async () => JSON.parse((await exec(process.execPath, ['-e', `process.stdout.write(JSON.stringify((${probeWork})()))`])).stdout);
// probeWork's require, when it runs in this process
const require = createRequire(import.meta.url);

/**
 * The probe's work timed in a fresh node process and in this one, while nothing else of the bench
 * runs: this machine's speed moves from hour to hour, and a row that is slow with a slow probe
 * says something else than one that is slow alone. `pageUs` is what a page the fresh process
 * touches for the first time costs: most of the probe's swing between this VM's hosts is that
 * (~18 µs a fault on the AMD EPYC host, a few µs at most on the Intel Xeon one; PROFILE.md,
 * twenty-third pass), and freezeframe's node agents and the processes they start touch more fresh
 * pages than a raw rsync.
 */
export async function cpuProbeMs() {
  const child = await probeInChild();
  return { child: round(child.ms, 0), own: round(probeWork().ms, 0), pageUs: round(child.pageUs, 2) };
}

/** µs per 4 KiB page a fresh node process touches for the first time (the probe's 64 MiB, see cpuProbeMs). */
export const freshPageUs = async () => round((await probeInChild()).pageUs, 2);

/** Page faults on the whole machine since boot (every process, minor and major): /proc/vmstat's pgfault. */
export const machineFaults = () => Number(/^pgfault (\d+)$/m.exec(readFileSync('/proc/vmstat', 'utf8'))?.[1] ?? NaN);

const CPUACCT = '/sys/fs/cgroup/cpuacct/cpuacct.usage';
const hasCpuacct = existsSync(CPUACCT);

/**
 * CPU ms the whole machine spent busy since boot (all cores), to compare a step with its wall time:
 * the root cpuacct cgroup's usage (every task, kernel threads included, in ns) where cgroup v1
 * has it, else /proc/stat's ticks (10 ms each: too coarse for a freeze window of ~100 ms).
 */
export function machineBusyMs() {
  if (hasCpuacct) return Number(readFileSync(CPUACCT, 'utf8')) / 1e6;
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system (idle iowait) irq softirq; not steal, the hypervisor's time; USER_HZ is 100 here
  return (f[0] + f[1] + f[2] + f[5] + f[6]) * 10;
}

/** The machine's CPU over what its cores could give in `wallMs` (1: every core busy throughout). */
export const cpuShare = (machineMs, wallMs) => round(machineMs / (availableParallelism() * wallMs), 2);

/**
 * The CPU used while some phases of a backup ran: give `onEvent` to the engine (BackupOptions),
 * then `take()` after each backup. Per run: the phases' wall time, the whole machine's CPU in
 * them and this process's (the director's); `share` is the machine's CPU over what its cores
 * could give in that time (1: every core busy throughout, the phases bound by CPU here).
 * Each reading is one small file and process.cpuUsage(), taken inside the engine's phase events.
 */
export function phaseCpu(phases) {
  const open = new Map();
  let run = { wallMs: 0, machineMs: 0, directorMs: 0 };
  const director = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  return {
    onEvent(e) {
      if (!phases.includes(e.phase)) return;
      if (e.type === 'phase-start') open.set(e.phase, { t: performance.now(), machine: machineBusyMs(), director: director() });
      if (e.type === 'phase-end' && open.has(e.phase)) {
        const s = open.get(e.phase);
        open.delete(e.phase);
        run.wallMs += performance.now() - s.t;
        run.machineMs += machineBusyMs() - s.machine;
        run.directorMs += director() - s.director;
      }
    },
    take() {
      const r = { wallMs: round(run.wallMs, 1), machineMs: round(run.machineMs, 1), directorMs: round(run.directorMs, 1), share: cpuShare(run.machineMs, run.wallMs) };
      run = { wallMs: 0, machineMs: 0, directorMs: 0 };
      return r;
    },
  };
}

/** Medians of phaseCpu's runs, and the runs themselves. */
export function phaseCpuStats(runs) {
  const med = (k) => stats(runs.map((x) => x[k])).median;
  return { wallMs: med('wallMs'), machineMs: med('machineMs'), directorMs: med('directorMs'), share: med('share'), runs };
}

/** CPU ms of a process itself and of its children it has reaped (rsync, stunnel, btrfs), from /proc. */
export function procCpuMs(pid) {
  const { fields: f } = procStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return { own: (Number(f[11]) + Number(f[12])) * 10, children: (Number(f[13]) + Number(f[14])) * 10 };
}

/**
 * A /proc/<pid>/stat line: the name (in parentheses, which may itself hold ") ") and the fields
 * after it, from state (field 3 of proc(5)) on.
 */
function procStat(line) {
  const end = line.lastIndexOf(') ');
  return { name: line.slice(line.indexOf('(') + 1, end), fields: line.slice(end + 2).split(' ') };
}

/** Paired runs: for i in reps, A then B on even i, B then A on odd i, so drift hits both. */
export async function paired(reps, a, b, between = async () => {}) {
  const ra = [];
  const rb = [];
  for (let i = 0; i < reps; i++) {
    const order = i % 2 === 0 ? [['a', a], ['b', b]] : [['b', b], ['a', a]];
    for (const [which, fn] of order) {
      const v = await fn(i);
      (which === 'a' ? ra : rb).push(v);
      await between(which, i);
    }
  }
  return { a: ra, b: rb };
}

/** Undo lists not yet run: what `undoAll` runs when the bench is stopped. */
const pendingUndo = new Set();

/**
 * A section's undo steps (unmount, stop agents, thaw writers): `push` them as things are made,
 * `run` them last-first at the end. Until then `undoAll` reaches them too, so a bench stopped by
 * SIGINT or SIGTERM leaves nothing mounted, frozen or running. `run` runs the steps once: a second
 * call (the section's own `finally` beside `undoAll`) waits for the first; a `push` after it throws,
 * so nothing is made that no list would undo.
 */
export function undoList() {
  const steps = [];
  let ran;
  const list = {
    push: (fn) => {
      if (ran) throw new Error('not started: the bench is stopping');
      steps.push(fn);
    },
    run: () =>
      (ran ??= (async () => {
        pendingUndo.delete(list);
        for (const step of steps.splice(0).reverse()) {
          try {
            await step();
          } catch (e) {
            log(`cleanup: ${e.message}`);
          }
        }
      })()),
  };
  pendingUndo.add(list);
  return list;
}

/** Stops the bench's work: kills every exec still running, then runs every undo list not yet run, the newest first. */
export async function undoAll() {
  running.abort();
  running = stopSignal();
  for (const list of [...pendingUndo].reverse()) await list.run();
}

export function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Removes a tree fast (rm -rf; many files). */
export async function rmTree(path) {
  await exec('rm', ['-rf', '--one-file-system', path]);
}

export const GiB = 1 << 30;
export const MiB = 1 << 20;

/** CPU ms of every process now (threads summed, kernel threads too): pid -> {name, ms}. */
function procTable() {
  const t = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const { name, fields: f } = procStat(readFileSync(`/proc/${d}/stat`, 'utf8'));
      t.set(d, { name, ms: (Number(f[11]) + Number(f[12])) * 10 });
    } catch {
      // gone
    }
  }
  return t;
}

let gcMs = 0;
if (process.env.FF_BENCH_DIAG) new PerformanceObserver((l) => l.getEntries().forEach((e) => (gcMs += e.duration))).observe({ entryTypes: ['gc'] });

/**
 * FF_BENCH_DIAG=1: call before a measured step; the function it returns logs, after it, the
 * processes that used most CPU meanwhile (kernel threads included; a process that ended is
 * counted in its parent once reaped) and the bench process's heap and time in GC. Without
 * FF_BENCH_DIAG it does nothing.
 */
export function diagStart() {
  if (!process.env.FF_BENCH_DIAG) return () => {};
  const before = procTable();
  const gc0 = gcMs;
  return (label) => {
    const used = [...procTable()].map(([pid, a]) => [`${a.name}:${pid}`, a.ms - (before.get(pid)?.ms ?? 0)]).filter(([, ms]) => ms > 0);
    const top = used.sort((x, y) => y[1] - x[1]).slice(0, 8).map(([k, ms]) => `${k}=${ms}`);
    log(`    diag ${label}: bench heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB, its GC ${Math.round(gcMs - gc0)} ms; CPU ms ${top.join(' ')}`);
  };
}
