import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FfError, checkBackupId, checkEntry } from '@freezeframe/common';
import { escapeName, unescapeName } from './file-names.js';
import { FILE_CHECKSUM_HEX } from './tools/rsync.js';

// The sender's record of every file it sent for a backup, with the whole-file checksum rsync
// computed while reading it (tools/rsync.ts, FILE_CHECKSUM). One line per file,
// `<hex> <escapeName(name)>\n`, name relative to the entry; appended by every pass and retry of
// the backup, so a later line for a name supersedes an earlier one. The source keeps it under its
// runDir; the director copies it page by page to the target (bounded messages, one page in memory
// at a time), which compares it with what landed before it tags (fidelity.ts).

/** Bytes per page at most: far below MAX_MESSAGE_BYTES (4 MiB). */
export const PAGE_BYTES = 1 << 20;
/**
 * Backups whose lists a source keeps (a resumed backup appends to its list). The run folder is
 * usually a tmpfs: a first backup of a million files leaves ~80 MB here until it ages out.
 */
const KEPT = 4;

const SENT = 'sent';
/** Beside a list: a pass of it is running, or was when its agent stopped. */
const RUNNING = '.running';
/** Beside a list: a pass of it failed, and may have written files it never listed. */
const SPOILED = '.spoiled';
/** Bytes of lines gathered before one write (a write per line cost the sender ~20 µs of CPU a file). */
const WRITE_BYTES = 64 << 10;
const RECEIVED = 'sent-received';

const listFile = (runDir: string, kind: string, backupId: string, entry: string) => join(runDir, kind, checkBackupId(backupId), `${checkEntry(entry)}.list`);

export interface SentListWriter {
  add(name: Buffer, sum: string): void;
  /** Flushes; resolves with the number of lines this writer added. Idempotent. */
  close(): Promise<number>;
}

const exists = (file: string) => stat(file).then(() => true, () => false);

/**
 * Appends to the source's list of `backupId`/`entry` for one pass (end it with endSentPass);
 * drops the lists of older backups beyond KEPT.
 */
export async function openSentList(runDir: string, backupId: string, entry: string): Promise<SentListWriter> {
  const file = listFile(runDir, SENT, backupId, entry);
  await mkdir(join(runDir, SENT, backupId), { recursive: true, mode: 0o700 });
  await pruneOld(join(runDir, SENT));
  // an earlier pass that never ended (its agent stopped, or it still runs) may have written unlisted files
  if (await exists(file + RUNNING)) await writeFile(file + SPOILED, '', { mode: 0o600 });
  await writeFile(file + RUNNING, '', { mode: 0o600 });
  const out = createWriteStream(file, { flags: 'a', mode: 0o600 });
  let failed: Error | undefined;
  out.on('error', (e) => (failed = e));
  let lines = 0;
  let gathered = '';
  let closed: Promise<number> | undefined;
  return {
    add(name, sum) {
      lines++;
      gathered += `${sum} ${escapeName(name)}\n`;
      if (gathered.length >= WRITE_BYTES) {
        out.write(gathered);
        gathered = '';
      }
    },
    close: () =>
      (closed ??= new Promise((resolve, reject) =>
        out.end(gathered, () => {
          if (failed) reject(new FfError('TRANSFER_FAILED', `could not record the files sent in ${file}: ${failed.message}`));
          else resolve(lines);
        }),
      )),
  };
}

/** Ends the pass openSentList began; a failed pass spoils the list for good (see sentNames). */
export async function endSentPass(runDir: string, backupId: string, entry: string, ok: boolean): Promise<void> {
  const file = listFile(runDir, SENT, backupId, entry);
  if (!ok) await writeFile(file + SPOILED, '', { mode: 0o600 });
  await rm(file + RUNNING, { force: true });
}

/**
 * The lines of a list (the source's own, or one the target received) as [escaped name, checksum],
 * in order: a later line for a name supersedes an earlier one. A malformed line is an error.
 */
export async function* readSentLines(file: string): AsyncGenerator<[string, string]> {
  const input = createReadStream(file, { encoding: 'utf8' });
  try {
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (!line) continue;
      const sp = line.indexOf(' ');
      const sum = line.slice(0, sp);
      if (sp !== FILE_CHECKSUM_HEX || !/^[0-9a-f]+$/.test(sum)) throw new FfError('INVALID_ARGUMENT', `the sender's list ${file} has a malformed line: ${JSON.stringify(line.slice(0, 80))}`);
      yield [line.slice(sp + 1), sum];
    }
  } finally {
    // a reader that stops early (sentNames past its max) must not leave the file open
    input.destroy();
  }
}

/** Reads a list into escaped name -> checksum (the last line for a name wins). */
export async function readSentList(file: string): Promise<Map<string, string>> {
  const sums = new Map<string, string>();
  for await (const [name, sum] of readSentLines(file)) sums.set(name, sum);
  return sums;
}

