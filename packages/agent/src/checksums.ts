import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FfError, findBinary, run } from '@freezeframe/common';
import { FILE_ARGV_LIMITS, cutBatches, runBatches } from './batches.js';
import { sampleRecord, type RecordSample } from './checksum-sample.js';
import { CHECKSUMS_FILE, applyChanges, fitsBase, formatChanges, isBelow, keyOf, quoted, readChanges, readRecordLines, writeBase, writeChanges } from './checksum-record.js';
import { escapeName, unescapeName } from './file-names.js';

export { CHECKSUMS_FILE };

/**
 * One regular file: path relative to the backup root (`<entry>/...`, escaped by escapeName: a
 * name need not be UTF-8), size, mtime (ms), sha256, and inode (absent in records of older versions).
 */
export interface FileSum {
  p: string;
  s: number;
  m: number;
  h: string;
  i?: number;
}

export interface FileStat {
  p: string;
  /** The name as the file system has it, one char per byte (latin1): see nameBytes. */
  name: string;
  s: number;
  m: number;
  i: number;
  /** Bytes allocated on disk. */
  b: number;
  /** Last change of content or attributes (ms): rsync cannot set it, every write moves it. */
  c: number;
  /** Names of its inode (listNamed only). */
  links?: number;
}

const HASH_TIMEOUT_MS = 6 * 3600_000;
/** Characters of a sha256 in hex. */
const SHA256_HEX = 64;
/** See recordChecksums: a file changed within this of the previous record is hashed again. */
const RACY_MARGIN_MS = 2_000;
/** A listing longer than this (~3M files) is refused rather than cut: a cut list would leave files unchecked. */
const LIST_MAX_BYTES = 256 << 20;

/**
 * sha256 of each of `paths` (relative to `root`) by `sha256sum`: on small files, node's
 * open/stat/read/close round trips through its thread pool cost ~3x the C tool's time (measured:
 * 20k files of 1-16 KiB, 2.0-3.5 s vs 0.9-1.7 s). A file that could not be read is left out of
 * the result; `sha256sum`'s complaint about it is returned with the rest.
 */
