import { describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, run, spawnProcess } from '@freezeframe/common';
import {
  archiveFlags,
  bytesRead,
  decodeRsyncName,
  differsIn,
  isContentOnlyChange,
  isSentFile,
  latestProgress,
  parseItemLine,
  parseProgressLine,
  parseRemoteCommand,
  parseStats,
  parseVersion,
  progressFromReads,
  rsyncFileSums,
  rsyncPushArgs,
  rsyncVersion,
  type RsyncProgress,
} from './rsync.js';

// Recorded from rsync 3.5.0 (protocol 32): `rsync -aHAX --numeric-ids --delete --inplace
// --info=progress2 --stats` of a 50 MB tree, '\r' shown as line breaks.
const PROGRESS = [
  '         32,768   0%    0.00kB/s    0:00:00  ',
  '     50,000,000  99%  213.69MB/s    0:00:00 (xfr#1, to-chk=4/7)',
  '     50,300,003  99%  210.26MB/s    0:00:00 (xfr#3, to-chk=0/7)',
];
const STATS = `
Number of files: 7 (reg: 4, dir: 2, link: 1)
Number of created files: 6 (reg: 4, dir: 1, link: 1)
Number of deleted files: 0
Number of regular files transferred: 3
Total file size: 50,300,007 bytes
Total transferred file size: 50,300,003 bytes
Literal data: 50,300,003 bytes
Matched data: 0 bytes
File list size: 0
File list generation time: 0.001 seconds
File list transfer time: 0.000 seconds
Total bytes sent: 50,312,601
Total bytes received: 108

sent 50,312,601 bytes  received 108 bytes  100,625,418.00 bytes/sec
total size is 50,300,007  speedup is 1.00
`;
// second run, one small file changed
const STATS_SMALL_CHANGE = `Number of files: 7 (reg: 4, dir: 2, link: 1)
Number of created files: 0
Number of deleted files: 0
Number of regular files transferred: 1
Total file size: 50,300,011 bytes
Total transferred file size: 5 bytes
Literal data: 5 bytes
Matched data: 0 bytes
File list size: 0
File list generation time: 0.001 seconds
File list transfer time: 0.000 seconds
Total bytes sent: 232
Total bytes received: 54

sent 232 bytes  received 54 bytes  572.00 bytes/sec
total size is 50,300,011  speedup is 175,874.16
`;