/**
 * Every name the passes of these backups sent for `entry`, or undefined unless each backup has a
 * list whose every pass ended well: a failed or killed pass may have written files it never
 * listed. Undefined too past `max` names (a first backup's list: walking the tree is cheaper), and
 * for a list with a malformed line (the caller then walks the tree).
 */
export async function sentNames(runDir: string, backupIds: readonly string[], entry: string, max: number): Promise<Buffer[] | undefined> {
  const names = new Map<string, Buffer>();
  for (const id of backupIds) {
    const file = listFile(runDir, SENT, id, entry);
    if (!(await exists(file)) || (await exists(file + RUNNING)) || (await exists(file + SPOILED))) return undefined;
    try {
      for await (const [escaped] of readSentLines(file)) {
        if (!names.has(escaped)) names.set(escaped, unescapeName(escaped));
        if (names.size > max) return undefined;
      }
    } catch (e) {
      if (e instanceof FfError && e.code === 'INVALID_ARGUMENT') return undefined;
      throw e;
    }
  }
  return [...names.values()];
}

async function pruneOld(dir: string): Promise<void> {
  const ids = (await readdir(dir)).filter((n) => /^[0-9]{8}_[0-9]{6}/.test(n)).sort();
  for (const id of ids.slice(0, Math.max(0, ids.length - KEPT))) await rm(join(dir, id), { recursive: true, force: true });
}

export interface SentPage {
  chunk: Buffer;
  nextOffset: number;
  eof: boolean;
}

/** The page of the source's list starting at `offset`, cut after its last whole line. NOT_FOUND without a list. */
export async function readSentPage(runDir: string, backupId: string, entry: string, offset: number): Promise<SentPage> {
  const file = listFile(runDir, SENT, backupId, entry);
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new FfError('NOT_FOUND', `no record of the files sent for backup ${backupId} of ${entry} (was the agent's run folder emptied?)`);
    }
    throw e;
  }
  try {
    const size = (await fh.stat()).size;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) throw new FfError('INVALID_ARGUMENT', `offset ${offset} is outside the list (${size} bytes)`, { details: { field: 'offset' } });
    const buf = Buffer.alloc(Math.min(PAGE_BYTES, size - offset));
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    const eofHere = offset + bytesRead >= size;
    const cut = eofHere ? bytesRead : buf.lastIndexOf(0x0a, bytesRead - 1) + 1;
    if (cut === 0 && bytesRead > 0) throw new FfError('INTERNAL', `a line of ${file} is longer than ${PAGE_BYTES} bytes`);
    return { chunk: buf.subarray(0, cut), nextOffset: offset + cut, eof: offset + cut >= size };
  } finally {
    await fh.close();
  }
}

/** Stores a page of a source's list on the target at `offset` (a retried page overwrites); `eof` marks the list complete. */
export async function writeReceivedPage(runDir: string, backupId: string, entry: string, offset: number, chunk: Buffer, eof: boolean): Promise<number> {
  const file = listFile(runDir, RECEIVED, backupId, entry);
  if (chunk.length > PAGE_BYTES) throw new FfError('INVALID_ARGUMENT', `a page holds at most ${PAGE_BYTES} bytes`, { details: { field: 'chunk' } });
  if (chunk.length > 0 && chunk[chunk.length - 1] !== 0x0a) throw new FfError('INVALID_ARGUMENT', 'a page ends with a whole line', { details: { field: 'chunk' } });
  await mkdir(join(runDir, RECEIVED, backupId), { recursive: true, mode: 0o700 });
  await pruneOld(join(runDir, RECEIVED));
  const size = await stat(file).then((s) => s.size, () => 0);
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    throw new FfError('FAILED_PRECONDITION', `page at ${offset} of the list of ${entry} would leave a gap (${size} bytes held)`, { details: { field: 'offset' } });
  }
  await rm(`${file}.eof`, { force: true });
  const fh = await open(file, size === 0 ? 'w' : 'r+', 0o600);
  try {
    await fh.write(chunk, 0, chunk.length, offset);
  } finally {
    await fh.close();
  }
  const end = offset + chunk.length;
  await truncate(file, end);
  if (eof) await (await open(`${file}.eof`, 'w', 0o600)).close();
  return end;
}

/** The complete list the target received for `entry`, or undefined (none, or its last page never came). */
export async function receivedListFile(runDir: string, backupId: string, entry: string): Promise<string | undefined> {
  const file = listFile(runDir, RECEIVED, backupId, entry);
  return (await stat(`${file}.eof`).then(() => true, () => false)) ? file : undefined;
}

/** Forgets the lists the target received for a backup (after its tag). */
export async function dropReceivedLists(runDir: string, backupId: string): Promise<void> {
  await rm(join(runDir, RECEIVED, checkBackupId(backupId)), { recursive: true, force: true });
}
