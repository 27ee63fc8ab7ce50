import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPathsInBackup } from './restore-source.js';

describe('partial restore: the paths must be in the backup, reached through folders only', () => {
  const tree = mkdtempSync(join(tmpdir(), 'ff-paths-'));
  afterAll(() => rmSync(tree, { recursive: true, force: true }));
  mkdirSync(join(tree, 'sub', 'dir'), { recursive: true });
  writeFileSync(join(tree, 'sub', 'dir', 'f'), 'f');
  writeFileSync(join(tree, 'file'), 'x');
  symlinkSync('sub', join(tree, 'lnk'));
  symlinkSync('/etc', join(tree, 'sub', 'etc'));

  it('takes folders, files and a link as the last component', async () => {
    await expect(checkPathsInBackup(tree, ['sub', 'sub/dir', 'sub/dir/f', 'file', 'lnk', 'sub/etc'], 'backup B')).resolves.toBeUndefined();
  });

  it('refuses a missing path, a link or a file on the way, naming the field', async () => {
    await expect(checkPathsInBackup(tree, ['sub/nope/x'], 'backup B')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'paths "sub/nope/x": backup B has no sub/nope', details: { field: 'paths' } });
    await expect(checkPathsInBackup(tree, ['sub/dir/g'], 'backup B')).rejects.toMatchObject({ code: 'NOT_FOUND', details: { field: 'paths', path: 'sub/dir/g' } });
    await expect(checkPathsInBackup(tree, ['lnk/dir'], 'backup B')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('lnk is a symbolic link in backup B'), details: { field: 'paths' } });
    await expect(checkPathsInBackup(tree, ['sub/etc/passwd'], 'backup B')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('sub/etc is a symbolic link') });
    await expect(checkPathsInBackup(tree, ['file/x'], 'backup B')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('file is not a folder') });
  });
});
