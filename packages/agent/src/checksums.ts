import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where a backup's per-file checksums live, relative to the backup's root (beside its entries). */
export const CHECKSUMS_FILE = '.freezeframe/checksums.jsonl';

/** One regular file: path relative to the backup root (`<entry>/...`), size, mtime (ms), sha256. */
export interface FileSum {
  p: string;
  s: number;
  m: number;
  h: string;
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
async function walk(root: string, rel: string, out: Array<{ p: string; s: number; m: number }>): Promise<void> {
  for (const d of await readdir(join(root, rel), { withFileTypes: true })) {
    const p = `${rel}/${d.name}`;
    if (d.isDirectory()) await walk(root, p, out);
    else if (d.isFile()) {
      const st = await lstat(join(root, p));
      out.push({ p, s: st.size, m: Math.floor(st.mtimeMs) });
    }
  }
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

/**
 * Records the sha256 of every file of `entries` under `root` into CHECKSUMS_FILE. A file whose
 * path, size and mtime match the previous record there (the ZFS working tree keeps the last
 * backup's) keeps its checksum: rsync itself skips such files, so only what changed is read.
 */
export async function recordChecksums(root: string, entries: readonly string[]): Promise<{ files: number; hashed: number; reused: number }> {
  const file = join(root, CHECKSUMS_FILE);
  const prev = new Map((await readSums(file))?.map((s) => [s.p, s]) ?? []);
  const files: Array<{ p: string; s: number; m: number }> = [];
  for (const e of entries) await walk(root, e, files);
  let hashed = 0;
  const sums = await mapLimit(files, HASH_CONCURRENCY, async (f): Promise<FileSum> => {
    const old = prev.get(f.p);
    if (old && old.s === f.s && old.m === f.m) return old;
    hashed++;
    return { ...f, h: await sha256File(join(root, f.p)) };
  });
  await mkdir(join(root, '.freezeframe'), { recursive: true });
  const tmp = `${file}.tmp`;
  await writeFile(tmp, sums.map((s) => JSON.stringify(s)).join('\n') + (sums.length ? '\n' : ''), { mode: 0o600 });
  await rename(tmp, file);
  return { files: sums.length, hashed, reused: sums.length - hashed };
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
