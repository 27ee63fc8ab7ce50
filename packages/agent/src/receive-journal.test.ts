import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, run } from '@freezeframe/common';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANGES_FILE } from './checksum-record.js';
import { CHECKSUMS_FILE, readSums, recordChecksums, updateChecksums, type FileSum } from './checksums.js';
import { dropJournals, journalArgs, journalFor, parseJournal, readJournal, spoilJournal, startJournalRun, type EntryChanges } from './receive-journal.js';

const ID = '20261129_170000';
const ENTRY = 'src@+data';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ff-journal-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T = '2026/11/29 17:01:39';

describe('parseJournal', () => {
  const runs = (...pids: number[]) => pids.map((p, i) => `start r${i}\nend r${i} ${p} 0\n`).join('');

  it('reads the items of every receive that ended well; folders and deletions apart; names decoded', () => {
    const text = [
      `${T} [7] receiving file list`,
      `${T} [7] *deleting   gone/sub/`,
      `${T} [7] .d..t...... ./`,
      `${T} [7] >f.st...... a\\#012b`,
      `${T} [7] cd+++++++++ new/`,
      `${T} [7] cL+++++++++ link`,
      `${T} [7] sent 10 bytes  received 20 bytes  total size 30`,
      `${T} [9] hf+++++++++ h`,
      `${T} [9] sent 1 bytes  received 2 bytes  total size 3`,
    ].join('\n');
    const c = parseJournal(text, runs(7, 9)) as EntryChanges;
    expect(c.changed.map((b) => b.toString('latin1'))).toEqual(['gone/sub', 'a\nb', 'new', 'link', 'h']);
    expect(c.notFolders.map((b) => b.toString('latin1'))).toEqual(['gone/sub', 'a\nb', 'link', 'h']);
  });

  it('is not trusted after a receive that failed, never ended, logged no last line, or was spoiled; nor with a line it does not know', () => {
    const ok = `${T} [7] >f+++++++++ a\n${T} [7] sent 1 bytes  received 2 bytes  total size 3\n`;
    expect(parseJournal(ok, runs(7))).toMatchObject({ changed: [Buffer.from('a')] });
    expect(parseJournal(ok, 'start r0\nend r0 7 23\n')).toHaveProperty('untrusted');
    expect(parseJournal(ok, 'start r0\n')).toHaveProperty('untrusted');
    expect(parseJournal(`${T} [7] >f+++++++++ a\n`, runs(7))).toHaveProperty('untrusted');
    expect(parseJournal(ok, `${runs(7)}spoiled\n`)).toHaveProperty('untrusted');
    // a receive whose log could not be opened logs nothing: its pid has no last line
    expect(parseJournal(ok, runs(7, 8))).toHaveProperty('untrusted');
    expect(parseJournal(`${ok}${T} [7] rsync: something else\n`, runs(7))).toHaveProperty('untrusted');
    expect(parseJournal(`${T} [5] >f+++++++++ a\n${ok}`, runs(7))).toHaveProperty('untrusted');
  });
});

describe('journalFor', () => {
  it('the first receive of a backup decides for all of its entries; a new backup drops the old journals', async () => {
    const runDir = tmp();
    let asked = 0;
    const clean = async () => (asked++, true);
    const a = await journalFor(runDir, ID, ENTRY, clean);
    expect(a).toBe(join(runDir, 'journal', ID, `${ENTRY}.log`));
    writeFileSync(a!, '');
    expect(await journalFor(runDir, ID, 'other@+x', async () => false)).toBeDefined();
    expect(asked).toBe(1);
    const next = '20261129_180000';
    expect(await journalFor(runDir, next, ENTRY, async () => false)).toBeUndefined();
    expect(await journalFor(runDir, next, ENTRY, clean)).toBeUndefined();
    expect(() => readFileSync(a!)).toThrow();
    await dropJournals(runDir, next);
  });

  it("the backup's other entries, asking while the first one decides, wait for its decision", async () => {
    const runDir = tmp();
    const slow = () => new Promise<boolean>((r) => setTimeout(() => r(true), 50));
    const got = await Promise.all([journalFor(runDir, ID, 'a@+x', slow), journalFor(runDir, ID, 'b@+x', slow), journalFor(runDir, ID, 'c@+x', slow)]);
    expect(got.every((f) => f !== undefined)).toBe(true);
  });
});

