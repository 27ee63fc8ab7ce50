import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Stand-ins for the LVM, GlusterFS and mount programs (standins/standin.mjs): a folder of
// wrappers an agent is pointed at with its test-only config key `testStandIns`, and the JSON
// state they share (LVs, volume groups, GlusterFS volumes and snapshots, mounts, a call log).

const STANDIN = resolve(dirname(fileURLToPath(import.meta.url)), 'standins/standin.mjs');
export const STANDIN_PROGRAMS = ['lvs', 'lvcreate', 'lvchange', 'lvremove', 'gluster', 'mount', 'umount', 'mountpoint'] as const;

export interface StandInLv {
  dir: string;
  sizeBytes: number;
  origin?: string;
  thin?: boolean;
  pool?: string;
  isPool?: boolean;
  dataPercent?: number;
  active?: boolean;
  tags?: string[];
  fsType?: string;
  reserved?: number;
}

export interface StandInState {
  root: string;
  vgs: Record<string, { freeBytes: number }>;
  /** `vg/lv` -> the folder standing for it. */
  lvs: Record<string, StandInLv>;
  gluster: { volumes: Record<string, { dir: string; status: string }>; snaps: Record<string, { volume: string; dir: string; status: string }> };
  mounts: Record<string, { source: string; fsType: string | null; options: string[] }>;
  /** Next call of the program fails with this stderr. */
  fail: Record<string, string>;
  log: string[][];
}

export interface StandIns {
  /** The folder of wrappers (the agent's `testStandIns`). */
  dir: string;
  state(): StandInState;
  update(fn: (s: StandInState) => void): void;
  /** Calls of `prog` so far, argv without the program. */
  calls(prog: string): string[][];
}

/** Writes the wrappers into `<root>/bin` and the initial state into `<root>/state.json`. */
export function makeStandIns(root: string, init: Partial<Omit<StandInState, 'root' | 'log'>>): StandIns {
  const dir = join(root, 'bin');
  const file = join(root, 'state.json');
  mkdirSync(dir, { recursive: true });
  // the agent runs programs with PATH=/usr/sbin:...: the wrapper names node by its absolute path
  for (const p of STANDIN_PROGRAMS) {
    writeFileSync(join(dir, p), `#!/bin/sh\nexec '${process.execPath}' '${STANDIN}' ${p} '${file}' "$@"\n`);
    chmodSync(join(dir, p), 0o755);
  }
  chmodSync(root, 0o755);
  const state: StandInState = { root, vgs: {}, lvs: {}, gluster: { volumes: {}, snaps: {} }, mounts: {}, fail: {}, log: [], ...init };
  writeFileSync(file, JSON.stringify(state, null, 2));
  const read = () => JSON.parse(readFileSync(file, 'utf8')) as StandInState;
  return {
    dir,
    state: read,
    update(fn) {
      // under the stand-ins' lock (standin.mjs), so a call running now neither loses this nor is lost
      for (const until = Date.now() + 10_000; ; ) {
        try {
          mkdirSync(`${file}.lock`);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > until) throw e;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        }
      }
      try {
        const s = read();
        fn(s);
        writeFileSync(`${file}.tmp`, JSON.stringify(s, null, 2));
        renameSync(`${file}.tmp`, file);
      } finally {
        rmSync(`${file}.lock`, { recursive: true, force: true });
      }
    },
    calls: (prog) => read().log.filter((l) => l[0] === prog).map((l) => l.slice(1)),
  };
}
