import { createHash } from 'node:crypto';
import { lstat, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FfError, writeFileAtomic } from '@freezeframe/common';

/**
 * A backup's checksum record is CHECKSUMS_FILE, one line per regular file (see FileSum in
 * checksums.ts), and, on a target written in place, CHANGES_FILE: what the tags since that file
 * was written changed in it. Such a tag rewrites only the changes, so its cost follows what the
 * backup changed, not how many files it holds (bench/PROFILE.md, thirteenth pass). Every reader
 * merges the two (readRecordLines, mergeRecord).
 */
export const CHECKSUMS_FILE = '.freezeframe/checksums.jsonl';
export const CHANGES_FILE = '.freezeframe/checksums.changes.jsonl';

/**
 * The changes, keyed by a line's path as it stands between the quotes of its JSON (keyOf). A
 * line here is the newest truth for its path; `gone` and `below` apply to the base lines only.
 */
export interface RecordChanges {
  /** sha256 (hex) and size of the CHECKSUMS_FILE these changes apply to, and the entries it records. */
  base: string;
  bytes: number;
  entries: string[];
  /** Names beyond the first of each inode in the whole record (RecordResult.sharedNames), when known. */
  sharedNames?: number;
  /** Paths whose base line no longer holds. */
  gone: Set<string>;
  /** Paths below which no base line holds any more (a folder that was deleted or replaced). */
  below: Set<string>;
  /** Path -> the file's line now: it takes the place of its base line, or is added. */
  lines: Map<string, string>;
}

/** A record line's path as it stands between the quotes of its JSON: `{"p":"<key>","s":...`. */
export function keyOf(line: string): string {
  const end = line.startsWith('{"p":"') ? line.indexOf('","s":') : -1;
  return end >= 0 ? line.slice(6, end) : quoted((JSON.parse(line) as { p: string }).p);
}

/** A path as it stands between the quotes of its JSON string. */
export const quoted = (p: string): string => JSON.stringify(p).slice(1, -1);

/** Whether `key` lies below one of `folders` (keys too). */
export function isBelow(key: string, folders: ReadonlySet<string>): boolean {
  if (folders.size === 0) return false;
  for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) if (folders.has(key.slice(0, i))) return true;
  return false;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Empty changes of a base whose text is `baseText`. */
export const noChanges = (baseText: string, entries: readonly string[], sharedNames?: number): RecordChanges => ({
  base: sha256(baseText),
  bytes: Buffer.byteLength(baseText),
  entries: [...entries],
  ...(sharedNames !== undefined ? { sharedNames } : {}),
  gone: new Set(),
  below: new Set(),
  lines: new Map(),
});

/** Whether `c` are changes of the base whose text is `baseText`. */
export const fitsBase = (baseText: string, c: RecordChanges): boolean => c.base === sha256(baseText) && c.bytes === Buffer.byteLength(baseText);

/** The changes in `text` (CHANGES_FILE's); a line that is not one is named by its number, never shown. */
export function parseChanges(text: string, file: string): RecordChanges {
  const bad = (n: number) => new FfError('TARGET_FAILED', `${file}: line ${n} is not a change of the checksum record`);
  const rows = text.split('\n').filter(Boolean);
  const parse = (n: number): unknown => {
    try {
      return JSON.parse(rows[n] ?? 'null');
    } catch {
      throw bad(n + 1);
    }
  };
  const head = parse(0) as { base?: unknown; bytes?: unknown; entries?: unknown; sharedNames?: unknown } | null;
  const entries = head?.entries;
  if (typeof head?.base !== 'string' || typeof head.bytes !== 'number' || !Array.isArray(entries) || !entries.every((e) => typeof e === 'string')) throw bad(1);
  const c: RecordChanges = { base: head.base, bytes: head.bytes, entries: entries as string[], gone: new Set(), below: new Set(), lines: new Map() };
  if (typeof head.sharedNames === 'number') c.sharedNames = head.sharedNames;
  for (let n = 1; n < rows.length; n++) {
    const row = rows[n]!;
    const r = parse(n) as { p?: unknown; gone?: unknown; below?: unknown } | null;
    if (typeof r?.p === 'string') {
      c.lines.set(quoted(r.p), row);
      continue;
    }
    if (typeof r?.gone === 'string') c.gone.add(quoted(r.gone));
    else if (typeof r?.below === 'string') c.below.add(quoted(r.below));
    else throw bad(n + 1);
  }
  return c;
}