/** Folders for a sender's tree, a target root with the entry, a run dir, and a remote shell that runs its command here. */
function rig() {
  const base = tmp();
  const root = join(base, 'target');
  const rsh = join(base, 'rsh');
  writeFileSync(rsh, '#!/bin/sh\nshift\nexec sh -c "$*"\n', { mode: 0o755 });
  return { src: join(base, 'src'), root, dst: join(root, ENTRY), runDir: join(base, 'run'), rsh };
}

/**
 * Under `src` (holding grows, deleted, gone/sub/g, d1/d2/c, was-dir/f and was-file): a file that
 * grows, deletions of a file and of a folder tree, a folder replaced by a symlink and one by a
 * file, a file replaced by nested folders.
 */
function reshape(src: string): void {
  writeFileSync(join(src, 'grows'), 'grows and grows\n');
  rmSync(join(src, 'deleted'));
  rmSync(join(src, 'gone'), { recursive: true });
  rmSync(join(src, 'd1', 'd2'), { recursive: true });
  symlinkSync('/etc', join(src, 'd1', 'd2'));
  rmSync(join(src, 'was-dir'), { recursive: true });
  writeFileSync(join(src, 'was-dir'), 'now a file\n');
  rmSync(join(src, 'was-file'));
  mkdirSync(join(src, 'was-file', 'deeper'), { recursive: true });
  writeFileSync(join(src, 'was-file', 'deeper', 'n'), 'n\n');
}

/**
 * Sends `src` into `dst` as the data channel's receiver runs rsync (`--server`, in place, with the
 * journal): rsync starts it through a remote shell that runs the command here.
 */
async function receive(src: string, dst: string, journal: string, rsh: string): Promise<void> {
  const r = await startJournalRun(journal);
  // the remote shell joins its arguments into one command line: each option of ours is quoted
  const receiver = ['rsync', ...journalArgs(journal).map((a) => `'${a}'`)].join(' ');
  const res = await run({
    bin: findBinary('rsync'),
    args: ['-aH', '--numeric-ids', '--delete', '--inplace', '--no-whole-file', '--rsh', rsh, `--rsync-path=${receiver}`, `${src}/`, `x:${dst}/`],
    timeoutMs: 60_000,
  });
  // the receiver's pid, as its log lines carry it: the only one in the journal's last lines
  const pids = [...readFileSync(journal, 'latin1').matchAll(/\[(\d+)\] sent /g)].map((m) => Number(m[1]));
  await r.end(pids.at(-1), res.code);
}

