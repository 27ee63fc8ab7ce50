import { constants } from 'node:fs';
import { lstat, mkdir, open as openFile, readFile, readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKUP_ID_RE, FfError, checkBackupId, namesIn, pathExists, writeFileAtomic, type Logger, type TargetConfig } from '@freezeframe/common';
import { CHECKSUMS_FILE } from '../../checksums.js';
import { unescapeName } from '../../file-names.js';
import { folderCheck, mountOptionsCheck, spaceCheck, type Check, type CheckOptions } from '../checks.js';
import { browseLinkCheck, pointBrowseLink } from './browse.js';
import { finiteFields } from './stored-json.js';
import { copyGroupsFrom } from './link-groups.js';
import type { Receive, TagInfo, TargetBackup, TargetProvider } from './types.js';

type DirConfig = Extract<TargetConfig, { kind: 'dir' }>;

const PARTIAL = '.partial';
const MANIFEST = 'manifest.json';
/** Per-backup facts recorded at tag time (Usage), so list() reads one small file per backup. */
const USAGE = '.freezeframe/usage.json';
/** Marks a backup whose symlinks are stored munged: only such a backup is a --link-dest basis. */
const MUNGED_MARK = '.freezeframe/links-munged';
const MUNGED_ROOT = '/rsyncd-munged';
/** Backups being deleted: renamed here first, so a half-deleted tree is never listed as a backup. */
const DELETING = '.deleting';

/**
 * Backups as hard-linked trees (like `rsync --link-dest`): `<path>/<id>/<entry>/`, unchanged
 * files shared with the previous backup. A backup is received under `.partial/<id>` and
 * renamed into place by tag(), so a folder named by a backup id is always complete.
 */
export class DirTarget implements TargetProvider {
  readonly kind = 'dir';
  private readonly root: string;
  private readonly browse: string | undefined;

  constructor(cfg: DirConfig, private readonly log: Logger) {
    this.root = cfg.path;
    this.browse = cfg.browse;
  }

  async prepareReceive(backupId: string, entry: string, o: { recheck?: boolean } = {}): Promise<Receive> {
    if (await isDir(join(this.root, backupId))) {
      throw new FfError('FAILED_PRECONDITION', `backup ${backupId} is already tagged in ${this.root}`, { hint: 'start a new backup' });
    }
    // a munged symlink resolves under /rsyncd-munged: if that existed, links would be followable again
    if (await pathExists(MUNGED_ROOT)) {
      throw new FfError('FAILED_PRECONDITION', `${MUNGED_ROOT} exists on target ${this.root}: stored symlinks could be followed through it`, {
        hint: `remove ${MUNGED_ROOT}; nothing of freezeframe or rsync needs it`,
      });
    }
    const path = join(this.root, PARTIAL, backupId, entry);
    await mkdir(path, { recursive: true, mode: 0o700 });
    // Symlinks are stored munged (`/rsyncd-munged/<target>`): rsync looks up --link-dest basis
    // files through folders of the previous backup, which the source made, and must never follow
    // a link the source planted there. Restores unmunge them.
    const rsyncOptions: string[] = ['--munge-links'];
    let basis = false;
    const previous = (await this.taggedIds()).filter((id) => id < backupId);
    for (const id of previous.reverse()) {
      const candidate = join(this.root, id, entry);
      if (!(await isDir(candidate))) continue;
      // a backup stored before links were munged may hold followable ones: no basis then
      if (!(await pathExists(join(this.root, id, MUNGED_MARK)))) break;
      rsyncOptions.push(`--link-dest=${candidate}`);
      basis = true;
      if (!o.recheck) {
        const copied = await copyGroupsFrom(candidate, path, await this.linkGroupsOf(id, entry));
        if (copied > 0) this.log.info({ backup_id: backupId, entry, copied }, 'dir target: hard-linked files of the previous backup copied, not linked');
      }
      break;
    }
    // only a basis is worth the receiver's short view (a first backup has none)
    // every backup here that can be a basis stores its links munged (MUNGED_MARK), as this one will
    return { path, rsyncOptions, ...(basis ? { viewRoot: this.root, linksMunged: true } : {}) };
  }

