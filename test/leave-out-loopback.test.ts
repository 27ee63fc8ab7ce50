import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { entryName } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startRig, type Rig } from './support/fault-rig.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim();

// A source's `leaveOut` (docs/config.md): its backups do not compare ACLs and xattrs, except the
// first after the setting and `backup --deep`, which also counts what differed. Real agents, the
// director CLI, rsync, setfattr/setfacl on the test's own files; a dir source and a dir target
// (whose hard-linked trees keep what an earlier backup stored on every file not sent again).

const skip = needsRoot('leaveOut of ACLs and xattrs', ['rsync', 'setfattr', 'getfattr', 'setfacl', 'getfacl']);

const json = (s: string) => JSON.parse(s) as Record<string, any>;

/** The value of xattr `user.k` of `file`, or undefined. */
function userK(file: string): string | undefined {
  try {
    return execFileSync('getfattr', ['--only-values', '-n', 'user.k', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

/** Whether `file` has an ACL entry for user nobody. */
const hasAcl = (file: string) => /^user:nobody:/m.test(execFileSync('getfacl', ['-c', '-p', file], { encoding: 'utf8' }));

describe.skipIf(skip)('a source that leaves out ACLs and xattrs (dir target)', () => {
  let rig: Rig;
  let vol = '';
  const entry = () => entryName('src-1', vol);
  const stored = (id: string, name: string) => join(rig.root, 'tgt', 'backups', id, entry(), name);
  const manifestSource = (id: string) => json(readFileSync(join(rig.root, 'tgt', 'backups', id, 'manifest.json'), 'utf8')).sources[0];

  const backup = async (extra: string[] = []) => {
    const r = await rig.director(['backup', '--json', ...extra]);
    expect(r.code, r.stderr).toBe(0);
    return { ...r, out: json(r.stdout) };
  };

  beforeAll(async () => {
    rig = await startRig(
      (root) => {
        vol = join(root, 'src-1', 'data');
        mkdirSync(vol, { recursive: true });
        mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
        return [
          { name: 'tgt', roles: `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n` },
          { name: 'src-1', roles: `source: { kind: dir, volume: ${vol}, leaveOut: [acls, xattrs] }\n` },
        ];
      },
      { prefix: 'ff-leaveout-' },
    );
  }, 120_000);

  afterAll(async () => {
    await rig?.stop();
  });

  it('compares them in the first backup, leaves them out of the next, and --deep stores and counts what differed', async () => {
    onTestFailed(() => console.error(rig.logs()));
    for (const f of ['a', 'b', 'c']) writeFileSync(join(vol, f), `${f}\n`);
    execFileSync('setfattr', ['-n', 'user.k', '-v', 'v1', join(vol, 'a')]);
    execFileSync('setfacl', ['-m', 'u:nobody:r', join(vol, 'b')]);

    // no earlier backup: the tree is compared, ACLs and xattrs included
    const b1 = await backup();
    const id1 = b1.out.backupId as string;
    expect(userK(stored(id1, 'a'))).toBe('v1');
    expect(hasAcl(stored(id1, 'b'))).toBe(true);
    expect(manifestSource(id1)).toMatchObject({ leaveOut: ['acls', 'xattrs'], leftOut: [] });
    expect(b1.out.record.transfers['src-1'].leftOut).toBeUndefined();

    // what only ACLs and xattrs show, and one content change so the backup sends something
    execFileSync('setfattr', ['-n', 'user.k', '-v', 'v2', join(vol, 'a')]);
    execFileSync('setfacl', ['-b', join(vol, 'b')]);
    writeFileSync(join(vol, 'd'), 'd\n');
    execFileSync('setfattr', ['-n', 'user.k', '-v', 'dv', join(vol, 'd')]);
    writeFileSync(join(vol, 'c'), 'c changed\n');

    const b2 = await backup();
    const id2 = b2.out.backupId as string;
    expect(b2.out.record.transfers['src-1'].leftOut).toEqual(['acls', 'xattrs']);
    expect(manifestSource(id2)).toMatchObject({ leaveOut: ['acls', 'xattrs'], leftOut: ['acls', 'xattrs'] });
    expect(readFileSync(stored(id2, 'c'), 'utf8')).toBe('c changed\n');
    // left out: the stored copy keeps what backup 1 stored, and a new file's xattr is not sent
    expect(userK(stored(id2, 'a'))).toBe('v1');
    expect(hasAcl(stored(id2, 'b'))).toBe(true);
    expect(userK(stored(id2, 'd'))).toBeUndefined();

    const b3 = await backup(['--deep']);
    const id3 = b3.out.backupId as string;
    const t3 = b3.out.record.transfers['src-1'];
    expect(t3.leftOut).toBeUndefined();
    // a's and d's xattr, b's ACL
    expect(t3.leftOutDiffered).toBe(3);
    expect(b3.out.record.warnings.join('\n')).toMatch(/src-1: 3 files or folders had acls or xattrs unlike the stored copy/);
    expect(manifestSource(id3)).toMatchObject({ leaveOut: ['acls', 'xattrs'], leftOut: [] });
    expect(userK(stored(id3, 'a'))).toBe('v2');
    expect(hasAcl(stored(id3, 'b'))).toBe(false);
    expect(userK(stored(id3, 'd'))).toBe('dv');
    // backup 2 is not changed by it: its files are not the ones --deep rewrote
    expect(userK(stored(id2, 'a'))).toBe('v1');
  }, 180_000);
});
