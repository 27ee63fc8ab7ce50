import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkBackupId, checkEntry } from '@freezeframe/common';
import { decodeRsyncName } from './tools/rsync.js';

// The receive journal: what the receiving rsyncs of one backup changed, in their own words.
//
// On a target whose working tree keeps the newest backup's files and checksum record (btrfs),
// the next record is that record with the changed files hashed again, if the tree changed only
// by receives that logged every change. Listing every file instead costs a 200k-file tag over
// a second (bench/PROFILE.md, twelfth pass). So the journal is trusted only when all of this
// holds, and else the tag lists every file as before:
// - at the backup's first receive, nothing was written to the tree since the newest backup was
//   tagged from it (btrfs: its generation), and no other receive was running;
// - every receive of the entry since then ran with `--log-file` and exited 0 (rsync logs each
//   item once it is done, and its last line only on success: a killed or failed run leaves a
//   start in `.runs` without its end, or an end without its last line);
// - nothing else rewrote the entry (a split of hard links before a retry spoils it);
// - every line of the log is one rsync writes for a successful receive.
//
// The receiver's options are the agent's own (the sender cannot pass --log-file or its format,
// allowlist.ts), and the journal lives under the agent's runDir, private to root.

const DIR = 'journal';
/** rsync's log-file line for one item: the itemized changes (11 characters), a space, the name. */
export const JOURNAL_FORMAT = '%i %n';
const CLEAN = 'clean';

const backupDir = (runDir: string, backupId: string) => join(runDir, DIR, checkBackupId(backupId));
const logFile = (runDir: string, backupId: string, entry: string) => join(backupDir(runDir, backupId), `${checkEntry(entry)}.log`);
const runsOf = (log: string) => `${log}.runs`;

/** The receiver's options that make rsync journal into `file`. */
export const journalArgs = (file: string): string[] => [`--log-file=${file}`, `--log-file-format=${JOURNAL_FORMAT}`];

/** Each backup's first receive deciding (journalFor), by journal folder. */
const deciding = new Map<string, Promise<void>>();

/**
 * The journal file for a receive of `entry` into `backupId`, or undefined when this backup's
 * receives cannot be trusted to say every change. The first receive of a backup decides, with
 * `clean` (see the head of this file); later ones follow that decision. Journals of other
 * backups (a failed run's) are dropped then.
 */
export async function journalFor(runDir: string, backupId: string, entry: string, clean: () => Promise<boolean>): Promise<string | undefined> {
  const dir = backupDir(runDir, backupId);
  // looked up and set with no await between: the backup's other entries ask at once, and wait
  // for the same decision
  let decided = deciding.get(dir);
  if (!decided) {
    decided = decide(runDir, backupId, clean);
    deciding.set(dir, decided);
    void decided.finally(() => deciding.delete(dir)).catch(() => undefined);
  }
  await decided;
  const trusted = await stat(join(dir, CLEAN)).then(
    () => true,
    () => false,
  );
  return trusted ? logFile(runDir, backupId, entry) : undefined;
}

/** Made once per backup, by the folder that only its first receive creates. */
async function decide(runDir: string, backupId: string, clean: () => Promise<boolean>): Promise<void> {
  const dir = backupDir(runDir, backupId);
  await mkdir(join(runDir, DIR), { recursive: true, mode: 0o700 });
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  for (const other of await readdir(join(runDir, DIR))) if (other !== backupId) await rm(join(runDir, DIR, other), { recursive: true, force: true });
  if (await clean()) await writeFile(join(dir, CLEAN), '', { mode: 0o600 });
}

/** The entry was rewritten by something other than a journaled receive: its journal no longer says every change. */
export async function spoilJournal(file: string): Promise<void> {
  await appendFile(runsOf(file), 'spoiled\n', { mode: 0o600 });
}

/** Marks a journaled receive as started; its `end` says how it ended (`pid`: rsync's, as its log lines carry it). */
export async function startJournalRun(file: string): Promise<{ end(pid: number | undefined, exitCode: number): Promise<void> }> {
  const run = randomBytes(8).toString('hex');
  await appendFile(runsOf(file), `start ${run}\n`, { mode: 0o600 });
  return { end: (pid, exitCode) => appendFile(runsOf(file), `end ${run} ${pid ?? 0} ${exitCode}\n`) };
}

/** What the journaled receives changed under one entry: names relative to it, as bytes. */
export interface EntryChanges {
  /** Every item rsync created, changed or deleted. */
  changed: Buffer[];
  /** Of those, the ones that are not folders now (files, links, specials, deletions): nothing recorded below them still holds. */
  notFolders: Buffer[];
}

// "2026/11/29 17:01:39 [352] " before every line rsync logs
const LINE_RE = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(\d+)\] (.*)$/;
const ITEM_RE = /^([<>ch.*][fdLDS ][a-zA-Z.+? ]{9}) (.+)$/;
const LAST_RE = /^sent \d+ bytes {2}received \d+ bytes {2}total size \d+$/;

/**
 * The changes journaled for `entry` of `backupId`, or why they cannot be trusted (the tag then
 * lists every file).
 */
export async function readJournal(runDir: string, backupId: string, entry: string): Promise<EntryChanges | { untrusted: string }> {
  const file = logFile(runDir, backupId, entry);
  const [text, runs] = await Promise.all([readFile(file, 'latin1').catch(() => undefined), readFile(runsOf(file), 'utf8').catch(() => undefined)]);
  if (text === undefined || runs === undefined) return { untrusted: 'no journal of its receives' };
  return parseJournal(text, runs);
}

/** See readJournal: `text` is the log (latin1: one char per byte of a name), `runs` the receives' starts and ends. */
export function parseJournal(text: string, runs: string): EntryChanges | { untrusted: string } {
  const started = new Set<string>();
  const pids = new Set<string>();
  for (const line of runs.split('\n')) {
    if (line === '') continue;
    const [word, run, pid, code] = line.split(' ');
    if (word === 'start' && run) started.add(run);
    else if (word === 'end' && run && started.delete(run) && code === '0' && pid && pid !== '0') pids.add(pid);
    else return { untrusted: word === 'spoiled' ? 'the entry was rewritten outside a receive' : `a receive did not end well (${line})` };
  }
  if (started.size > 0) return { untrusted: 'a receive never ended' };
  const finished = new Set<string>();
  const changed: Buffer[] = [];
  const notFolders: Buffer[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = LINE_RE.exec(line);
    if (!m || !pids.has(m[1]!)) return { untrusted: `a line of no receive that ended well: ${JSON.stringify(line.slice(0, 120))}` };
    const rest = m[2]!;
    if (LAST_RE.test(rest)) finished.add(m[1]!);
    else if (rest === 'receiving file list') continue;
    else {
      const item = ITEM_RE.exec(rest);
      if (!item) return { untrusted: `a line rsync writes for no change: ${JSON.stringify(rest.slice(0, 120))}` };
      const folder = item[1]![0] !== '*' && item[1]![1] === 'd';
      const name = decodeRsyncName(item[2]!.replace(/\/$/, ''));
      // the entry's own folder ("./")
      if (name.length === 1 && name[0] === 0x2e) continue;
      changed.push(name);
      if (!folder) notFolders.push(name);
    }
  }
  for (const pid of pids) if (!finished.has(pid)) return { untrusted: `receive ${pid} logged no end` };
  return { changed, notFolders };
}

/** Drops the journals of `backupId` (once it is tagged). */
export async function dropJournals(runDir: string, backupId: string): Promise<void> {
  await rm(backupDir(runDir, backupId), { recursive: true, force: true });
}