describe('rsync output parsers', () => {
  it('parses progress2 lines', () => {
    expect(parseProgressLine(PROGRESS[0]!)).toEqual({ bytes: 32768, percent: 0, rate: '0.00kB/s', filesChecked: 0 });
    expect(parseProgressLine(PROGRESS[1]!)).toEqual({ bytes: 50_000_000, percent: 99, rate: '213.69MB/s', filesChecked: 3 });
    expect(parseProgressLine(PROGRESS[2]!)).toEqual({ bytes: 50_300_003, percent: 99, rate: '210.26MB/s', filesChecked: 7 });
    expect(parseProgressLine('Number of files: 7 (reg: 4, dir: 2, link: 1)')).toBeUndefined();
    expect(parseProgressLine('')).toBeUndefined();
  });

  it('reports the last progress line of those that arrive together, and each later one', async () => {
    const seen: number[] = [];
    const line = latestProgress((p) => seen.push(p.bytes));
    for (const l of PROGRESS) line(l);
    line('Number of files: 7 (reg: 4, dir: 2, link: 1)');
    expect(seen).toEqual([]);
    await Promise.resolve();
    expect(seen).toEqual([50_300_003]);
    line(PROGRESS[0]!);
    await Promise.resolve();
    expect(seen).toEqual([50_300_003, 32768]);
    // other lines, with a percent sign or not, neither report nor hide the progress before them
    line(PROGRESS[1]!);
    line('100% sure');
    line('Total bytes sent: 50,312,601 (3%)');
    await Promise.resolve();
    expect(seen).toEqual([50_300_003, 32768, 50_000_000]);
  });

  it('parses the --stats block', () => {
    expect(parseStats(PROGRESS.join('\r') + '\n' + STATS)).toEqual({
      filesTotal: 7,
      filesTransferred: 3,
      bytesTotal: 50_300_007,
      bytesTransferred: 50_300_003,
      bytesSent: 50_312_601,
    });
    expect(parseStats(STATS_SMALL_CHANGE)).toMatchObject({ filesTransferred: 1, bytesTotal: 50_300_011, bytesTransferred: 5, bytesSent: 232 });
  });

  it('refuses output without stats', () => {
    expect(() => parseStats('sent 1 bytes')).toThrow(/Number of files/);
  });

  it('parses the version line', async () => {
    expect(parseVersion('rsync  version 3.5.0  protocol version 32\nCopyright (C) 1996-2026\n')).toBe('3.5.0 protocol 32');
    expect(await rsyncVersion()).toMatch(/^\d+\.\d+\.\d+\S* protocol \d+$/);
  });

  it('builds the push argv with the tunnel as rsh', () => {
    const args = rsyncPushArgs({ from: '/snap/vol/', inplace: true, deleteMode: 'delete-after', tunnelScript: '/opt/ff/tunnel.js' });
    expect(args).toEqual([
      '-aHAX', '--numeric-ids', '--delete-after', '--inplace', '--info=progress2', '--stats',
      '--rsh', `${process.execPath} /opt/ff/tunnel.js`, '/snap/vol/', 'ff:.',
    ]);
    expect(rsyncPushArgs({ from: '/a', inplace: false, deleteMode: 'delete', tunnelScript: '/x y/t.js' })).toContain(`${process.execPath} '/x y/t.js'`);
    expect(rsyncPushArgs({ from: '/a', inplace: false, deleteMode: 'delete', tunnelScript: '/t.js', checksum: true })).toContain('--checksum');
    // only a backup to a receiver with the feature itemizes: rsync then passes it --log-format=%i
    expect(rsyncPushArgs({ from: '/a', inplace: false, deleteMode: 'delete', tunnelScript: '/t.js', itemize: true })).toContain('--out-format=FFI %i %C %n');
  });

  it('asks rsync for no progress lines when the size is known beforehand', () => {
    const args = rsyncPushArgs({ from: '/a', inplace: false, deleteMode: 'delete-after', tunnelScript: '/t.js', expectedBytes: 1 << 20 });
    expect(args).not.toContain('--info=progress2');
    expect(args).toContain('--stats');
  });

  it("counts the bytes a running process has read, from the kernel; none once it is gone", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-reads-'));
    const file = join(dir, 'data');
    writeFileSync(file, Buffer.alloc(3 << 20, 1));
    // reads the file whole, then waits to be killed
    const reader = spawnProcess({ bin: process.execPath, args: ['-e', `require('fs').readFileSync(${JSON.stringify(file)}); setInterval(() => {}, 1000);`], timeoutMs: 30_000 });
    try {
      const pid = reader.child.pid!;
      for (let i = 0; i < 500 && ((await bytesRead(pid)) ?? 0) < 3 << 20; i++) await new Promise((r) => setTimeout(r, 10));
      const n = (await bytesRead(pid))!;
      expect(n).toBeGreaterThanOrEqual(3 << 20);
      // node's own start reads little beside the file
      expect(n).toBeLessThan((3 << 20) + (8 << 20));
      const seen: RsyncProgress[] = [];
      // told a total below what it read: the percent waits at 99 for the end
      const reads = progressFromReads(pid, 1 << 20, (p) => seen.push(p), 20);
      for (let i = 0; i < 200 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      reads.stop();
      const after = seen.length;
      expect(after).toBeGreaterThanOrEqual(2);
      expect(seen[0]).toMatchObject({ bytes: n, percent: 99, filesChecked: 0, rate: expect.stringMatching(/^[\d.]+ (B|KiB|MiB|GiB)\/s$/) });
      // nothing read since the first: a rate of nothing
      expect(seen[1]).toMatchObject({ bytes: n, rate: '0 B/s' });
      await new Promise((r) => setTimeout(r, 100));
      expect(seen.length).toBe(after);
      reader.kill();
      await reader.done.catch(() => undefined);
      expect(await bytesRead(pid)).toBeUndefined();
    } finally {
      reader.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads rsync's remote command from its --debug=CMD2 line: exactly the argv its remote shell gets", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-rsh-'));
    try {
      mkdirSync(join(dir, 'from', 'sub'), { recursive: true });
      writeFileSync(join(dir, 'from', 'sub', 'a b'), 'x');
      // a remote shell that writes down its argv and fails, as stunnel would be given it
      const rsh = join(dir, 'rsh.mjs');
      writeFileSync(rsh, `#!${process.execPath}\nimport { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(join(dir, 'argv.json'))}, JSON.stringify(process.argv.slice(2)));\nprocess.exit(1);\n`);
      chmodSync(rsh, 0o755);
      for (const o of [{ inplace: true, itemize: true }, { inplace: false, checksum: true, only: join(dir, 'list') }]) {
        writeFileSync(join(dir, 'list'), 'sub\0');
        const r = await run({ bin: findBinary('rsync'), args: rsyncPushArgs({ from: join(dir, 'from'), deleteMode: 'delete', stunnel: rsh, ...o }), timeoutMs: 30_000, okExitCodes: [12, 255] });
        const line = r.stdout.split('\n').find((l) => l.startsWith('cmd[0]='));
        const argv = JSON.parse(readFileSync(join(dir, 'argv.json'), 'utf8')) as string[];
        expect(argv.slice(0, 3)).toEqual(['-fd', '3', 'ff']);
        expect(parseRemoteCommand(line!, 3)).toEqual(argv.slice(3));
        expect(argv.slice(3, 5)).toEqual(['rsync', '--server']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // words may hold spaces; another host, or a command that is not rsync's server, is not taken
    expect(parseRemoteCommand('cmd[0]=/a b cmd[1]=ff cmd[2]=rsync cmd[3]=--server cmd[4]=x y ', 1)).toEqual(['rsync', '--server', 'x y']);
    expect(parseRemoteCommand('cmd[0]=s cmd[1]=-fd cmd[2]=3 cmd[3]=elsewhere cmd[4]=rsync cmd[5]=--server ', 3)).toBeUndefined();
    expect(parseRemoteCommand('cmd[0]=s cmd[1]=-fd cmd[2]=3 cmd[3]=ff cmd[4]=sh cmd[5]=-c ', 3)).toBeUndefined();
  });

  it('an include list deletes nothing, unless a partial restore asks to delete inside what it selects', () => {
    const recheck = rsyncPushArgs({ from: '/a', inplace: false, deleteMode: 'delete', only: '/run/l', tunnelScript: '/t.js' });
    expect(recheck.slice(0, 5)).toEqual(['-aHAX', '--numeric-ids', '--from0', '--include-from=/run/l', '--exclude=*']);
    expect(recheck.filter((a) => a.startsWith('--delete'))).toEqual([]);
    const partial = rsyncPushArgs({ from: '/a', inplace: false, deleteMode: 'delete-after', only: '/run/l', deleteSelected: true, tunnelScript: '/t.js' });
    expect(partial.slice(0, 6)).toEqual(['-aHAX', '--numeric-ids', '--from0', '--include-from=/run/l', '--exclude=*', '--delete-after']);
    expect(partial).not.toContain('--delete-excluded');
  });

  // Recorded from rsync 3.5.0 pushing through an --rsh (LC_ALL=C, RSYNC_CHECKSUM_LIST=xxh128,
  // --out-format='FFI %i %C %n'), first a new tree, then with --checksum after 'a' was rewritten
  // with another size, then with the same size and mtime.
  const ITEMS = [
    'FFI <f+++++++++ b8158829212ae7d92bea8533baad38eb caf\\#303\\#251',
    'FFI <f+++++++++ 385806999be32a71ab7a25fe17cd5512 hl',
    'FFI cL+++++++++                                  l',
    'FFI <f+++++++++ 06b05ab6733a618578af5f94892f3950 we\\#ird\\#012name',
    'FFI cd+++++++++                                  d/',
    'FFI hf+++++++++                                  a',
    'FFI <fcs....... 1985d1914b19d80248451278d616786a a',
    'FFI hf.s....... 1985d1914b19d80248451278d616786a hl',
    'FFI <fc........ 6a9912dd5d8a965d661eb013761f9563 a',
    'FFI hf          6a9912dd5d8a965d661eb013761f9563 hl',
  ];

  it('parses the per-file lines: names back to bytes, the sender\'s checksum, what was sent, what only --checksum found', () => {
    const items = ITEMS.map((l) => parseItemLine(l)!);
    expect(items.every(Boolean)).toBe(true);
    expect(items[0]!.name).toEqual(Buffer.from('caf\xc3\xa9', 'latin1'));
    expect(items[3]!.name.toString('latin1')).toBe('we\\#ird\nname');
    expect(items[2]!.sum).toBeUndefined();
    expect(items.map(isSentFile)).toEqual([true, true, false, true, false, false, true, false, true, false]);
    expect(items.map(isContentOnlyChange)).toEqual([false, false, false, false, false, false, false, false, true, false]);
    expect(parseItemLine('     50,000,000  99%  213.69MB/s    0:00:00 (xfr#1, to-chk=4/7)')).toBeUndefined();
    expect(parseItemLine('FFI <f+++++++++ 1234 short')).toBeUndefined();
  });

  it('leaves -A and -X out of the flags as a source asks, and tells ACL and xattr changes apart', () => {
    expect(archiveFlags()).toBe('-aHAX');
    expect(archiveFlags(['acls'])).toBe('-aHX');
    expect(archiveFlags(['xattrs', 'acls'])).toBe('-aH');
    expect(rsyncPushArgs({ from: '/a', inplace: false, deleteMode: 'delete', tunnelScript: '/t.js', leaveOut: ['xattrs'] })[0]).toBe('-aHA');
    // recorded from rsync 3.5.0 with -aHAX after setfattr on f, setfacl on g, both on h, a new file n
    const [x, a, both, fresh] = [
      'FFI .f........x                                  f',
      'FFI .f.......a.                                  g',
      'FFI .f.......ax                                  h',
      'FFI <f+++++++++ 6a9912dd5d8a965d661eb013761f9563 n',
    ].map((l) => parseItemLine(l)!);
    expect([x, a, both, fresh].map((i) => differsIn(i!, ['acls', 'xattrs']))).toEqual([true, true, true, false]);
    expect([x, a, both].map((i) => differsIn(i!, ['acls']))).toEqual([false, true, true]);
    expect([x, a, both].map((i) => differsIn(i!, ['xattrs']))).toEqual([true, false, true]);
    expect(differsIn(x!, [])).toBe(false);
  });

  it('decodes \\#ooo escapes only, so a literal backslash-hash stays', () => {
    expect(decodeRsyncName('a\\#134#123b')).toEqual(Buffer.from('a\\#123b', 'latin1'));
    expect(decodeRsyncName('x\\#9z')).toEqual(Buffer.from('x\\#9z', 'latin1'));
  });

  it('rsyncFileSums: the same xxh128 the sender printed, for regular files only (real rsync)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-rsync-sums-'));
    try {
      const root = join(dir, 'root');
      const empty = join(dir, 'empty');
      mkdirSync(root);
      mkdirSync(empty);
      writeFileSync(join(root, 'a'), 'S\n');
      writeFileSync(Buffer.from(join(root, 'caf\xc3\xa9'), 'latin1'), Buffer.from('\xc3\xa9t\xe9', 'latin1'));
      symlinkSync('a', join(root, 'link'));
      const sums = await rsyncFileSums(root, [Buffer.from('a'), Buffer.from('caf\xc3\xa9', 'latin1'), Buffer.from('link'), Buffer.from('absent')], empty);
      expect(sums.get('a')).toBe('6a9912dd5d8a965d661eb013761f9563');
      expect(sums.get('caf\xc3\xa9')).toBe('b8158829212ae7d92bea8533baad38eb');
      expect(sums.has('link')).toBe(false);
      expect(sums.has('absent')).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
