import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBeneath, openTrustedDir, placeFile, withDir } from './safe-fs.js';

describe('safe-fs', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ff-safefs-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('refuses a link in a folder others can write to, naming it', async () => {
    const app = join(root, 'app');
    mkdirSync(join(root, 'elsewhere'), { recursive: true });
    mkdirSync(app, { mode: 0o777 });
    chmodSync(app, 0o777);
    symlinkSync(join(root, 'elsewhere'), join(app, 'data'));
    await expect(openTrustedDir(join(app, 'data'))).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining(`${app}/data is a symbolic link`) });
    await expect(openBeneath(app, 'data')).rejects.toMatchObject({ message: expect.stringContaining(`${app}/data is a symbolic link`) });
    await expect(openBeneath(join(root, 'missing'))).resolves.toBeUndefined();
  });

  it.runIf(process.getuid?.() === 0)('follows a link only root could have placed (root-owned folder, not writable by others)', async () => {
    mkdirSync(join(root, 'real', 'inner'), { recursive: true });
    chmodSync(root, 0o755);
    symlinkSync('real', join(root, 'alias'));
    const d = await openTrustedDir(join(root, 'alias', 'inner', '..', 'inner'));
    await withDir(d, async () => {
      expect(d.path).toBe(join(root, 'alias', 'inner', '..', 'inner'));
      await d.writeNew('f', 'x', 0o600);
    });
    expect(readFileSync(join(root, 'real', 'inner', 'f'), 'utf8')).toBe('x');
  });

  it('works on the folder it opened even after its path is swapped for a link', async () => {
    mkdirSync(join(root, 't', 'a'), { recursive: true });
    mkdirSync(join(root, 'victim'));
    writeFileSync(join(root, 'victim', 'keep'), 'keep');
    writeFileSync(join(root, 't', 'a', 'old'), 'old');
    const d = await openTrustedDir(join(root, 't', 'a'));
    await withDir(d, async () => {
      renameSync(join(root, 't', 'a'), join(root, 't', 'a.moved'));
      symlinkSync(join(root, 'victim'), join(root, 't', 'a'));
      for (const n of await d.list()) await d.unlink(n);
    });
    expect(readdirSync(join(root, 'victim'))).toEqual(['keep']);
    expect(readdirSync(join(root, 't', 'a.moved'))).toEqual([]);
  });

  it('dir() refuses a link, creates a missing folder with the mode asked; readText() refuses a linked file', async () => {
    mkdirSync(join(root, 'x'));
    symlinkSync(join(root, 'x'), join(root, 'link'));
    symlinkSync('/etc/hostname', join(root, 'file-link'));
    await withDir((await openBeneath(root))!, async (d) => {
      await expect(d.dir('link')).rejects.toMatchObject({ message: expect.stringContaining(`${root}/link is a symbolic link`) });
      await expect(d.readText('file-link')).rejects.toMatchObject({ message: expect.stringContaining('file-link is a symbolic link') });
      expect(await d.dir('nope')).toBeUndefined();
      const made = await d.mustDir('made', { create: 0o700 });
      await made.close();
      expect(existsSync(join(root, 'made'))).toBe(true);
    });
  });

  it('placeFile links a regular file and refuses a link', async () => {
    mkdirSync(join(root, 'from'));
    mkdirSync(join(root, 'to'));
    writeFileSync(join(root, 'from', 'a.db'), 'sstable');
    symlinkSync('/etc/hostname', join(root, 'from', 'b.db'));
    const from = (await openBeneath(root, 'from'))!;
    const to = (await openBeneath(root, 'to'))!;
    try {
      await placeFile(from, 'a.db', to);
      await expect(placeFile(from, 'b.db', to)).rejects.toMatchObject({ message: expect.stringContaining('b.db is a symbolic link') });
    } finally {
      await from.close();
      await to.close();
    }
    expect(readdirSync(join(root, 'to'))).toEqual(['a.db']);
  });
});
