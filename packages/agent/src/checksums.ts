import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where a backup's per-file checksums live, relative to the backup's root (beside its entries). */
export const CHECKSUMS_FILE = '.freezeframe/checksums.jsonl';

/**
 * One regular file: path relative to the backup root (`<entry>/...`), size, mtime (ms), sha256,
 * and inode (absent in records of older versions).
 */
export interface FileSum {
  p: string;
  s: number;
  m: number;
  h: string;
  i?: number;
}

interface FileStat {
  p: string;
  s: number;
  m: number;
  i: number;
  /** Bytes allocated on disk. */
  b: number;
}

const HASH_CONCURRENCY = 4;

/** Runs `fn` over items with at most `n` at once, results in order. */
async function mapLimit<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Regular files under `root/entry`, as paths relative to root; symlinks and specials carry no data to check. */
async function walk(root: string, rel: string, out: FileStat[]): Promise<void> {
  const dirents = await readdir(join(root, rel), { withFileTypes: true });
  const files = dirents.filter((d) => d.isFile()).map((d) => `${rel}/${d.name}`);
  // lstat a folder's files concurrently: on 200k files the walk is otherwise one syscall round trip at a time
  const stats = await mapLimit(files, 32, (p) => lstat(join(root, p)));
  files.forEach((p, k) => {
    const st = stats[k]!;
    out.push({ p, s: st.size, m: Math.floor(st.mtimeMs), i: st.ino, b: st.blocks * 512 });
  });
  for (const d of dirents) if (d.isDirectory()) await walk(root, `${rel}/${d.name}`, out);
}

async function readSums(file: string): Promise<FileSum[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as FileSum);
}

export interface RecordOptions {
  /**
   * The checksums file of the backup before this one, when it lives in another tree (dir
   * target: hard-linked trees). Without it, the previous record is the one in `root` (ZFS: the
   * working tree keeps the last backup's).
   */
  previous?: string;
  /**
   * A file with the same inode as in the previous record is the same file (rsync --link-dest
   * hard-linked it), so its checksum is reused. Only for hard-linked trees: a tree written in
   * place (ZFS, --inplace) keeps inodes across content changes.
   */
  sameInodeIsSameContent?: boolean;
}

export interface RecordResult {
  files: number;
  hashed: number;
  reused: number;
  /** Bytes on disk of files not shared with the previous backup (new inodes; hard links within the backup counted once). */
  newBytes: number;
}

/**
 * Records the sha256 of every file of `entries` under `root` into CHECKSUMS_FILE. Only what
 * changed since the previous backup is read: a file whose path, size and mtime match the
 * previous record keeps its checksum (rsync's own quick check skips such files, so their
 * content is what was recorded), and so does one that is hard-linked to it (see RecordOptions).
 */
export async function recordChecksums(root: string, entries: readonly string[], o: RecordOptions = {}): Promise<RecordResult> {
  const file = join(root, CHECKSUMS_FILE);
  const prevSums = await readSums(o.previous ?? file);
  const prev = new Map(prevSums?.map((s) => [s.p, s]) ?? []);
  const prevInodes = new Set(o.sameInodeIsSameContent ? (prevSums ?? []).map((s) => s.i).filter((i) => i !== undefined) : []);
  const files: FileStat[] = [];
  for (const e of entries) await walk(root, e, files);
  let hashed = 0;
  let newBytes = 0;
  const counted = new Set<number>();
  const sums = await mapLimit(files, HASH_CONCURRENCY, async (f): Promise<FileSum> => {
    if (!prevInodes.has(f.i) && !counted.has(f.i)) {
      counted.add(f.i);
      newBytes += f.b;
    }
    const old = prev.get(f.p);
    if (old && ((old.s === f.s && old.m === f.m) || (o.sameInodeIsSameContent && old.i === f.i))) return { p: f.p, s: f.s, m: f.m, h: old.h, i: f.i };
    hashed++;
    return { p: f.p, s: f.s, m: f.m, h: await sha256File(join(root, f.p)), i: f.i };
  });
  await mkdir(join(root, '.freezeframe'), { recursive: true });
  const tmp = `${file}.tmp`;
  await writeFile(tmp, sums.map((s) => JSON.stringify(s)).join('\n') + (sums.length ? '\n' : ''), { mode: 0o600 });
  await rename(tmp, file);
  return { files: sums.length, hashed, reused: sums.length - hashed, newBytes };
}

export interface VerifyResult {
  hasChecksums: boolean;
  checked: number;
  bad: string[];
  missing: string[];
}

/** Re-reads every recorded file of `entries` (all when empty) under `root` and compares. */
export async function verifyChecksums(root: string, entries: readonly string[] = []): Promise<VerifyResult> {
  const sums = await readSums(join(root, CHECKSUMS_FILE));
  if (!sums) return { hasChecksums: false, checked: 0, bad: [], missing: [] };
  const wanted = (p: string) => entries.length === 0 || entries.some((e) => p.startsWith(`${e}/`));
  const bad: string[] = [];
  const missing: string[] = [];
  let checked = 0;
  await mapLimit(sums.filter((s) => wanted(s.p)), HASH_CONCURRENCY, async (s) => {
    let h: string;
    try {
      h = await sha256File(join(root, s.p));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        missing.push(s.p);
        return;
      }
      throw e;
    }
    checked++;
    if (h !== s.h) bad.push(s.p);
  });
  return { hasChecksums: true, checked, bad: bad.sort(), missing: missing.sort() };
}
