import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBeneath, openTrustedDir, placeFile, safeFsTestSeam, withDir } from './safe-fs.js';

describe('safe-fs', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ff-safefs-'));
  });
  afterEach(() => {
    safeFsTestSeam.afterMkdir(undefined);
    rmSync(root, { recursive: true, force: true });
  });

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

  /** After the agent's next mkdir, its folder is moved aside and `plant(path)` puts another in its place. */
  const swapAfterMkdir = (plant: (path: string) => void) =>
    safeFsTestSeam.afterMkdir((path) => {
      safeFsTestSeam.afterMkdir(undefined);
      renameSync(path, `${path}.agent`);
      plant(path);
    });

  it('dir() with create refuses a folder swapped in between its mkdir and its open, naming it', async () => {
    const plants: Array<[string, (p: string) => void]> = [
      ['mode 0777', (p) => (mkdirSync(p), chmodSync(p, 0o777))],
      ['not empty', (p) => (mkdirSync(p, { mode: 0o700 }), writeFileSync(join(p, 'theirs'), 'x'))],
      ['not empty', (p) => mkdirSync(join(p, 'sub'), { recursive: true, mode: 0o700 })],
    ];
    await withDir((await openBeneath(root))!, async (d) => {
      for (const [i, [why, plant]] of plants.entries()) {
        swapAfterMkdir(plant);
        await expect(d.mustDir(`made${i}`, { create: 0o700 })).rejects.toMatchObject({
          code: 'FAILED_PRECONDITION',
          message: expect.stringContaining(`${root}/made${i} was replaced while the agent (root) created it (${why}`),
          details: { path: `${root}/made${i}` },
        });
      }
      // the control case: nothing swapped
      await (await d.mustDir('kept', { create: 0o750 })).close();
    });
    swapAfterMkdir((p) => (mkdirSync(p), chmodSync(p, 0o777)));
    await expect(openTrustedDir(join(root, 'a', 'b'), { create: true })).rejects.toMatchObject({ message: expect.stringContaining(`${root}/a was replaced while the agent (root) created it (mode 0777`) });
    await (await openTrustedDir(join(root, 'c', 'd'), { create: true })).close();
  });

  it.runIf(process.getuid?.() === 0)('dir() with create refuses a folder of another user, swapped in or found there, but takes the owner\'s', async () => {
    await withDir((await openBeneath(root))!, async (d) => {
      swapAfterMkdir((p) => (mkdirSync(p, { mode: 0o700 }), chownSync(p, 65534, 65534)));
      await expect(d.mustDir('swapped', { create: 0o700, owner: { uid: 65534, gid: 65534 } })).rejects.toMatchObject({ message: expect.stringContaining(`${root}/swapped was replaced while the agent (root) created it (owned by uid 65534, not 0)`) });
      mkdirSync(join(root, 'planted'), { mode: 0o700 });
      chownSync(join(root, 'planted'), 65534, 65534);
      await expect(d.mustDir('planted', { create: 0o700 })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining(`${root}/planted is owned by uid 65534, not by the agent (uid 0)`), details: { path: `${root}/planted` } });
      await expect(d.mustDir('planted', { create: 0o700, owner: { uid: 12345, gid: 12345 } })).rejects.toMatchObject({ message: expect.stringContaining('or uid 12345') });
      // the application's own folder (an index folder of a live table) and one without `create` are used
      await (await d.mustDir('planted', { create: 0o700, owner: { uid: 65534, gid: 65534 } })).close();
      await (await d.mustDir('planted')).close();
      const made = await d.mustDir('made', { create: 0o750, owner: { uid: 65534, gid: 65534 } });
      await withDir(made, async () => expect(made.stat.uid).toBe(65534));
    });
  });
});
