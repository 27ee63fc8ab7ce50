import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ENTRY_RE, errorMessage } from '@freezeframe/common';
import { CHANGES_FILE, CHECKSUMS_FILE, mergeRecord } from './checksum-record.js';
import { hashFiles, nameBytes, walk, type FileStat, type FileSum } from './checksums.js';
import { sampleOf, type DrillSample } from './drill-sample.js';
import { openBeneath, withDir } from './safe-fs.js';

// The drill node's half of a restore drill: the restored tree (`<drill folder>/restored`, laid
// out like the backup: one folder per entry and `.freezeframe/checksums*.jsonl`, the record the
// target kept since the backup was tagged) against that record. The tree is listed by `find -P`
// (never through a link) and only regular files found that way are read, so a link the tree
// holds can never make the agent read a file outside it.

/** Names kept in each list of a result; the totals count them all. */
export const LIST_CAP = 100;

export interface DrillCheck {
  ok: boolean;
  filesRecorded: number;
  filesExpected: number;
  filesChecked: number;
  bytesChecked: number;
  different: string[];
  missing: string[];
  extra: string[];
  differentTotal: number;
  missingTotal: number;
  extraTotal: number;
  problems: string[];
  entries: string[];
  durationMs: number;
}

/** What compareRestored found: the lists whole (the caller cuts them). */
export interface Comparison {
  filesChecked: number;
  bytesChecked: number;
  different: string[];
  missing: string[];
  extra: string[];
}

/**
 * Pure: `expected` (records of the backup's checksum record) against the regular files `found` in
 * the restored tree and the sha256 of those that were read (`hashes`, by path; a file of the
 * right size that is absent there could not be read, `unreadable` says why). A file is checked
 * when it is expected and found; it differs when its size or checksum is not the recorded one.
 */
export function compareRestored(
  expected: readonly Pick<FileSum, 'p' | 's' | 'h'>[],
  found: readonly Pick<FileStat, 'p' | 's'>[],
  hashes: ReadonlyMap<string, string>,
  unreadable: (p: string) => string = () => 'cannot be read',
): Comparison {
  const want = new Map(expected.map((e) => [e.p, e]));
  const seen = new Set<string>();
  const c: Comparison = { filesChecked: 0, bytesChecked: 0, different: [], missing: [], extra: [] };
  for (const f of found) {
    const e = want.get(f.p);
    if (!e) {
      c.extra.push(f.p);
      continue;
    }
    seen.add(f.p);
    c.filesChecked++;
    c.bytesChecked += f.s;
    if (f.s !== e.s) c.different.push(`${f.p}: ${f.s} bytes, ${e.s} recorded at backup time`);
    else {
      const h = hashes.get(f.p);
      if (h === undefined) c.different.push(`${f.p}: ${unreadable(f.p)}`);
      else if (h !== e.h) c.different.push(`${f.p}: checksum differs from the one recorded at backup time`);
    }
  }
  for (const e of expected) if (!seen.has(e.p)) c.missing.push(e.p);
  c.different.sort();
  c.missing.sort();
  c.extra.sort();
  return c;
}

/**
 * The checksum record of the restored tree, read without following a link (it came from the
 * target; a link there must not make the agent read another file). Lines that are not records
 * are counted, never echoed: their text is not ours to show.
 */
async function readRecord(root: string): Promise<{ sums?: FileSum[]; problem?: string }> {
  const [dirName, fileName] = CHECKSUMS_FILE.split('/') as [string, string];
  const changesName = CHANGES_FILE.split('/')[1]!;
  let text: string | undefined;
  let lines: string[];
  try {
    const d = await openBeneath(root, dirName);
    const texts = d ? await withDir(d, async (x) => [await x.readText(fileName), await x.readText(changesName)] as const) : undefined;
    text = texts?.[0];
    if (text === undefined) return { problem: `the restored backup holds no checksum record (${CHECKSUMS_FILE}): it was tagged by an older version, or the record did not arrive` };
    lines = mergeRecord(text, texts?.[1], { strict: true, where: 'the restored backup' });
  } catch (e) {
    return { problem: `the restored ${CHECKSUMS_FILE} cannot be read: ${errorMessage(e)}` };
  }
  const sums: FileSum[] = [];
  let bad = 0;
  for (const line of lines) {
    try {
      const r = JSON.parse(line) as FileSum;
      if (typeof r.p === 'string' && typeof r.s === 'number' && typeof r.h === 'string') sums.push(r);
      else bad++;
    } catch {
      bad++;
    }
  }
  return bad > 0 ? { sums, problem: `${bad} line(s) of the restored ${CHECKSUMS_FILE} are not checksum records` } : { sums };
}

const cap = (l: string[]) => l.slice(0, LIST_CAP);

/**
 * Checks the restored tree at `root` (a path the caller reached without links): every expected
 * file (all recorded, or the sample) must be there as a regular file with its recorded size and
 * sha256; regular files the record does not list are extra. `ok` only when nothing differs, is
 * missing or extra and the record was read whole.
 */
export async function checkRestored(root: string, sample?: DrillSample): Promise<DrillCheck> {
  const started = Date.now();
  const problems: string[] = [];
  const rec = await readRecord(root);
  if (rec.problem) problems.push(rec.problem);
  const recorded = rec.sums ?? [];
  const expected = sample ? sampleOf(recorded, sample) : recorded;
  // top level: the entries (folders named like one) and the record's folder; anything else is extra
  const entries: string[] = [];
  const strays: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true })) {
    if (e.name === '.freezeframe') continue;
    if (e.isDirectory() && ENTRY_RE.test(e.name) && !e.name.includes('..')) entries.push(e.name);
    else strays.push(e.name);
  }
  entries.sort();
  const found: FileStat[] = [];
  for (const entry of entries) await walk(root, entry, found);
  const want = new Set(expected.map((e) => e.p));
  const size = new Map(expected.map((e) => [e.p, e.s]));
  const toHash = found.filter((f) => want.has(f.p) && size.get(f.p) === f.s);
  const { sums: hashes, errors } = await hashFiles(root, toHash.map(nameBytes));
  const c = compareRestored(expected, found, hashes, (p) => `cannot be read: ${errors.find((x) => x.includes(p)) ?? errors[0] ?? 'unknown error'}`);
  c.extra.push(...strays);
  c.extra.sort();
  return {
    ok: problems.length === 0 && c.different.length === 0 && c.missing.length === 0 && c.extra.length === 0,
    filesRecorded: recorded.length,
    filesExpected: expected.length,
    filesChecked: c.filesChecked,
    bytesChecked: c.bytesChecked,
    different: cap(c.different),
    missing: cap(c.missing),
    extra: cap(c.extra),
    differentTotal: c.different.length,
    missingTotal: c.missing.length,
    extraTotal: c.extra.length,
    problems,
    entries,
    durationMs: Date.now() - started,
  };
}

/** The restored tree inside a drill's folder: the backup root as the target sent it. */
export const RESTORED = 'restored';

/** `<drill folder>/restored`, for messages and the check. */
export const restoredPath = (drillFolder: string) => join(drillFolder, RESTORED);