  /**
   * Hard-link groups of `entry` in tagged backup `id`, from the inodes its checksums recorded;
   * none without reading them when its tag found no hard link at all (usage.json `sharedNames`).
   */
  private async linkGroupsOf(id: string, entry: string): Promise<Buffer[][]> {
    if ((await readUsage(join(this.root, id)))?.sharedNames === 0) return [];
    let text: string;
    try {
      text = await readFile(join(this.root, id, CHECKSUMS_FILE), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const byInode = new Map<number, string[]>();
    for (const line of text.split('\n')) {
      if (!line) continue;
      const s = JSON.parse(line) as { p: string; i?: number };
      if (s.i === undefined || !s.p.startsWith(`${entry}/`)) continue;
      const group = byInode.get(s.i);
      if (group) group.push(s.p);
      else byInode.set(s.i, [s.p]);
    }
    return [...byInode.values()].filter((g) => g.length > 1).map((g) => g.map((p) => unescapeName(p.slice(entry.length + 1))));
  }

  async tag(backupId: string, manifestJson: string, entries: readonly string[], info: TagInfo = {}): Promise<{ snapshot: string }> {
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
    // on disk before the rename below makes the backup visible
    await writeFileAtomic(join(partial, MANIFEST), manifestJson || '{}');
    await writeFileAtomic(join(partial, MUNGED_MARK), 'symlinks are stored munged (rsync --munge-links)\n');
    if (info.usedBytes !== undefined) await writeUsage(partial, { usedBytes: info.usedBytes, ...(info.sharedNames !== undefined ? { sharedNames: info.sharedNames } : {}) });
    await rename(partial, final);
    this.log.info({ backup_id: backupId, path: final, entries }, 'dir target: backup tagged');
    return { snapshot: final };
  }

  async list(): Promise<TargetBackup[]> {
    const out: TargetBackup[] = [];
    for (const id of await this.taggedIds()) out.push(await this.describe(id));
    return out;
  }

  private async describe(id: string): Promise<TargetBackup> {
    const dir = join(this.root, id);
    let manifestJson = '';
    let createdUnixMs = (await stat(dir)).mtimeMs;
    try {
      manifestJson = await readFile(join(dir, MANIFEST), 'utf8');
      createdUnixMs = (await stat(join(dir, MANIFEST))).mtimeMs;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return { backupId: id, createdUnixMs: Math.round(createdUnixMs), entries: await entriesOf(dir), usedBytes: await this.usedBytes(dir), manifestJson };
  }

  /** Recorded at tag time; a backup tagged without the record is walked once and the result kept. */
  private async usedBytes(dir: string): Promise<number> {
    const recorded = (await readUsage(dir))?.usedBytes;
    if (recorded !== undefined) return recorded;
    const bytes = await exclusiveBytes(dir);
    await writeUsage(dir, { usedBytes: bytes }).catch((e: unknown) => this.log.warn({ path: dir, err: String(e) }, 'dir target: cannot record used bytes'));
    return bytes;
  }

  async activate(backupId: string): Promise<{ root: string; entries: string[] }> {
    const dir = join(this.root, checkBackupId(backupId));
    if (!(await isDir(dir))) throw new FfError('NOT_FOUND', `backup ${backupId} does not exist in ${this.root}`);
    return { root: dir, entries: await entriesOf(dir) };
  }

  async previousRoot(backupId: string): Promise<string | undefined> {
    const previous = (await this.taggedIds()).filter((id) => id < backupId).pop();
    return previous === undefined ? undefined : join(this.root, previous);
  }

  async deactivate(): Promise<boolean> {
    // a hard-linked tree is readable as it is: nothing was made by activate
    return false;
  }

  async destroy(backupId: string): Promise<boolean> {
    checkBackupId(backupId);
    const dir = join(this.root, backupId);
    const trash = join(this.root, DELETING, backupId);
    await removeTree(trash); // left by a delete that crashed
    if (!(await isDir(dir))) return false;
    await mkdir(join(this.root, DELETING), { recursive: true, mode: 0o700 });
    await rename(dir, trash);
    // files shared with other backups are hard links: removing this tree leaves theirs intact
    await removeTree(trash);
    this.log.info({ backup_id: backupId, path: dir }, 'dir target: backup deleted');
    return true;
  }

  async cleanup(_keep: ReadonlySet<string>, dryRun: boolean): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(join(this.root, DELETING));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const removed: string[] = [];
    for (const n of names.filter((x) => BACKUP_ID_RE.test(x))) {
      if (!dryRun) await removeTree(join(this.root, DELETING, n));
      removed.push(`half-deleted backup ${n}`);
    }
    return removed;
  }

  async receivedRoot(backupId: string): Promise<string> {
    return join(this.root, PARTIAL, backupId);
  }

  async storageRoot(): Promise<string> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    return this.root;
  }

  async freeBytes(): Promise<number> {
    const s = await statfs(this.root);
    return s.bavail * s.bsize;
  }

  /**
   * The path is a folder; it is mounted nosuid,nodev (a warning: a source's files must not
   * become setuid programs or device nodes here, the operator decides how to mount; for a
   * missing path, the mount it would be made on); live: space.
   */
  async checks(o: CheckOptions = {}): Promise<Check[]> {
    const path = await folderCheck('target-path', 'target.path', this.root);
    const out = [path, await mountOptionsCheck('target-mount', `target ${this.root}`, this.root)];
    if (o.live && path.ok) out.push(await spaceCheck('target-space', 'target', () => this.freeBytes()));
    if (this.browse && o.live && path.ok) out.push(await browseLinkCheck(this.browse, (await this.taggedIds()).map((id) => join(this.root, id)).pop()));
    return out;
  }

  async showLatest(backupId: string): Promise<string | undefined> {
    if (!this.browse) return undefined;
    await pointBrowseLink(this.browse, join(this.root, checkBackupId(backupId)));
    return this.browse;
  }

  private async taggedIds(): Promise<string[]> {
    const names = await namesIn(this.root);
    const ids: string[] = [];
    for (const n of names) if (BACKUP_ID_RE.test(n) && (await isDir(join(this.root, n)))) ids.push(n);
    return ids.sort();
  }
}

/** A backup's entry folders; dot folders (.freezeframe: checksums, usage) are metadata, never entries. */
async function entriesOf(dir: string): Promise<string[]> {
  const entries: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) if (d.isDirectory() && !d.name.startsWith('.')) entries.push(d.name);
  return entries.sort();
}