describe('a record from the journal of a real rsync receiver', () => {
  it('equals a record of every file hashed anew, through deletions, replaced folders, links and odd names', async () => {
    const { src, root, dst, runDir, rsh } = rig();
    mkdirSync(join(src, 'd1', 'd2'), { recursive: true });
    mkdirSync(join(src, 'gone', 'sub'), { recursive: true });
    mkdirSync(join(src, 'was-dir'));
    mkdirSync(dst, { recursive: true });
    mkdirSync(join(src, 'keep'));
    for (const n of ['same-size', 'grows', 'deleted', 'd1/d2/c', 'gone/sub/g', 'was-dir/f', 'was-file', 'touched', 'chmod', 'linked', 'moved', 'kept', 'd1/kept', 'keep/kept']) {
      writeFileSync(join(src, n), `${n}\n`);
    }
    const odd = Buffer.concat([Buffer.from(`${src}/odd \\#012 \n`), Buffer.from([0xff])]);
    writeFileSync(odd, 'odd');
    await run({ bin: findBinary('rsync'), args: ['-aH', '--numeric-ids', `${src}/`, `${dst}/`], timeoutMs: 60_000 });
    await recordChecksums(root, [ENTRY]);

    // rewrites keep their size and get an mtime a minute back: rsync's quick check compares whole
    // seconds, and a rewrite within the copy's second would be skipped (by rsync, not the journal)
    const old = Date.now() / 1000 - 60;
    writeFileSync(join(src, 'same-size'), 'SAME-SIZE\n');
    utimesSync(join(src, 'same-size'), old, old);
    reshape(src);
    utimesSync(join(src, 'touched'), old, old);
    chmodSync(join(src, 'chmod'), 0o600);
    linkSync(join(src, 'linked'), join(src, 'linked-too'));
    renameSync(join(src, 'moved'), join(src, 'd1', 'moved'));
    writeFileSync(odd, 'ODD');
    utimesSync(odd, old, old);

    const journal = (await journalFor(runDir, ID, ENTRY, async () => true))!;
    await receive(src, dst, journal, rsh);
    const changes = await readJournal(runDir, ID, ENTRY);
    expect(changes).not.toHaveProperty('untrusted');
    const r = await updateChecksums(root, new Map([[ENTRY, changes as EntryChanges]]));
    // the three files nothing touched keep their lines; every other file is hashed again
    expect(r).toMatchObject({ files: 13, reused: 3, hashed: 10 });
    const fromJournal = (await readSums(root))!;

    rmSync(join(root, CHECKSUMS_FILE));
    await recordChecksums(root, [ENTRY]);
    const anew = (await readSums(root))!;
    const byPath = (a: typeof anew) => [...a].sort((x, y) => (x.p < y.p ? -1 : 1));
    expect(byPath(fromJournal)).toEqual(byPath(anew));
    expect(anew.map((s) => s.p)).toContain(`${ENTRY}/was-file/deeper/n`);
    expect(anew.map((s) => s.p)).toContain(`${ENTRY}/d1/moved`);
  });

  it('a file below a folder the receiver replaced by a symlink is never read', async () => {
    const root = tmp();
    mkdirSync(join(root, ENTRY, 'd'), { recursive: true });
    writeFileSync(join(root, ENTRY, 'd', 'f'), 'f\n');
    await recordChecksums(root, [ENTRY]);
    const outside = tmp();
    writeFileSync(join(outside, 'f'), 'secret\n');
    rmSync(join(root, ENTRY, 'd'), { recursive: true });
    symlinkSync(outside, join(root, ENTRY, 'd'));
    // as if the journal named the file below the link too (it never does: the check is the walk's)
    const r = await updateChecksums(root, new Map([[ENTRY, { changed: [Buffer.from('d'), Buffer.from('d/f')], notFolders: [Buffer.from('d')] }]]));
    expect(r).toMatchObject({ files: 0, hashed: 0 });
    expect(await readSums(root)).toEqual([]);
  });

  it('a spoiled journal is not trusted', async () => {
    const runDir = tmp();
    const journal = (await journalFor(runDir, ID, ENTRY, async () => true))!;
    writeFileSync(journal, '');
    await spoilJournal(journal);
    expect(await readJournal(runDir, ID, ENTRY)).toHaveProperty('untrusted');
  });
});

