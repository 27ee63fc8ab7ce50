import { lstat, mkdir, readFile, readdir, rename, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKUP_ID_RE, FfError, type Logger, type TargetConfig } from '@freezeframe/common';
import type { TargetBackup, TargetProvider } from './types.js';

type DirConfig = Extract<TargetConfig, { kind: 'dir' }>;

const PARTIAL = '.partial';
const MANIFEST = 'manifest.json';

/**
 * Backups as hard-linked trees (like `rsync --link-dest`): `<path>/<id>/<entry>/`, unchanged
 * files shared with the previous backup. A backup is received under `.partial/<id>` and
 * renamed into place by tag(), so a folder named by a backup id is always complete.
 */
export class DirTarget implements TargetProvider {
  readonly kind = 'dir';
  private readonly root: string;

  constructor(cfg: DirConfig, private readonly log: Logger) {
    this.root = cfg.path;
  }

  async prepareReceive(backupId: string, entry: string): Promise<{ path: string; rsyncOptions: string[] }> {
    if (await isDir(join(this.root, backupId))) {
      throw new FfError('FAILED_PRECONDITION', `backup ${backupId} is already tagged in ${this.root}`, { hint: 'start a new backup' });
    }
    const path = join(this.root, PARTIAL, backupId, entry);
    await mkdir(path, { recursive: true, mode: 0o700 });
    const rsyncOptions: string[] = [];
    const previous = (await this.taggedIds()).filter((id) => id < backupId);
    for (const id of previous.reverse()) {
      const candidate = join(this.root, id, entry);
      if (await isDir(candidate)) {
        rsyncOptions.push(`--link-dest=${candidate}`);
        break;
      }
    }
    return { path, rsyncOptions };
  }

  async tag(backupId: string, manifestJson: string, entries: readonly string[]): Promise<{ snapshot: string }> {
    const final = join(this.root, backupId);
    if (await isDir(final)) throw new FfError('ALREADY_EXISTS', `backup ${backupId} is already tagged in ${this.root}`);
    const partial = join(this.root, PARTIAL, backupId);
    if (!(await isDir(partial))) throw new FfError('FAILED_PRECONDITION', `nothing was received for backup ${backupId} in ${this.root}`);
    const missing: string[] = [];
    for (const e of entries) if (!(await isDir(join(partial, e)))) missing.push(e);
    if (missing.length > 0) {
      throw new FfError('FAILED_PRECONDITION', `backup ${backupId} is incomplete: ${missing.join(', ')} not received`, {
        hint: 'only a complete transfer is tagged; run the backup again',
      });
    }
    await writeFile(join(partial, MANIFEST), manifestJson || '{}', { mode: 0o600 });
    await rename(partial, final);
    this.log.info({ backup_id: backupId, path: final, entries }, 'dir target: backup tagged');
    return { snapshot: final };
  }

  async list(): Promise<TargetBackup[]> {
    const out: TargetBackup[] = [];
    for (const id of await this.taggedIds()) {
      const dir = join(this.root, id);
      const entries: string[] = [];
      for (const d of await readdir(dir, { withFileTypes: true })) if (d.isDirectory()) entries.push(d.name);
      let manifestJson = '';
      let createdUnixMs = (await stat(dir)).mtimeMs;
      try {
        manifestJson = await readFile(join(dir, MANIFEST), 'utf8');
        createdUnixMs = (await stat(join(dir, MANIFEST))).mtimeMs;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      out.push({ backupId: id, createdUnixMs: Math.round(createdUnixMs), entries: entries.sort(), usedBytes: await exclusiveBytes(dir), manifestJson });
    }
    return out;
  }

  async activate(backupId: string): Promise<{ root: string; entries: string[] }> {
    const b = (await this.list()).find((x) => x.backupId === backupId);
    if (!b) throw new FfError('NOT_FOUND', `backup ${backupId} does not exist in ${this.root}`);
    return { root: join(this.root, backupId), entries: b.entries };
  }

  async deactivate(): Promise<boolean> {
    // a hard-linked tree is readable as it is: nothing was made by activate
    return false;
  }

  async freeBytes(): Promise<number> {
    const s = await statfs(this.root);
    return s.bavail * s.bsize;
  }

  private async taggedIds(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const ids: string[] = [];
    for (const n of names) if (BACKUP_ID_RE.test(n) && (await isDir(join(this.root, n)))) ids.push(n);
    return ids.sort();
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw e;
  }
}

/** Bytes held only by this backup: files whose every link is inside it (the rest is shared). */
async function exclusiveBytes(dir: string): Promise<number> {
  const seen = new Map<number, { links: number; found: number; bytes: number }>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const s = await lstat(p);
        const cur = seen.get(s.ino) ?? { links: s.nlink, found: 0, bytes: s.blocks * 512 };
        cur.found++;
        seen.set(s.ino, cur);
      }
    }
  };
  await walk(dir);
  let total = 0;
  for (const v of seen.values()) if (v.found >= v.links) total += v.bytes;
  return total;
}