interface Usage {
  usedBytes: number;
  /** TagInfo.sharedNames of the backup when it was tagged (absent: not known). */
  sharedNames?: number;
}

async function writeUsage(dir: string, u: Usage): Promise<void> {
  await writeFileAtomic(join(dir, USAGE), `${JSON.stringify(u)}\n`);
}

/** usage.json, undefined when it is missing or unreadable (a backup of an older version). */
async function readUsage(dir: string): Promise<Partial<Usage> | undefined> {
  let u: Record<string, unknown>;
  try {
    u = Object(JSON.parse(await readFile(join(dir, USAGE), 'utf8'))) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || e instanceof SyntaxError) return undefined;
    throw e;
  }
  return finiteFields(u, ['usedBytes', 'sharedNames']);
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw e;
  }
}

/**
 * Removes a tree; missing is fine. A backup keeps the modes it was sent with, so a read-only
 * folder can refuse its entries' removal to a non-root agent: folders (never files, which are
 * hard links shared with other backups) are made writable and the removal retried.
 */
async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw e;
  }
  // A backup tree holds what sources sent. Each folder is opened from its parent's descriptor
  // (/proc/self/fd/N/<name>, O_NOFOLLOW) and fchmod'ed on its own: no name is resolved again
  // through a folder that could have been swapped for a link meanwhile. Names are bytes (not
  // always UTF-8): Buffers throughout.
  const open = async (d: Buffer): Promise<void> => {
    const fh = await openFile(d, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      await fh.chmod(0o700);
      const self = `/proc/self/fd/${fh.fd}`;
      for (const e of await readdir(self, { withFileTypes: true, encoding: 'buffer' })) if (e.isDirectory()) await open(Buffer.concat([Buffer.from(`${self}/`), e.name]));
    } finally {
      await fh.close();
    }
  };
  await open(Buffer.from(path));
  await rm(path, { recursive: true, force: true });
}

/** Bytes held only by this backup: files whose every link is inside it (the rest is shared). */
async function exclusiveBytes(dir: string): Promise<number> {
  const seen = new Map<number, { links: number; found: number; bytes: number }>();
  const walk = async (d: Buffer): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true, encoding: 'buffer' })) {
      const p = Buffer.concat([d, Buffer.from('/'), e.name]);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const s = await lstat(p);
        const cur = seen.get(s.ino) ?? { links: s.nlink, found: 0, bytes: s.blocks * 512 };
        cur.found++;
        seen.set(s.ino, cur);
      }
    }
  };
  await walk(Buffer.from(dir));
  let total = 0;
  for (const v of seen.values()) if (v.found >= v.links) total += v.bytes;
  return total;
}
