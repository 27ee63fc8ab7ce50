import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { entryName } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startRig, type Rig } from './support/fault-rig.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim();

// End-to-end fidelity (docs/reliability.md): the sender's per-file checksums are compared with
// what landed on the target before the tag, and `backup --deep` compares by content what rsync's
// quick check would skip. Real agents, the real director CLI and real rsync on loopback; a dir
// source and a dir target.

const skip = needsRoot('end-to-end fidelity checks', ['rsync']);

const json = (s: string) => JSON.parse(s) as Record<string, any>;
const SIZE = 256 << 10;
/** An mtime no snapshot window of these tests comes near, so only --deep can see a change under it. */
const OLD = new Date('2020-01-02T03:04:05Z');

describe.skipIf(skip)('end-to-end fidelity and backup --deep (dir target)', () => {
  let rig: Rig;
  let vol = '';
  const entry = () => entryName('src-1', vol);
  const backupDir = (id: string) => join(rig.root, 'tgt', 'backups', id, entry());
  const partialDir = () => join(rig.root, 'tgt', 'backups', '.partial');

  const backup = async (extra: string[] = [], env?: Record<string, string>) => {
    const r = await rig.director(['backup', '--json', ...extra], env);
    return { ...r, out: r.stdout ? json(r.stdout) : {} };
  };

  beforeAll(async () => {
    rig = await startRig(
      (root) => {
        vol = join(root, 'src-1', 'data');
        mkdirSync(join(vol, 'sub'), { recursive: true });
        mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
        return [
          { name: 'tgt', roles: `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n` },
          { name: 'src-1', roles: `source: { kind: dir, volume: ${vol} }\n` },
        ];
      },
      { prefix: 'ff-fidelity-' },
    );
  }, 120_000);

  afterAll(async () => {
    await rig?.stop();
  });

  it('a normal backup passes the check: every file sent is compared on the target', async () => {
    onTestFailed(() => console.error(rig.logs()));
    for (let i = 0; i < 20; i++) writeFileSync(join(vol, 'sub', `f${i}`), `file ${i}\n`.repeat(i + 1));
    // a name rsync escapes in its output (newline, non-UTF-8 byte, a literal \#)
    writeFileSync(Buffer.from(join(vol, 'odd\n\xff \\#123 name'), 'latin1'), 'odd');
    writeFileSync(join(vol, 'quiet'), Buffer.alloc(SIZE, 'a'));
    utimesSync(join(vol, 'quiet'), OLD, OLD);
    const b = await backup();
    expect(b.code, b.stderr).toBe(0);
    expect(b.out.record.fidelity, JSON.stringify(b.out.record)).toEqual({ files: 22, sources: ['src-1'] });
    expect(b.out.record.transfers['src-1'].sentChecksums).toBe(22);
    // an incremental backup checks only what it sent
    writeFileSync(join(vol, 'sub', 'f3'), 'changed\n');
    const b2 = await backup();
    expect(b2.code, b2.stderr).toBe(0);
    // f3, and the files the second pass compares again when they were written within a second of backup 1's read
    expect(b2.out.record.fidelity.sources).toEqual(['src-1']);
    const rechecked = b2.out.record.transfers['src-1'].rechecked ?? 0;
    if (rechecked === 0) expect(b2.out.record.fidelity.files).toBe(1);
    else expect(b2.out.record.fidelity.files).toBeLessThanOrEqual(1 + rechecked);
    expect(rig.logs()).toMatch(/fidelity: sender's checksums compared/);
  });

  it('without --deep a same-size change under a restored mtime is not sent; --deep finds it, counts 1 and stores it', async () => {
    onTestFailed(() => console.error(rig.logs()));
    writeFileSync(join(vol, 'quiet'), Buffer.alloc(SIZE, 'b'));
    utimesSync(join(vol, 'quiet'), OLD, OLD);
    expect(statSync(join(vol, 'quiet')).mtimeMs).toBe(OLD.getTime());

    const plain = await backup();
    expect(plain.code, plain.stderr).toBe(0);
    // rsync's quick check saw the same size and mtime: the backup keeps the stale copy
    expect(readFileSync(join(backupDir(plain.out.backupId), 'quiet'))).toEqual(Buffer.alloc(SIZE, 'a'));
    expect(plain.out.record.deep).toBeUndefined();

    const deep = await backup(['--deep']);
    expect(deep.code, deep.stderr).toBe(0);
    expect(deep.out.record.deep, JSON.stringify(deep.out.record)).toEqual({ contentOnly: 1 });
    expect(deep.out.record.transfers['src-1'].contentOnly).toBe(1);
    expect(readFileSync(join(backupDir(deep.out.backupId), 'quiet'))).toEqual(Buffer.alloc(SIZE, 'b'));
    // and its record says so for `show`
    const shown = await rig.director(['show', deep.out.backupId]);
    expect(shown.stdout).toMatch(/deep: every file compared by content; 1 file\(s\) differed though size and mtime were equal/);
  });

  it('a file altered on the target after it landed and before the tag: the tag is refused, naming the file, and nothing is tagged', async () => {
    onTestFailed(() => console.error(rig.logs()));
    writeFileSync(join(vol, 'victim'), Buffer.alloc(SIZE, 'v'));
    const before = readdirSync(join(rig.root, 'tgt', 'backups')).filter((n) => !n.startsWith('.'));
    const d = rig.directorProc(['backup', '--json'], { FREEZEFRAME_FAILPOINT: 'slow-tag', FREEZEFRAME_FAILPOINT_MS: '6000' });
    const exit = d.proc.done.then(
      () => 0,
      (e: { details?: { exitCode?: number } }) => e.details?.exitCode ?? -1,
    );
    // wait for the file to land in the target's working tree, then flip one byte (same size, same mtime)
    let landed = '';
    for (let i = 0; i < 200 && !landed; i++) {
      await sleep(50);
      const ids = existsSync(partialDir()) ? readdirSync(partialDir()) : [];
      for (const id of ids) {
        const f = join(partialDir(), id, entry(), 'victim');
        if (existsSync(f) && statSync(f).size === SIZE) landed = f;
      }
    }
    expect(landed, 'victim never landed on the target').not.toBe('');
    const st = statSync(landed);
    const bytes = readFileSync(landed);
    bytes[1000] = 0x58;
    writeFileSync(landed, bytes);
    utimesSync(landed, st.atime, st.mtime);
    const r = await exit;
    const out = d.out() + d.err();
    expect(r, out).toBe(1);
    expect(out).toMatch(/FIDELITY_FAILED/);
    expect(out).toMatch(/tag refused on tgt: source src-1 \(node src-1\), entry src-1@\S+: 1 of 1 file\(s\) sent differ on the target from what the sender read: victim/);
    // not tagged: the target holds no new backup
    expect(readdirSync(join(rig.root, 'tgt', 'backups')).filter((n) => !n.startsWith('.'))).toEqual(before);
  });

  it('a file stamped in the previous snapshot\'s second and sent by the first pass is not compared again', async () => {
    onTestFailed(() => console.error(rig.logs()));
    // every file far from any snapshot's second, so only the rewrites below fall in backup 1's
    execFileSync('find', [vol, '-type', 'f', '-exec', 'touch', '-d', OLD.toISOString(), '{}', '+']);
    const b1 = await backup();
    expect(b1.code, b1.stderr).toBe(0);
    const times = json(readFileSync(join(rig.root, 'src-1', 'run', 'snapshot-times.json'), 'utf8')) as unknown as Array<{ backupId: string; toMs: number }>;
    const read = times.find((t) => t.backupId === b1.out.backupId);
    expect(read, JSON.stringify(times)).toBeDefined();
    // rewritten with another size (the quick check sends them) and stamped inside backup 1's read:
    // the second pass's listing holds all five, and the first pass sent all five
    const inWindow = new Date(read!.toMs);
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(vol, 'sub', `f${i}`), `rewritten ${i}\n`.repeat(40 + i));
      utimesSync(join(vol, 'sub', `f${i}`), inWindow, inWindow);
    }
    const b2 = await backup();
    expect(b2.code, b2.stderr).toBe(0);
    expect(b2.out.record.transfers['src-1'].rechecked ?? 0, JSON.stringify(b2.out.record.transfers)).toBe(0);
    expect(b2.out.record.fidelity.files).toBe(5);
    for (let i = 0; i < 5; i++) expect(readFileSync(join(backupDir(b2.out.backupId), 'sub', `f${i}`), 'utf8')).toBe(`rewritten ${i}\n`.repeat(40 + i));
  });

  it('a file written just before the snapshot began, stamped to the nanosecond, is not compared again by the next backup', async () => {
    onTestFailed(() => console.error(rig.logs()));
    execFileSync('find', [vol, '-type', 'f', '-exec', 'touch', '-d', OLD.toISOString(), '{}', '+']);
    const names = [0, 1, 2, 3, 4].map((i) => join(vol, 'sub', `g${i}`));
    // stamped before the snapshot (here: the live folder's read) began, and in the wide window of
    // its second (+-1 s) that the pass used before; tried again when the director's time to the
    // read put the stamp out of that window
    let inWide = false;
    let laterS = 0;
    const tries: string[] = [];
    for (let i = 0; i < 8 && !inWide; i++) {
      // the stamp at the start of its second leaves the director the longest time (2 s) for the
      // read to begin within the next one; tries a second apart would keep any other fraction
      await new Promise((r) => setTimeout(r, (1400 - (Date.now() % 1000)) % 1000));
      const start = Date.now();
      // never the second itself: a stamp with no fraction may be a whole-second one, which the
      // pass must compare (recheck.ts); a timer that fired on the millisecond made it one. A
      // loaded machine's director took 2-3 s to the read: the stamp moves that many seconds on,
      // ahead of the clock when written (only the stamp against the read's time matters)
      const stamp = new Date(Math.floor((start - 400) / 1000) * 1000 + 1000 * laterS + 7);
      for (const [k, n] of names.entries()) {
        writeFileSync(n, `try ${i} file ${k}\n`);
        utimesSync(n, stamp, stamp);
      }
      const b1 = await backup();
      expect(b1.code, b1.stderr).toBe(0);
      const times = json(readFileSync(join(rig.root, 'src-1', 'run', 'snapshot-times.json'), 'utf8')) as unknown as Array<{ backupId: string; fromMs: number }>;
      const fromMs = times.find((t) => t.backupId === b1.out.backupId)!.fromMs;
      inWide = stamp.getTime() < fromMs - 100 && stamp.getTime() >= Math.floor((fromMs - 1000) / 1000) * 1000;
      tries.push(`read ${fromMs - start} ms after the start, stamp ${laterS} s on`);
      // with k seconds on, the read may begin 1000k - 293 to 1000k + 1600 ms after the start
      laterS = Math.max(0, Math.ceil((fromMs - start - 1300) / 1000));
    }
    console.info(`stamp tries: ${tries.join('; ')}`);
    expect(inWide, `the stamp never fell within a second of the read in 8 tries: ${tries.join('; ')}`).toBe(true);
    const b2 = await backup();
    expect(b2.code, b2.stderr).toBe(0);
    expect(b2.out.record.transfers['src-1'].rechecked ?? 0, JSON.stringify(b2.out.record.transfers)).toBe(0);
  });
});
