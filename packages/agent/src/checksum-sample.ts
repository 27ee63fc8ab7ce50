import { createHash, randomInt } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FfError } from '@freezeframe/common';
import { CHANGES_FILE, CHECKSUMS_FILE, isBelow, keyOf, notItsBase, parseChanges, quoted, readText, type RecordChanges } from './checksum-record.js';

/** Bytes read at a time; a longer line grows the buffer. */
const CHUNK_BYTES = 1 << 20;
const LF = 0x0a;
const LINE_HEAD = Buffer.from('{"p":"');
const PATH_END = Buffer.from('","s":');

export interface RecordSample {
  /** Lines the merged record holds for the entries asked for. */
  recorded: number;
  /** The lines chosen, base lines first in their order, then lines of the changes. */
  lines: string[];
}

/**
 * `count(recorded)` lines chosen at random from the record under `root`, merged as
 * readRecordLines({ strict: true }) merges it, of files below `entries` (all when empty);
 * undefined when there is no record.
 *
 * A restore's check re-reads 1% of the files. Decoding and splitting a 200k-file record (32 MB)
 * to choose them cost the sending agent ~1 s of CPU and two fresh buffers of the record's size
 * (bench/PROFILE.md, twenty-fifth pass). Here the record passes once through one small buffer:
 * each line's path is decoded (to apply the changes and the entries), the bytes are hashed to
 * match the changes with their base, and only the chosen lines are read again and decoded whole.
 */
export async function sampleRecord(
  root: string,
  entries: readonly string[],
  count: (recorded: number) => number,
  o: { chunkBytes?: number } = {},
): Promise<RecordSample | undefined> {
  const baseFile = join(root, CHECKSUMS_FILE);
  const fh = await open(baseFile, 'r').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!fh) return undefined;
  try {
    const changes = await readText(join(root, CHANGES_FILE));
    const c = changes === undefined ? undefined : parseChanges(changes, join(root, CHANGES_FILE));
    const prefixes = entries.map((e) => quoted(`${e}/`));
    const wanted = (key: string) => prefixes.length === 0 || prefixes.some((x) => key.startsWith(x));
    const replaced = (key: string) => c !== undefined && (c.lines.has(key) || c.gone.has(key) || isBelow(key, c.below));
    // where each line the merged record keeps from the base begins, and its length
    const starts: number[] = [];
    const lengths: number[] = [];
    const hash = createHash('sha256');
    let size = 0;
    let lineNo = 0;
    await forEachLine(fh, o.chunkBytes ?? CHUNK_BYTES, (bytes) => {
      hash.update(bytes);
      size += bytes.length;
    }, (buf, at, end, offset) => {
      lineNo++;
      const key = keyAt(buf, at, end, () => `${baseFile}: line ${lineNo} is not a line of the checksum record`);
      if (replaced(key) || !wanted(key)) return;
      starts.push(offset);
      lengths.push(end - at);
    });
    if (c && !fitsBytes(c, hash.digest('hex'), size)) throw notItsBase(root);
    const added = c ? [...c.lines].filter(([key]) => wanted(key)).map(([, line]) => line) : [];
    const recorded = starts.length + added.length;
    const lines: string[] = [];
    for (const i of randomIndexes(recorded, count(recorded))) {
      if (i >= starts.length) {
        lines.push(added[i - starts.length]!);
        continue;
      }
      const buf = Buffer.allocUnsafe(lengths[i]!);
      const { bytesRead } = await fh.read(buf, 0, buf.length, starts[i]!);
      // shorter than the first pass found it: cut in between (a new record is renamed into place, which this open file never sees)
      if (bytesRead !== buf.length) throw new FfError('TARGET_FAILED', `${baseFile} changed while it was read`);
      lines.push(buf.toString('utf8'));
    }
    return { recorded, lines };
  } finally {
    await fh.close();
  }
}

const fitsBytes = (c: RecordChanges, sha256: string, bytes: number) => c.base === sha256 && c.bytes === bytes;

/** A line's path key (see keyOf), decoding only the path of a line recordChecksums wrote. */
function keyAt(buf: Buffer, at: number, end: number, notALine: () => string): string {
  if (end - at > LINE_HEAD.length && buf.compare(LINE_HEAD, 0, LINE_HEAD.length, at, at + LINE_HEAD.length) === 0) {
    const pathEnd = buf.indexOf(PATH_END, at + LINE_HEAD.length);
    if (pathEnd >= 0 && pathEnd < end) return buf.toString('utf8', at + LINE_HEAD.length, pathEnd);
  }
  try {
    return keyOf(buf.toString('utf8', at, end));
  } catch {
    throw new FfError('TARGET_FAILED', notALine());
  }
}

/**
 * Reads `fh` from its start through one buffer: `onBytes` gets every byte once, `onLine` each
 * non-empty line as `buf[at, end)` (valid only during the call) and the file offset of `at`.
 */
async function forEachLine(
  fh: FileHandle,
  chunkBytes: number,
  onBytes: (bytes: Buffer) => void,
  onLine: (buf: Buffer, at: number, end: number, offset: number) => void,
): Promise<void> {
  let buf = Buffer.allocUnsafe(chunkBytes);
  let have = 0; // bytes held in buf
  let offset = 0; // the file offset of buf[0]
  for (;;) {
    if (have === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, have);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, have, buf.length - have, offset + have);
    if (bytesRead === 0) break;
    onBytes(buf.subarray(have, have + bytesRead));
    have += bytesRead;
    const held = buf.subarray(0, have);
    let at = 0;
    for (let lf = held.indexOf(LF, at); lf >= 0; lf = held.indexOf(LF, at)) {
      if (lf > at) onLine(held, at, lf, offset + at);
      at = lf + 1;
    }
    buf.copy(buf, 0, at, have);
    offset += at;
    have -= at;
  }
  if (have > 0) onLine(buf, 0, have, offset);
}

/** `n` distinct indexes below `total` chosen at random (all when n >= total), in ascending order. */
export function randomIndexes(total: number, n: number): number[] {
  const idx = Array.from({ length: total }, (_, i) => i);
  if (n >= total) return idx;
  // a partial Fisher-Yates shuffle: each index equally likely, no repeats
  for (let i = 0; i < n; i++) {
    const j = i + randomInt(total - i);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, n).sort((a, b) => a - b);
}