export async function hashFiles(root: string, names: readonly Buffer[]): Promise<{ sums: Map<string, string>; errors: string[] }> {
  const sums = new Map<string, string>();
  const errors: string[] = [];
  // argv is UTF-8 text: a name that is not goes through node instead (rare, and only those)
  const paths: string[] = [];
  for (const n of names) {
    const text = n.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(n)) paths.push(text);
    else {
      try {
        sums.set(escapeName(n), await hashOne(Buffer.concat([Buffer.from(`${root}/`), n])));
      } catch (e) {
        errors.push(`${escapeName(n)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    }
  }
  await runBatches(paths, FILE_ARGV_LIMITS, async (batch) => {
    // -z: records end in NUL and names are printed as they are (no escaping of odd names)
    const r = await run({
      bin: findBinary('sha256sum'),
      args: ['-z', '--', ...batch],
      cwd: root,
      timeoutMs: HASH_TIMEOUT_MS,
      okExitCodes: [0, 1],
      maxStdout: 64 << 20,
    });
    for (const rec of r.stdout.split('\0')) if (rec.length > 66) sums.set(escapeName(Buffer.from(rec.slice(66), 'utf8')), rec.slice(0, 64));
    if (r.code !== 0) errors.push(...r.stderr.split('\n').filter(Boolean));
  });
  return { sums, errors };
}

/** `paths` cut into the batches `sha256sum` processes get (FILE_ARGV_LIMITS). */
export function hashBatches(paths: readonly string[]): string[][] {
  return cutBatches(paths, FILE_ARGV_LIMITS);
}

function hashOne(path: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('error', reject)
      .on('data', (b) => h.update(b))
      .on('end', () => resolve(h.digest('hex')));
  });
}

/**
 * Regular files under `root/entry`, as paths relative to root; symlinks and specials carry no
 * data to check. Listed by `find` (one process; node's readdir + lstat per file took ~8 s of a
 * 200k-file backup's tag).
 */
export async function walk(root: string, entry: string, out: FileStat[], onListed?: () => void): Promise<void> {
  let rest = '';
  let listed = 0;
  const stop = new AbortController();
  let failed: unknown;
  // parsed as it arrives, on this core while find stats on the other, and as latin1 text: one
  // char per byte, so a name stays its bytes even when a chunk ends inside it, and string slices
  // cost far less than a Buffer view per file (bench/PROFILE.md, seventh pass)
  const parse = (chunk: Buffer) => {
    listed += chunk.length;
    if (listed > LIST_MAX_BYTES) return stop.abort();
    // a throw here would be in a stream's event handler, where it ends the agent
    try {
      const text = rest + chunk.toString('latin1');
      let at = 0;
      for (let end = text.indexOf('\0'); end >= 0; at = end + 1, end = text.indexOf('\0', at)) out.push(fileStat(text, at, end));
      rest = text.slice(at);
      onListed?.();
    } catch (e) {
      failed ??= e;
      stop.abort();
    }
  };
  try {
    // -P (the default): never follows a symlink; %T@ is the mtime as seconds.nanoseconds
    await run({
      bin: findBinary('find'),
      args: [`./${entry}`, '-type', 'f', '-printf', '%s %T@ %i %b %C@ %p\\0'],
      cwd: root,
      timeoutMs: HASH_TIMEOUT_MS,
      onStdout: parse,
      maxStdout: 0,
      signal: stop.signal,
    });
  } catch (e) {
    if (failed !== undefined) throw failed;
    if (stop.signal.aborted) throw new FfError('TARGET_FAILED', `${join(root, entry)} holds too many files to list for checksums (over ${LIST_MAX_BYTES} bytes of names)`);
    throw e;
  }
}

/**
 * Each of `names` (relative to `root`, e.g. `<entry>/a/b`) that is a regular file, listed as walk
 * lists one, if every folder above it is a folder: `find -P` stats each name and each folder
 * above it, and a name below a symlink is left out, so nothing read later follows a link. A name
 * that no longer exists is left out.
 */
export async function listNamed(root: string, names: readonly Buffer[]): Promise<FileStat[]> {
  const points = new Set<string>();
  for (const n of names) {
    const s = n.toString('latin1');
    for (let i = s.indexOf('/'); i >= 0; i = s.indexOf('/', i + 1)) points.add(s.slice(0, i));
    points.add(s);
  }
  if (points.size === 0) return [];
  const odd: string[] = [];
  let gone = 0;
  const r = await run({
    bin: findBinary('find'),
    args: ['-files0-from', '-', '-maxdepth', '0', '-printf', '%y %n %s %T@ %i %b %C@ %p\\0'],
    input: Buffer.from([...points].map((p) => `./${p}\0`).join(''), 'latin1'),
    cwd: root,
    timeoutMs: HASH_TIMEOUT_MS,
    okExitCodes: [0, 1],
    maxStdout: LIST_MAX_BYTES,
    // exit 1: a name that is gone, or whose folder became a file; anything else fails the record
    onStderrLine: (l) => {
      gone++;
      if (!/: (No such file or directory|Not a directory)$/.test(l)) odd.push(l);
    },
  });
  if (r.code !== 0 && (odd.length > 0 || gone === 0)) throw new FfError('TARGET_FAILED', `find under ${root}: ${odd.slice(0, 3).join('; ') || `exit ${r.code}`}`);
  const text = r.stdoutBytes.toString('latin1');
  const types = new Map<string, string>();
  const files: FileStat[] = [];
  for (let at = 0, end = text.indexOf('\0'); end >= 0; at = end + 1, end = text.indexOf('\0', at)) {
    const sp = text.indexOf(' ', at + 2);
    const f = { ...fileStat(text, sp + 1, end), links: Number(text.slice(at + 2, sp)) };
    types.set(f.name, text[at]!);
    if (text[at] === 'f') files.push(f);
  }
  const underFolders = (name: string) => {
    for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) if (types.get(name.slice(0, i)) !== 'd') return false;
    return true;
  };
  return files.filter((f) => underFolders(f.name));
}

/** One record of walk's listing, `text` from `at` up to its NUL at `end`. */
function fileStat(text: string, at: number, end: number): FileStat {
  const sp1 = text.indexOf(' ', at);
  const sp2 = text.indexOf(' ', sp1 + 1);
  const sp3 = text.indexOf(' ', sp2 + 1);
  const sp4 = text.indexOf(' ', sp3 + 1);
  const sp5 = text.indexOf(' ', sp4 + 1);
  const name = text.slice(sp5 + 3, end); // after the leading "./"
  return {
    p: PLAIN_NAME.test(name) ? name : escapeName(Buffer.from(name, 'latin1')),
    name,
    s: Number(text.slice(at, sp1)),
    m: mtimeMs(text.slice(sp1 + 1, sp2)),
    i: Number(text.slice(sp2 + 1, sp3)),
    b: Number(text.slice(sp3 + 1, sp4)) * 512,
    c: Number(text.slice(sp4 + 1, sp5)) * 1000,
  };
}

/** Printable ASCII without a backslash: escapeName would return it as it is. */
const PLAIN_NAME = /^[\x20-\x5b\x5d-\x7e]*$/;

/** find's "seconds.nanoseconds" as whole milliseconds, truncated as rsync and stat compare them. */
function mtimeMs(t: string): number {
  const dot = t.indexOf('.');
  if (dot < 0) return Number(t) * 1000;
  return Number(t.slice(0, dot)) * 1000 + Number(t.slice(dot + 1, dot + 4).padEnd(3, '0'));
}

/** The name's bytes (FileStat.name holds one char per byte). */
export const nameBytes = (f: Pick<FileStat, 'name'>): Buffer => Buffer.from(f.name, 'latin1');

/** The checksum record of the backup (or tree) at `root`; undefined when it has none. A tagged backup's is read `strict` (see mergeRecord). */
export async function readSums(root: string, o: { strict: boolean } = { strict: true }): Promise<FileSum[] | undefined> {
  return (await readRecordLines(root, o))?.map((line) => JSON.parse(line) as FileSum);
}

/**
 * `{"p":<path as JSON>`: how a line of a record begins, up to the end of its path. Inside a JSON
 * string every `"` is escaped, so the first `","s":` ends the path in a line recordChecksums
 * wrote; any other line is parsed.
 */
const pathKey = (p: string): string => `{"p":${JSON.stringify(p)}`;
function pathKeyOf(line: string): string {
  const end = line.startsWith('{"p":"') ? line.indexOf('","s":') : -1;
  return end >= 0 ? line.slice(0, end + 1) : pathKey((JSON.parse(line) as FileSum).p);
}

/**
 * The previous record's lines, found by path without parsing each one (parsing every line and a
 * map of them cost a 200k-file tag ~0.15 s and ~55 MB at its peak, bench/PROFILE.md eleventh
 * pass). A record is written in the order `find` lists the tree, and an unchanged tree lists in
 * the same order, so the line after the last one found is tried first; an index of all paths is
 * made on the first miss.
 */
class PreviousLines {
  private next = 0;
  private byPath: Map<string, number> | undefined;
  private inodes: Set<number | undefined> | undefined;
  constructor(private readonly lines: readonly string[]) {}

  /** The line recorded for the path `key` (see pathKey). */
  find(key: string): string | undefined {
    const at = this.next;
    const line = this.lines[at];
    let found = line !== undefined && line.startsWith(key) && line.startsWith(',"s":', key.length) ? at : undefined;
    if (found === undefined) {
      this.byPath ??= new Map(this.lines.map((l, k) => [pathKeyOf(l), k]));
      found = this.byPath.get(key);
      if (found === undefined) return undefined;
    }
    this.next = found + 1;
    return this.lines[found];
  }

  /** Whether the record holds inode `i` (the set is made on first use). */
  hasInode(i: number): boolean {
    this.inodes ??= new Set(this.lines.map(inodeOf));
    return this.inodes.has(i);
  }
}

/** The inode of a record's line: its last field in a line recordChecksums wrote, else parsed. */
function inodeOf(line: string): number | undefined {
  const at = line.lastIndexOf(',"i":');
  const i = at >= 0 && line.endsWith('}') ? Number(line.slice(at + 5, -1)) : Number.NaN;
  return Number.isSafeInteger(i) ? i : (JSON.parse(line) as FileSum).i;
}

/** sha256 of each of `files`; TARGET_FAILED naming those that could not be read. */
async function hashListed(root: string, files: readonly FileStat[]): Promise<Map<string, string>> {
  const { sums, errors } = await hashFiles(root, files.map(nameBytes));
  const unread = files.filter((f) => !sums.has(f.p)).map((f) => f.p);
  if (unread.length > 0) {
    throw new FfError('TARGET_FAILED', `could not checksum ${unread.length} file(s) under ${root}, e.g. ${unread.slice(0, 3).join(', ')}: ${errors.slice(0, 3).join('; ')}`);
  }
  return sums;
}

const lineOf = (f: FileStat, h: string): string => JSON.stringify({ p: f.p, s: f.s, m: f.m, h, i: f.i } satisfies FileSum);
const ms = (from: number, to: number) => Math.round(to - from);

export interface RecordOptions {
  /**
   * The root of the backup before this one, when it is another tree (dir target: hard-linked
   * trees). Without it, the previous record is the one in `root` (ZFS, btrfs: the working tree
   * keeps the last backup's).
   */
  previous?: string;
  /** The next tag may add its changes to this record (a tree written in place, see writeBase). */
  changesNext?: boolean;
  /**
   * A file with the same inode as in the previous record is the same file (rsync --link-dest
   * hard-linked it), so its checksum is reused. Only for hard-linked trees: a tree written in
   * place (ZFS, --inplace) keeps inodes across content changes.
   */
  sameInodeIsSameContent?: boolean;
  /** Given the regular files the walk found (fidelity.ts reads only those). */
  onFiles?: (files: readonly FileStat[]) => void;
}

export interface RecordResult {
  /** Files recorded, and of them those whose checksum was kept; not counted when only the changes were written. */
  files?: number;
  hashed: number;
  reused?: number;
  /** Bytes on disk of files not shared with the previous backup (new inodes; hard links within the backup counted once). */
  newBytes: number;
  /** Names beyond the first of each inode: 0 when the tree holds no hard links; not counted when only the changes were written. */
  sharedNames?: number;
  /** What was written: the whole record, or only its changes (checksum-record.ts). */
  wrote: 'record' | 'changes';
  /** Where the time went (ms): listing the tree, reading the previous record and deciding what to hash; hashing it; writing the record. */
  walkMs: number;
  hashMs: number;
  writeMs: number;
}

/**
 * Records the sha256 of every file of `entries` under `root` into CHECKSUMS_FILE. Only what
 * changed since the previous backup is read: a file whose path, size and mtime match the
 * previous record and that was not changed since that record was written keeps its checksum,
 * and so does one that is hard-linked to it (see RecordOptions).
 */
export async function recordChecksums(root: string, entries: readonly string[], o: RecordOptions = {}): Promise<RecordResult> {
  const files: FileStat[] = [];
  const started = performance.now();
  let newBytes = 0;
  const inodes = new Set<number>();
  // each file's line, when the previous one still holds as it is; else its previous checksum, when that still holds
  const lines: Array<string | undefined> = [];
  const keptSums = new Map<number, string>();
  let previous: PreviousLines | undefined;
  // When the previous record was written: a file changed since then may keep its size and
  // (whole-second, on zfs-fuse) mtime, so size+mtime alone cannot say it is unchanged. Its ctime
  // can: only a file untouched since well before that record keeps its checksum (git calls the
  // others "racily clean"). The margin covers file systems with whole-second ctimes.
  let recordedMs = 0;
  let decided = 0;
  // files are decided as find lists them, once the previous record is read: this core decides
  // while find stats on the other
  const decide = () => {
    if (!previous) return;
    for (; decided < files.length; decided++) {
      const k = decided;
      const f = files[k]!;
      const key = pathKey(f.p);
      const line = previous.find(key);
      // the same path, size, mtime and inode: the line is written again as it was read (a
      // JSON.stringify per file was ~0.6 s of a 200k-file tag, bench/PROFILE.md seventh pass)
      const head = `${key},"s":${f.s},"m":${f.m},"h":"`;
      const tail = `","i":${f.i}}`;
      const same = line !== undefined && line.length === head.length + SHA256_HEX + tail.length && line.startsWith(head) && line.endsWith(tail);
      if (!inodes.has(f.i)) {
        inodes.add(f.i);
        // in a hard-linked tree an inode of the previous backup costs nothing new
        if (!(o.sameInodeIsSameContent && (same || previous.hasInode(f.i)))) newBytes += f.b;
      }
      if (same && (o.sameInodeIsSameContent || f.c < recordedMs)) lines[k] = line;
      else if (line !== undefined) {
        const old = JSON.parse(line) as FileSum;
        if ((old.s === f.s && old.m === f.m && f.c < recordedMs) || (o.sameInodeIsSameContent && old.i === f.i)) keptSums.set(k, old.h);
      }
    }
  };
  await Promise.all([
    (async () => {
      // the base's time, not the changes': a line the changes did not touch was written then
      const read = await readRecordLines(o.previous ?? root, { strict: false });
      if (read) recordedMs = (await lstat(join(o.previous ?? root, CHECKSUMS_FILE))).mtimeMs - RACY_MARGIN_MS;
      previous = new PreviousLines(read ?? []);
      decide();
    })(),
    (async () => {
      for (const e of entries) await walk(root, e, files, decide);
    })(),
  ]);
  decide();
  o.onFiles?.(files);
  const toHash = files.filter((_, k) => lines[k] === undefined && !keptSums.has(k));
  const walked = performance.now();
  const hashes = await hashListed(root, toHash);
  const hashed = performance.now();
  for (let k = 0; k < files.length; k++) lines[k] ??= lineOf(files[k]!, keptSums.get(k) ?? hashes.get(files[k]!.p)!);
  await writeBase(root, lines as string[], o.changesNext ? { changesFor: entries, sharedNames: files.length - inodes.size } : {});
  return {
    wrote: 'record',
    files: files.length,
    hashed: toHash.length,
    reused: files.length - toHash.length,
    newBytes,
    sharedNames: files.length - inodes.size,
    walkMs: ms(started, walked),
    hashMs: ms(walked, hashed),
    writeMs: ms(hashed, performance.now()),
  };
}

/** What a record update needs to know of one entry (receive-journal.ts's EntryChanges). */
export interface ChangedNames {
  /** Every name (relative to the entry) that was created, changed or deleted. */
  changed: readonly Buffer[];
  /** Of those, the ones that are not folders now: nothing recorded below them still holds. */
  notFolders: readonly Buffer[];
}

/**
 * Changes at most this share of the base's size are kept as changes; beyond it the tag writes the
 * whole record again. With 1% of the files changed per backup, about every tenth tag does (the
 * eleventh of a series in bench/PROFILE.md did).
 */
const CHANGES_SHARE = 1 / 8;

/**
 * Records the checksums of `entries` under `root` from the record already there and what
 * changed since it was written (`changes`, one per entry, from the receivers' journals): a line
 * stays unless its file, or a folder above it, changed; each changed name that is now a regular
 * file is listed (listNamed) and hashed. `alsoList` (names relative to root) are listed too, and
 * with the changed files given to `onFiles`: fidelity.ts reads only files listed this way.
 *
 * When the record has changes (checksum-record.ts) the new lines are added to them and the base
 * is not read at all, unless a changed file has other names (a write in place changes them too,
 * and only the whole record knows them) or the changes outgrow CHANGES_SHARE.
 * Undefined when there is no record to start from (the caller then lists every file).
 */
export async function updateChecksums(
  root: string,
  changes: ReadonlyMap<string, ChangedNames>,
  o: { alsoList?: readonly Buffer[]; onFiles?: (files: readonly FileStat[]) => void } = {},
): Promise<RecordResult | undefined> {
  const started = performance.now();
  const named = (entry: string, n: Buffer) => Buffer.concat([Buffer.from(`${entry}/`), n]);
  const exact = new Set<string>();
  const above = new Set<string>();
  const toList: Buffer[] = [...(o.alsoList ?? [])];
  for (const [entry, c] of changes) {
    for (const n of c.changed) {
      const full = named(entry, n);
      exact.add(quoted(escapeName(full)));
      toList.push(full);
    }
    for (const n of c.notFolders) above.add(quoted(escapeName(named(entry, n))));
  }
  const listed = await listNamed(root, toList);
  const entries = [...changes.keys()];
  const current = listed.every((f) => f.links === 1 || !exact.has(quoted(f.p))) ? await readChanges(root, entries) : undefined;
  if (current) {
    for (const k of exact) {
      current.lines.delete(k);
      current.gone.add(k);
    }
    for (const k of above) current.below.add(k);
    for (const k of current.lines.keys()) if (isBelow(k, above)) current.lines.delete(k);
    o.onFiles?.(listed);
    const fresh = freshOf(listed, exact);
    const walked = performance.now();
    const sums = await hashListed(root, fresh);
    const hashed = performance.now();
    for (const f of fresh) {
      current.lines.set(quoted(f.p), lineOf(f, sums.get(f.p)!));
      current.gone.delete(quoted(f.p));
    }
    // a tree without hard links stays so: a new name of an inode would be a changed file with other names
    if (current.sharedNames !== 0) delete current.sharedNames;
    const result = { hashed: fresh.length, newBytes: fresh.reduce((n, f) => n + f.b, 0), walkMs: ms(started, walked), hashMs: ms(walked, hashed) };
    const text = formatChanges(current);
    if (text.length <= current.bytes * CHANGES_SHARE) {
      await writeChanges(root, text);
      return { ...result, ...(current.sharedNames === 0 ? { sharedNames: 0 } : {}), wrote: 'changes', writeMs: ms(hashed, performance.now()) };
    }
    const base = await readFile(join(root, CHECKSUMS_FILE), 'utf8');
    // changes that do not fit the base beside them: the caller lists every file
    if (!fitsBase(base, current)) return undefined;
    const lines = applyChanges(base.split('\n').filter(Boolean), current);
    const whole = counts(lines, fresh);
    await writeBase(root, lines, { changesFor: current.entries, sharedNames: whole.sharedNames });
    return { ...result, ...whole, wrote: 'record', writeMs: ms(hashed, performance.now()) };
  }
  return rewriteRecord(root, started, { exact, above, listed, entries, onFiles: o.onFiles });
}

/** The changed names that are regular files now, each once. */
const freshOf = (listed: readonly FileStat[], exact: ReadonlySet<string>) => [...new Map(listed.filter((f) => exact.has(quoted(f.p))).map((f) => [f.p, f])).values()];

/** updateChecksums from the whole record: it is read, and written whole with empty changes. */
async function rewriteRecord(
  root: string,
  started: number,
  u: { exact: Set<string>; above: ReadonlySet<string>; listed: FileStat[]; entries: readonly string[]; onFiles?: (files: readonly FileStat[]) => void },
): Promise<RecordResult | undefined> {
  const { exact, above, listed } = u;
  const previous = await readRecordLines(root, { strict: false });
  if (!previous) return undefined;
  // the record keeps its order (walk's, which recordChecksums reads fastest): a changed file's new
  // line takes the place of its old one
  const order: Array<string | undefined> = [];
  const slots = new Map<string, number>();
  const kept: Array<{ key: string; inode: number | undefined; at: number }> = [];
  for (const line of previous) {
    const key = keyOf(line);
    const slash = key.indexOf('/');
    if (slash < 0 || !u.entries.includes(key.slice(0, slash))) continue;
    if (exact.has(key)) {
      slots.set(key, order.length);
      order.push(undefined);
      continue;
    }
    if (isBelow(key, above)) continue;
    kept.push({ key, inode: inodeOf(line), at: order.length });
    order.push(line);
  }
  // a file written in place changes every name of its inode: one that kept its line is listed again
  const written = new Set(listed.filter((f) => exact.has(quoted(f.p))).map((f) => f.i));
  const linked = kept.filter((k) => k.inode !== undefined && written.has(k.inode));
  if (linked.length > 0) {
    const names = linked.map((k) => unescapeName((JSON.parse(order[k.at]!) as FileSum).p));
    for (const k of linked) {
      exact.add(k.key);
      slots.set(k.key, k.at);
      order[k.at] = undefined;
    }
    listed.push(...(await listNamed(root, names)));
  }
  u.onFiles?.(listed);
  // a name listed for fidelity only keeps its line, unless it changed
  const fresh = freshOf(listed, exact);
  const walked = performance.now();
  const sums = await hashListed(root, fresh);
  const hashed = performance.now();
  const added: string[] = [];
  for (const f of fresh) {
    const line = lineOf(f, sums.get(f.p)!);
    const at = slots.get(quoted(f.p));
    if (at === undefined) added.push(line);
    else order[at] = line;
  }
  const lines = [...order.filter((l) => l !== undefined), ...added];
  const whole = counts(lines, fresh);
  await writeBase(root, lines, { changesFor: u.entries, sharedNames: whole.sharedNames });
  return {
    wrote: 'record',
    ...whole,
    hashed: fresh.length,
    newBytes: fresh.reduce((n, f) => n + f.b, 0),
    walkMs: ms(started, walked),
    hashMs: ms(walked, hashed),
    writeMs: ms(hashed, performance.now()),
  };
}

/** A whole record's counts (RecordResult): its files, those not hashed now, and names beyond the first of each inode. */
function counts(lines: readonly string[], fresh: readonly FileStat[]): { files: number; reused: number; sharedNames: number } {
  const inodes = new Set<number>();
  let noInode = 0;
  for (const line of lines) {
    const i = inodeOf(line);
    if (i === undefined) noInode++;
    else inodes.add(i);
  }
  return { files: lines.length, reused: lines.length - fresh.length, sharedNames: lines.length - inodes.size - noInode };
}

export interface VerifyResult {
  hasChecksums: boolean;
  checked: number;
  /** Files recorded for the entries checked (more than `checked` when a sample was asked for). */
  recorded: number;
  bad: string[];
  missing: string[];
  /** "<path>: could not be read (<error>)": a file whose read failed (a damaged block). */
  unreadable: string[];
}

/** The record's lines of files below `entries` (all when empty), strictly merged. */
async function recordOf(root: string, entries: readonly string[]): Promise<RecordSample | undefined> {
  const lines = await readRecordLines(root, { strict: true });
  if (!lines) return undefined;
  // by each line's path key, so that only the lines kept are parsed
  const prefixes = entries.map((e) => pathKey(`${e}/`).slice(0, -1));
  const kept = entries.length === 0 ? lines : lines.filter((l) => prefixes.some((x) => pathKeyOf(l).startsWith(x)));
  return { recorded: kept.length, lines: kept };
}

/**
 * Re-reads every recorded file of `entries` (all when empty) under `root`, or with `sample` that
 * many of them chosen at random, and compares each with its recorded checksum.
 */
export async function verifyChecksums(root: string, entries: readonly string[] = [], o: { sample?: (recorded: number) => number } = {}): Promise<VerifyResult> {
  const chosen = o.sample ? await sampleRecord(root, entries, o.sample) : await recordOf(root, entries);
  if (!chosen) return { hasChecksums: false, checked: 0, recorded: 0, bad: [], missing: [], unreadable: [] };
  const { recorded, lines } = chosen;
  const wantedSums = lines.map((l) => JSON.parse(l) as FileSum);
  const { sums: hashes, errors } = await hashFiles(root, wantedSums.map((s) => unescapeName(s.p)));
  const bad: string[] = [];
  const missing: string[] = [];
  const unreadable: string[] = [];
  let checked = 0;
  for (const s of wantedSums) {
    const h = hashes.get(s.p);
    if (h === undefined) {
      if (!(await lstat(Buffer.concat([Buffer.from(`${root}/`), unescapeName(s.p)])).then(() => true, () => false))) {
        missing.push(s.p);
        continue;
      }
      // a damaged block fails its read (btrfs, ZFS): named with the others, so one report lists every damaged file
      unreadable.push(`${s.p}: could not be read (${errors.find((e) => e.includes(s.p)) ?? errors[0] ?? 'unknown error'})`);
      continue;
    }
    checked++;
    if (h !== s.h) bad.push(s.p);
  }
  return { hasChecksums: true, checked, recorded, bad: bad.sort(), missing: missing.sort(), unreadable: unreadable.sort() };
}
