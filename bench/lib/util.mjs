// Small shared pieces of the benchmark: timing, statistics, the process runner, /proc readings.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { findBinary, run, spawnProcess } from '@freezeframe/common';

export { findBinary, run, spawnProcess };

/** Runs a program (absolute binary via common's runner: argv array, no shell). */
export function exec(bin, args, opts = {}) {
  return run({ bin: bin.startsWith('/') ? bin : findBinary(bin), args, timeoutMs: opts.timeoutMs ?? 30 * 60_000, ...opts });
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

export function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Removes a tree fast (rm -rf; many files). */
export async function rmTree(path) {
  await exec('rm', ['-rf', '--one-file-system', path]);
}

export const GiB = 1 << 30;
export const MiB = 1 << 20;