describe('a record kept as its changes', () => {
  const byPath = (a: readonly FileSum[]) => [...a].sort((x, y) => (x.p < y.p ? -1 : 1));
  /** Every file of the entry hashed anew; the record's files are set aside and put back. */
  const truth = async (root: string) => {
    const kept = [CHECKSUMS_FILE, CHANGES_FILE].map((f) => [f, existsSync(join(root, f)) ? readFileSync(join(root, f)) : undefined] as const);
    for (const [f] of kept) rmSync(join(root, f), { force: true });
    await recordChecksums(root, [ENTRY]);
    const sums = byPath((await readSums(root))!);
    for (const [f, data] of kept) {
      if (data) writeFileSync(join(root, f), data);
      else rmSync(join(root, f), { force: true });
    }
    return sums;
  };

  it('follows every change through backups without reading the whole record, until a changed file has other names or the changes outgrow their share', async () => {
    const { src, root, dst, runDir, rsh } = rig();
    for (const d of ['fill', 'gone/sub', 'd1/d2', 'was-dir']) mkdirSync(join(src, d), { recursive: true });
    mkdirSync(dst, { recursive: true });
    // files nothing touches until the last round: the record is large against one round's changes
    for (let i = 0; i < 300; i++) writeFileSync(join(src, 'fill', `f${i}`), `fill ${i}\n`);
    for (const n of ['grows', 'deleted', 'gone/sub/g', 'd1/d2/c', 'was-dir/f', 'was-file', 'linked', 'later-deleted']) writeFileSync(join(src, n), `${n}\n`);
    await run({ bin: findBinary('rsync'), args: ['-aH', '--numeric-ids', `${src}/`, `${dst}/`], timeoutMs: 60_000 });
    await recordChecksums(root, [ENTRY], { changesNext: true });
    const baseText = readFileSync(join(root, CHECKSUMS_FILE), 'utf8');

    const round = async (n: number, change: () => void) => {
      change();
      const id = `20261129_17000${n}`;
      const journal = (await journalFor(runDir, id, ENTRY, async () => true))!;
      await receive(src, dst, journal, rsh);
      const changes = await readJournal(runDir, id, ENTRY);
      expect(changes).not.toHaveProperty('untrusted');
      const r = await updateChecksums(root, new Map([[ENTRY, changes as EntryChanges]]));
      expect(byPath((await readSums(root))!)).toEqual(await truth(root));
      return r;
    };

    // deletions, a folder replaced by a symlink and one by a file, a file replaced by folders
    const r1 = await round(1, () => {
      reshape(src);
    });
    expect(r1).toMatchObject({ wrote: 'changes', hashed: 3 });
    expect(readFileSync(join(root, CHECKSUMS_FILE), 'utf8')).toBe(baseText);

    // files again below folders the last round deleted; a file that round wrote, deleted
    const r2 = await round(2, () => {
      mkdirSync(join(src, 'gone', 'sub'), { recursive: true });
      writeFileSync(join(src, 'gone', 'sub', 'g'), 'back again\n');
      rmSync(join(src, 'd1', 'd2'));
      mkdirSync(join(src, 'd1', 'd2'));
      writeFileSync(join(src, 'd1', 'd2', 'c'), 'c, a new one\n');
      rmSync(join(src, 'was-dir'));
      rmSync(join(src, 'later-deleted'));
    });
    expect(r2).toMatchObject({ wrote: 'changes', hashed: 2 });
    expect(readFileSync(join(root, CHECKSUMS_FILE), 'utf8')).toBe(baseText);

    // a new name of a file: a write in place changes every name of an inode, and only the whole record knows them
    const r3 = await round(3, () => linkSync(join(src, 'linked'), join(src, 'linked-too')));
    expect(r3).toMatchObject({ wrote: 'record' });
    expect(readFileSync(join(root, CHANGES_FILE), 'utf8').trim().split('\n')).toHaveLength(1);

    const r4 = await round(4, () => writeFileSync(join(src, 'grows'), 'grows once more, longer\n'));
    expect(r4).toMatchObject({ wrote: 'changes', hashed: 1 });

    // half the files rewritten: the changes would outgrow their share of the record
    const r5 = await round(5, () => {
      for (let i = 0; i < 150; i++) writeFileSync(join(src, 'fill', `f${i}`), `fill ${i}, rewritten\n`);
    });
    expect(r5).toMatchObject({ wrote: 'record', hashed: 150 });
  });
});
