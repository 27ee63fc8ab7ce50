import { createHash } from 'node:crypto';
import { chmodSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// The demo's sample data and the check that a restore gave it back exactly: contents byte for
// byte, modes, symlink targets and which paths share an inode (hard links).

/** Deterministic pseudo-random bytes (xorshift), so runs are comparable. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function bytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

const FILE_MODES = [0o644, 0o600, 0o640, 0o755, 0o444];

/**
 * Fills `root` (which must exist) with `files` small files in nested folders, plus a larger
 * file, a relative symlink to a file, a symlink to a folder, a hard link and varied modes.
 */
export function makeSampleTree(root: string, seed: number, files: number): void {
  const rand = rng(seed);
  for (let i = 0; i < files; i++) {
    const dir = join(root, `d${i % 10}`, `s${Math.floor(i / 10) % 10}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `f${i}.dat`);
    writeFileSync(file, bytes(rand, 64 + Math.floor(rand() * 1500)));
    chmodSync(file, FILE_MODES[i % FILE_MODES.length]!);
  }
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc', 'app.conf'), `# sample config ${seed}\nport = ${8000 + seed}\n`);
  writeFileSync(join(root, 'big.bin'), bytes(rand, 512 << 10));
  symlinkSync('etc/app.conf', join(root, 'current.conf'));
  symlinkSync('d1/s2', join(root, 'shortcut'));
  linkSync(join(root, 'etc', 'app.conf'), join(root, 'app.conf.hardlink'));
  mkdirSync(join(root, 'private'), { mode: 0o700 });
  chmodSync(join(root, 'private'), 0o750);
  writeFileSync(join(root, 'private', 'secret'), 'not for everyone\n', { mode: 0o600 });
  chmodSync(join(root, 'private', 'secret'), 0o600);
  mkdirSync(join(root, 'empty'));
}

/** Changes a tree the way a day of work would: modify, add, delete, chmod. Returns what changed. */
export function mutateTree(root: string, seed: number): { modified: number; added: number; deleted: number } {
  const rand = rng(seed + 1000);
  let modified = 0;
  let added = 0;
  let deleted = 0;
  // a small change inside the large file: the delta transfer should send about this much
  const big = readFileSync(join(root, 'big.bin'));
  bytes(rand, 4096).copy(big, 100_000);
  writeFileSync(join(root, 'big.bin'), big);
  modified++;
  for (let i = 0; i < 20; i++) {
    const file = join(root, `d${i % 10}`, `s${Math.floor(i / 10) % 10}`, `f${i}.dat`);
    // read-only files too: without root, make it writable for a moment
    const mode = lstatSync(file).mode & 0o7777;
    chmodSync(file, 0o644);
    writeFileSync(file, bytes(rand, 200));
    chmodSync(file, mode);
    modified++;
  }
  for (let i = 0; i < 30; i++) {
    mkdirSync(join(root, 'new'), { recursive: true });
    writeFileSync(join(root, 'new', `n${i}.txt`), `added ${i}\n`);
    added++;
  }
  for (let i = 20; i < 45; i++) {
    rmSync(join(root, `d${i % 10}`, `s${Math.floor(i / 10) % 10}`, `f${i}.dat`));
    deleted++;
  }
  chmodSync(join(root, 'etc', 'app.conf'), 0o600);
  return { modified, added, deleted };
}

/** Everything about one path that a restore must reproduce. */
export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  size: number;
  /** File contents (the demo's trees are small enough to hold), compared byte for byte. */
  content?: Buffer;
  target?: string;
  /** Paths sharing this file's inode, sorted; only for files with more than one link. */
  links?: string[];
}

export type TreeState = Map<string, TreeEntry>;

export function captureTree(root: string): TreeState {
  const state: TreeState = new Map();
  const byInode = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const rel = relative(root, abs);
      const st = lstatSync(abs);
      const mode = st.mode & 0o7777;
      if (st.isSymbolicLink()) state.set(rel, { type: 'symlink', mode: 0, size: 0, target: readlinkSync(abs) });
      else if (st.isDirectory()) {
        state.set(rel, { type: 'dir', mode, size: 0 });
        walk(abs);
      } else if (st.isFile()) {
        state.set(rel, { type: 'file', mode, size: st.size, content: readFileSync(abs) });
        if (st.nlink > 1) {
          const k = `${st.dev}:${st.ino}`;
          byInode.set(k, [...(byInode.get(k) ?? []), rel]);
        }
      } else state.set(rel, { type: 'other', mode, size: 0 });
    }
  };
  walk(root);
  for (const paths of byInode.values()) {
    const sorted = [...paths].sort();
    for (const p of sorted) state.get(p)!.links = sorted;
  }
  return state;
}

export interface TreeDiff {
  ok: boolean;
  checked: number;
  bytes: number;
  /** At most a few dozen human-readable differences. */
  differences: string[];
}

export function compareTrees(expected: TreeState, actual: TreeState): TreeDiff {
  const diffs: string[] = [];
  let bytesChecked = 0;
  const add = (s: string) => {
    if (diffs.length < 50) diffs.push(s);
  };
  for (const [path, e] of expected) {
    const a = actual.get(path);
    if (!a) {
      add(`${path}: missing`);
      continue;
    }
    if (a.type !== e.type) add(`${path}: is a ${a.type}, expected a ${e.type}`);
    else if (e.type === 'symlink' && a.target !== e.target) add(`${path}: links to ${a.target}, expected ${e.target}`);
    else if (e.type !== 'symlink' && a.mode !== e.mode) add(`${path}: mode ${a.mode.toString(8)}, expected ${e.mode.toString(8)}`);
    if (e.type === 'file' && a.type === 'file') {
      if (!a.content || !e.content || !a.content.equals(e.content)) add(`${path}: content differs (${a.size} bytes, expected ${e.size})`);
      bytesChecked += e.size;
      const el = (e.links ?? []).join(',');
      const al = (a.links ?? []).join(',');
      if (el !== al) add(`${path}: hard links [${al}], expected [${el}]`);
    }
  }
  for (const path of actual.keys()) if (!expected.has(path)) add(`${path}: not in the backup but present after restore`);
  return { ok: diffs.length === 0, checked: expected.size, bytes: bytesChecked, differences: diffs };
}

/** A short fingerprint of a tree, for printing. */
export function treeDigest(state: TreeState): string {
  const h = createHash('sha256');
  for (const [p, e] of [...state].sort(([a], [b]) => (a < b ? -1 : 1))) {
    h.update(`${p}\0${e.type}\0${e.mode}\0${e.target ?? ''}\0`);
    if (e.content) h.update(e.content);
  }
  return h.digest('hex').slice(0, 16);
}

/** Removes everything inside `root`, keeping the folder itself (the agent's configured volume). */
export function wipeTree(root: string): void {
  for (const name of readdirSync(root)) rmSync(join(root, name), { recursive: true, force: true });
}
