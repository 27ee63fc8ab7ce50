// Benchmark data: large incompressible files and many small files in nested folders.
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const POOL = randomFillSync(Buffer.alloc(32 << 20));

/** `count` files of `bytes` each; incompressible (random), distinct per 1 MiB chunk. */
export function makeLargeFiles(dir, count, bytes) {
  mkdirSync(dir, { recursive: true });
  const chunk = 1 << 20;
  for (let f = 0; f < count; f++) {
    const fd = openSync(join(dir, `large-${f}.bin`), 'w');
    for (let off = 0, i = 0; off < bytes; off += chunk, i++) {
      const start = ((f * 7919 + i * 104729) * 4096) % (POOL.length - chunk);
      const buf = POOL.subarray(start, start + Math.min(chunk, bytes - off));
      writeSync(fd, buf);
    }
    closeSync(fd);
  }
  return { files: count, bytes: count * bytes };
}

/** Deterministic small-file layout: files 1-16 KiB, 100 per leaf folder, two levels of folders. */
export function smallFilePath(i) {
  const leaf = Math.floor(i / 100);
  return join(`d${String(Math.floor(leaf / 40)).padStart(3, '0')}`, `e${String(leaf % 40).padStart(2, '0')}`, `f${i}.dat`);
}

const sizeOf = (i, salt = 0) => 1024 + (((i * 2654435761 + salt * 40503) >>> 0) % (15 * 1024 + 1));
const contentOf = (i, size, salt) => {
  const start = ((i * 40503 + salt * 7919) * 64) % (POOL.length - size);
  return POOL.subarray(start, start + size);
};

export function makeSmallFiles(dir, count) {
  let bytes = 0;
  let lastDir = '';
  for (let i = 0; i < count; i++) {
    const rel = smallFilePath(i);
    const d = join(dir, rel, '..');
    if (d !== lastDir) {
      mkdirSync(d, { recursive: true });
      lastDir = d;
    }
    const size = sizeOf(i);
    writeFileSync(join(dir, rel), contentOf(i, size, 0));
    bytes += size;
  }
  return { files: count, bytes };
}

/** Rewrites `pct`% of the small files (a different 1% each round) with new content, same size. */
export function mutateSmallFiles(dir, count, round, pct = 1) {
  const step = Math.round(100 / pct);
  let changed = 0;
  let bytes = 0;
  for (let i = (round * 37) % step; i < count; i += step) {
    const size = sizeOf(i);
    writeFileSync(join(dir, smallFilePath(i)), contentOf(i, size, round + 1));
    changed++;
    bytes += size;
  }
  return { changed, bytes };
}

export function countFiles(dir) {
  let n = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else n++;
    }
  };
  walk(dir);
  return n;
}