/** The text of CHANGES_FILE; a key is a quoted path already, so it goes between quotes as it is. */
export function formatChanges(c: RecordChanges): string {
  const rows = [JSON.stringify({ base: c.base, bytes: c.bytes, entries: c.entries, sharedNames: c.sharedNames })];
  for (const k of c.gone) rows.push(`{"gone":"${k}"}`);
  for (const k of c.below) rows.push(`{"below":"${k}"}`);
  rows.push(...c.lines.values());
  return rows.join('\n') + '\n';
}

/** The base's lines with the changes applied, in the base's order; added files last. */
export function applyChanges(base: readonly string[], c: RecordChanges): string[] {
  const out: string[] = [];
  const placed = new Set<string>();
  for (const line of base) {
    let key: string;
    try {
      key = keyOf(line);
    } catch {
      // not a record line: kept as it is, for the reader to count (drill-check.ts)
      out.push(line);
      continue;
    }
    const now = c.lines.get(key);
    if (now !== undefined) {
      out.push(now);
      placed.add(key);
    } else if (!c.gone.has(key) && !isBelow(key, c.below)) out.push(line);
  }
  for (const [key, line] of c.lines) if (!placed.has(key)) out.push(line);
  return out;
}

const linesOf = (text: string) => text.split('\n').filter(Boolean);

/**
 * The record's lines from the texts of its two files. Changes made for another base are a
 * record damaged, or one whose writer stopped between its two files: `strict` (a tagged
 * backup, whose files were complete when its snapshot was taken) refuses it, else the base
 * alone is the record (a base is always written whole, with everything the changes held).
 */
export function mergeRecord(baseText: string, changesText: string | undefined, o: { strict: boolean; where: string }): string[] {
  const base = linesOf(baseText);
  if (changesText === undefined) return base;
  const c = parseChanges(changesText, join(o.where, CHANGES_FILE));
  if (fitsBase(baseText, c)) return applyChanges(base, c);
  if (o.strict) throw notItsBase(o.where);
  return base;
}

/** What a strict reader says of changes made for another base than the one beside them. */
export const notItsBase = (root: string) =>
  new FfError('TARGET_FAILED', `${join(root, CHANGES_FILE)} belongs to another ${CHECKSUMS_FILE} than the one beside it: the checksum record is damaged`);

/** A file's text; undefined when there is no such file. */
export const readText = (file: string) =>
  readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });

/** The record under `root` (see mergeRecord); undefined when there is none. */
export async function readRecordLines(root: string, o: { strict: boolean }): Promise<string[] | undefined> {
  const baseText = await readText(join(root, CHECKSUMS_FILE));
  if (baseText === undefined) return undefined;
  return mergeRecord(baseText, await readText(join(root, CHANGES_FILE)), { ...o, where: root });
}

/**
 * The changes under `root`, to add a tag's to, when they record the same `entries` and the base
 * beside them still has the size they name. Their base is not hashed here (that is the read
 * they save): this is only for a tree unchanged since the tag that wrote both files (a
 * target's cleanSinceLastTag).
 */
export async function readChanges(root: string, entries: readonly string[]): Promise<RecordChanges | undefined> {
  const text = await readText(join(root, CHANGES_FILE));
  if (text === undefined) return undefined;
  const c = parseChanges(text, join(root, CHANGES_FILE));
  if (c.entries.length !== entries.length || !entries.every((e) => c.entries.includes(e))) return undefined;
  const base = await lstat(join(root, CHECKSUMS_FILE)).catch(() => undefined);
  return base?.isFile() && base.size === c.bytes ? c : undefined;
}

/** Writes changes formatted by formatChanges. */
export const writeChanges = (root: string, text: string) => writeFileAtomic(join(root, CHANGES_FILE), text);

/**
 * Writes the whole record as its base. With `changesFor` (a tree written in place, whose next
 * tag may add its changes; the entries it records) empty changes naming it follow; else any
 * changes are removed. Either way the changes are written after the base: stopped in between,
 * the old ones name another base and are not applied (mergeRecord).
 */
export async function writeBase(root: string, lines: readonly string[], o: { changesFor?: readonly string[]; sharedNames?: number } = {}): Promise<void> {
  const text = lines.join('\n') + (lines.length ? '\n' : '');
  await writeFileAtomic(join(root, CHECKSUMS_FILE), text);
  if (o.changesFor) await writeChanges(root, formatChanges(noChanges(text, o.changesFor, o.sharedNames)));
  else await rm(join(root, CHANGES_FILE), { force: true });
}
