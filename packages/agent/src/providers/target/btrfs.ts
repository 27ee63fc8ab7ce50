import { lstat, mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKUP_ID_RE, FfError, checkBackupId, checkEntry, errorMessage, findBinary, isFfError, namesIn, pathExists, run, silentLogger, writeFileAtomic, type Logger, type TargetConfig } from '@freezeframe/common';
import { creatableCheck, fileSystemCheck, firstLine, mountOptionsCheck, spaceCheck, type Check, type CheckOptions } from '../checks.js';
import {
  btrfsReceiveArgs,
  btrfsSendArgs,
  bytesWrittenSince,
  deviceStatsErrors,
  filesystemDu,
  filesystemSync,
  freeBytes,
  parseSendStreamHead,
  isBtrfs,
  isReadOnlySubvolume,
  isSubvolume,
  subvolumeState,
  subvolumeCreate,
  subvolumeDelete,
  subvolumeShow,
  subvolumeSnapshot,
} from '../../tools/btrfs.js';
import { mountHolding } from '../../mountinfo.js';
import { browseLinkCheck, pointBrowseLink } from './browse.js';
import { finiteFields } from './stored-json.js';
import { splitLinkGroups } from './link-groups.js';
import { peekHead, receiveInto, replicaToolCheck } from './replica-stream.js';
import type { ReplicaCommand, ReplicaReceive, StorageIntegrity, TagInfo, TargetBackup, TargetProvider } from './types.js';

type BtrfsTargetConfig = Extract<TargetConfig, { kind: 'btrfs' }>;

/** The working subvolume every backup is received into, in place. */
export const WORKING = 'current';
const META_DIR = '.freezeframe';
const MANIFEST = `${META_DIR}/manifest.json`;
/** `{backupId, entries, usedBytes, createdUnixMs}`, written into the working tree right before its snapshot. */
const BACKUP_JSON = `${META_DIR}/backup.json`;

interface BackupJson {
  backupId?: string;
  entries?: string[];
  usedBytes?: number;
  createdUnixMs?: number;
  /** TagInfo.sharedNames of the tree when it was tagged (absent: not known). */
  sharedNames?: number;
}

/**
 * A btrfs subvolume `<path>/current` is the working tree every backup is received into (rsync
 * `--inplace`, so unchanged extents stay shared); each backup is the read-only snapshot
 * `<path>/<id>` of it, holding `.freezeframe/{manifest,backup}.json` and the checksums. A
 * snapshot is made atomically, so a folder named by a backup id is only ever a complete backup;
 * restores and verify read the snapshot itself (nothing to clone or mount).
 */
export class BtrfsTarget implements TargetProvider {
  readonly kind = 'btrfs';
  readonly root: string;
  readonly working: string;
  private readonly browse: string | undefined;
  /** target.replicaOf: receives streams from that target, takes no backups from sources. */
  readonly replicaOf: string | undefined;
  private ready: Promise<string> | undefined;

  constructor(cfg: BtrfsTargetConfig, private readonly log: Logger) {
    this.root = cfg.path;
    this.working = join(cfg.path, WORKING);
    this.browse = cfg.browse;
    this.replicaOf = cfg.replicaOf;
  }

  /** Makes `<path>` (mode 700) and the working subvolume if missing; returns the working tree. */
  private workingTree(): Promise<string> {
    this.ready ??= this.setUp().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  private async setUp(): Promise<string> {
    // 700: only root reaches what sources sent (setuid programs among it) through this folder
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    if (!(await isBtrfs(this.root))) {
      throw new FfError('FAILED_PRECONDITION', `target.path ${this.root} is not on a btrfs file system`, {
        hint: 'use a folder on btrfs, or target kind dir',
      });
    }
    const state = await subvolumeState(this.working);
    if (state === 'subvolume') return this.working;
    if (state === 'other') {
      throw new FfError('FAILED_PRECONDITION', `${this.working} exists but is not a btrfs subvolume; the btrfs target receives into a subvolume there`, {
        hint: `move it away; the agent then creates the subvolume (btrfs subvolume create ${this.working})`,
      });
    }
    await subvolumeCreate(this.working, { logger: this.log });
    this.log.info({ path: this.working }, 'btrfs target: working subvolume created');
    return this.working;
  }

  private snapshotOf(backupId: string): string {
    return join(this.root, checkBackupId(backupId));
  }

  async prepareReceive(backupId: string, entry: string, o: { recheck?: boolean; clean?: () => Promise<boolean> } = {}): Promise<{ path: string; rsyncOptions: string[] }> {
    const snapshot = this.snapshotOf(backupId);
    checkEntry(entry);
    const working = await this.workingTree();
    if (await pathExists(snapshot)) {
      throw new FfError('ALREADY_EXISTS', `backup ${backupId} is already tagged in ${this.root}; it cannot receive more data`);
    }
    const path = join(working, entry);
    await mkdir(path, { recursive: true });
    let split = 0;
    if (!o.recheck && !(await this.linkFreeSinceLastTag(o.clean))) {
      split = await splitLinkGroups(path);
      if (split > 0) this.log.info({ backup_id: backupId, entry, split }, 'btrfs target: hard links of the working tree split before receiving');
    }
    // in place: rsync's temp-file-and-rename would give every changed file all-new extents
    return { path, rsyncOptions: ['--inplace'], ...(split > 0 ? { rewrote: true } : {}) };
  }

  /**
   * True when the working tree certainly holds no hard link, so splitLinkGroups has nothing to do
   * and its walk of every file (~0.9 s per 200k files) is spared: the newest backup's checksum
   * walk found none, and nothing was written to the tree since.
   */
  private async linkFreeSinceLastTag(clean = () => this.cleanSinceLastTag()): Promise<boolean> {
    const latest = (await this.backupIds()).at(-1);
    return latest !== undefined && (await readBackupJson(join(this.root, latest))).sharedNames === 0 && (await clean());
  }

  /** Nothing was written to the working tree since the newest snapshot was taken: after a commit, its Generation has not moved past the snapshot's Gen at creation. */
  async cleanSinceLastTag(): Promise<boolean> {
    const working = await this.workingTree();
    const latest = (await this.backupIds()).pop();
    if (latest === undefined) return false;
    try {
      // Generation counts committed transactions only: a failed run's writes may not be committed yet
      await filesystemSync(working, { logger: this.log });
      const [tree, snapshot] = await Promise.all([subvolumeShow(working, { logger: this.log }), subvolumeShow(join(this.root, latest), { logger: this.log })]);
      return tree.generation <= snapshot.genAtCreation;
    } catch (e) {
      if (!isFfError(e)) throw e;
      return false;
    }
  }

  /** A commit of the file system: the received data is written while the tag hashes what changed (bench/PROFILE.md, thirteenth pass). */
  async commitReceived(): Promise<void> {
    await filesystemSync(await this.workingTree(), { logger: this.log });
  }

  /**
   * Writes the manifest and backup.json into the working tree, then snapshots it read-only.
   * `usedBytes` is what the working tree was written since the newest earlier snapshot (file
   * data, before compression), measured by btrfs itself: the checksum walk's count (`info`)
   * cannot tell an in-place change of a file from a new one.
   */
  async tag(backupId: string, manifestJson: string, entries: readonly string[], info: TagInfo = {}): Promise<{ snapshot: string }> {
    const snapshot = this.snapshotOf(backupId);
    entries.forEach((e) => checkEntry(e));
    const working = await this.workingTree();
    if (await pathExists(snapshot)) throw new FfError('ALREADY_EXISTS', `backup ${backupId} is already tagged in ${this.root} (${snapshot})`);
    const missing: string[] = [];
    for (const entry of entries) if (!(await isDir(join(working, entry)))) missing.push(entry);
    if (missing.length > 0) {
      throw new FfError('FAILED_PRECONDITION', `backup ${backupId} is incomplete: ${missing.join(', ')} not received into ${working}`, {
        details: { missing },
      });
    }
    const usedBytes = await this.writtenSinceLastBackup(working, info);
    const backupJson: BackupJson = { backupId, entries: [...entries], usedBytes, createdUnixMs: Date.now(), ...(info.sharedNames !== undefined ? { sharedNames: info.sharedNames } : {}) };
    await writeFileAtomic(join(working, MANIFEST), manifestJson);
    await writeFileAtomic(join(working, BACKUP_JSON), `${JSON.stringify(backupJson)}\n`);
    await subvolumeSnapshot(working, snapshot, { readonly: true, logger: this.log });
    this.log.info({ backup_id: backupId, snapshot, entries: entries.length, used_bytes: usedBytes }, 'btrfs backup tagged');
    return { snapshot };
  }

  private async writtenSinceLastBackup(working: string, info: TagInfo): Promise<number> {
    const latest = (await this.backupIds()).pop();
    try {
      // a snapshot holds every write up to the generation that created it
      const since = latest === undefined ? 0 : (await subvolumeShow(join(this.root, latest), { logger: this.log })).genAtCreation + 1;
      if (!Number.isFinite(since)) throw new FfError('TARGET_FAILED', `btrfs subvolume show ${latest}: no "Gen at creation"`);
      return (await bytesWrittenSince(working, since, { logger: this.log })).bytes;
    } catch (e) {
      if (!isFfError(e)) throw e;
      // a statistic: the backup is not failed for it
      this.log.warn({ path: working, err: errorMessage(e) }, 'btrfs target: cannot measure what this backup wrote; recording the size of its files');
      return info.usedBytes ?? 0;
    }
  }

  async list(): Promise<TargetBackup[]> {
    const out: TargetBackup[] = [];
    for (const id of await this.backupIds()) out.push(await this.describe(id));
    return out;
  }

  private async describe(id: string): Promise<TargetBackup> {
    const dir = join(this.root, id);
    const [meta, manifestJson] = await Promise.all([readBackupJson(dir), readOptional(join(dir, MANIFEST))]);
    const createdUnixMs = meta.createdUnixMs ?? Math.round((await stat(dir)).mtimeMs);
    return {
      backupId: id,
      createdUnixMs,
      entries: meta.entries ?? (await entriesOf(dir)),
      usedBytes: meta.usedBytes ?? 0,
      manifestJson: manifestJson ?? '',
    };
  }

  /** Ids of the read-only subvolumes `<path>/<id>`, sorted; anything else there is not a backup. */
  private async backupIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const n of await this.idNames()) if (await isReadOnlySubvolume(join(this.root, n))) ids.push(n);
    return ids;
  }

  /** Names under `<path>` shaped like a backup id, sorted. */
  private async idNames(): Promise<string[]> {
    const names = await namesIn(this.root);
    return names.filter((n) => BACKUP_ID_RE.test(n)).sort();
  }

  async activate(backupId: string): Promise<{ root: string; entries: string[] }> {
    const dir = this.snapshotOf(backupId);
    if (!(await isReadOnlySubvolume(dir))) throw new FfError('NOT_FOUND', `backup ${backupId} does not exist in ${this.root}`);
    // read-only already: restores and verify read the snapshot itself
    return { root: dir, entries: (await readBackupJson(dir)).entries ?? (await entriesOf(dir)) };
  }

  async deactivate(): Promise<boolean> {
    return false;
  }

  /**
   * A read-only snapshot nothing wrote to since it was taken keeps "Generation" equal to "Gen at
   * creation" (any write, even after flipping it writable and back, raises the first); btrfs
   * checks every data block against its checksum as it reads it, unless the file system or the
   * tree was told not to keep them (nodatasum, nodatacow, the C attribute).
   */
  async integrity(backupId: string): Promise<StorageIntegrity> {
    const dir = this.snapshotOf(backupId);
    const info = await subvolumeShow(dir, { logger: this.log });
    if (!info.readonly) return { why: `${dir} is not read-only` };
    if (info.receivedUuid) return { why: `${dir} was received from another target (btrfs receive writes into it after creating it)` };
    if (!(info.generation === info.genAtCreation)) return { why: `${dir} was written after it was taken (generation ${info.generation}, taken at ${info.genAtCreation})` };
    const mount = await mountHolding(dir);
    const off = mount?.superOptions.filter((o) => o === 'nodatasum' || o === 'nodatacow') ?? [];
    if (!mount) return { why: `no mount holds ${dir}` };
    if (off.length > 0) return { why: `${mount.mountPoint} is mounted ${off.join(',')}: its data has no checksums` };
    const noCow = await noCowFolders(dir, await entriesOf(dir));
    if (noCow.length > 0) return { why: `${noCow.join(', ')} ${noCow.length === 1 ? 'has' : 'have'} the C attribute (nodatacow): files made there have no checksums` };
    const errors = await deviceStatsErrors(dir, { logger: this.log });
    if (errors.length > 0) return { why: `btrfs device stats reports errors (${errors.join(', ')})` };
    return { proven: `read-only snapshot unchanged since it was taken (generation ${info.generation}); btrfs checks every data block it reads against its checksum` };
  }

  /**
   * Deletes the snapshot (`btrfs subvolume delete` unlinks it at once; its space is freed in the
   * background). As for the dir target, nothing is activated: the target lock keeps a prune from
   * running during a restore or verify.
   */
  async destroy(backupId: string): Promise<boolean> {
    const dir = this.snapshotOf(backupId);
    if (!(await isReadOnlySubvolume(dir))) return false;
    try {
      await subvolumeDelete(dir, { logger: this.log });
    } catch (e) {
      if (isFfError(e, 'NOT_FOUND')) return false;
      throw e;
    }
    this.log.info({ backup_id: backupId, snapshot: dir }, 'btrfs backup deleted');
    return true;
  }

  async replicaSendCommand(backupId: string, baseId: string | undefined, resumeToken?: string): Promise<ReplicaCommand> {
    if (resumeToken) throw new FfError('FAILED_PRECONDITION', 'a btrfs stream cannot resume; send it again whole', { details: { field: 'resume_token' } });
    const path = this.snapshotOf(backupId);
    if (!(await isReadOnlySubvolume(path))) throw new FfError('NOT_FOUND', `backup ${backupId} does not exist in ${this.root}`, { details: { field: 'backup_id' } });
    if (baseId === undefined) return { bin: findBinary('btrfs'), args: btrfsSendArgs(path) };
    const base = this.snapshotOf(baseId);
    if (!(await isReadOnlySubvolume(base))) throw new FfError('NOT_FOUND', `base_id: backup ${baseId} does not exist in ${this.root}`, { details: { field: 'base_id' } });
    return { bin: findBinary('btrfs'), args: btrfsSendArgs(path, base) };
  }

  /** Incremental: what the working tree was written between the base and this backup (recorded at tag time); full: `btrfs filesystem du`. */
  async replicaSize(backupId: string, baseId: string | undefined): Promise<{ bytes: number; how: string }> {
    const path = this.snapshotOf(backupId);
    if (!(await isReadOnlySubvolume(path))) throw new FfError('NOT_FOUND', `backup ${backupId} does not exist in ${this.root}`, { details: { field: 'backup_id' } });
    if (baseId === undefined) return { bytes: await filesystemDu(path, { logger: this.log }), how: 'btrfs filesystem du' };
    const ids = await this.backupIds();
    const from = ids.indexOf(checkBackupId(baseId, 'base_id'));
    const to = ids.indexOf(backupId);
    if (from < 0 || from >= to) throw new FfError('NOT_FOUND', `base_id: ${baseId} is not a backup older than ${backupId} in ${this.root}`, { details: { field: 'base_id' } });
    let bytes = 0;
    for (const id of ids.slice(from + 1, to + 1)) bytes += (await readBackupJson(join(this.root, id))).usedBytes ?? 0;
    return { bytes, how: 'recorded usedBytes' };
  }

  async replicaResumable(): Promise<boolean> {
    return false;
  }

  async replicaResumeToken(): Promise<string> {
    return '';
  }

  /**
   * `btrfs receive` confined to `<path>` (chroot), after the stream's first command is read and
   * must create the subvolume named `backupId` (a snapshot of a parent exactly when incremental).
   * A received subvolume cannot be moved out of a staging folder (its `..` is read-only: EROFS),
   * so it lands as `<path>/<id>` directly: while incomplete it is writable, and list() shows only
   * read-only subvolumes. Kept only if it is read-only with a received UUID; anything this
   * session created otherwise is deleted.
   */
  async replicaReceive(o: ReplicaReceive): Promise<void> {
    const opts = { logger: o.log };
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    if (!(await isBtrfs(this.root))) throw new FfError('FAILED_PRECONDITION', `target.path ${this.root} is not on a btrfs file system`);
    const final = this.snapshotOf(o.backupId);
    if (await isReadOnlySubvolume(final)) throw new FfError('ALREADY_EXISTS', `backup ${o.backupId} is already held in ${this.root}`, { details: { field: 'backup' } });
    if (await isSubvolume(final)) {
      // an incomplete receive of this backup (the agent stopped during it): never a backup
      o.log.warn({ path: final }, 'btrfs replica: deleting an incomplete earlier receive of this backup');
      await subvolumeDelete(final, opts);
    } else if (await pathExists(final)) {
      throw new FfError('FAILED_PRECONDITION', `${final} exists and is not a subvolume; a received backup lands there`, { hint: 'move it away' });
    }
    const held = await this.backupIds();
    if (o.baseId === undefined && held.length > 0) {
      throw new FfError('FAILED_PRECONDITION', `a full stream of ${o.backupId} is refused: ${this.root} already holds ${held.length} backups (newest ${held.at(-1)!}); its history is not overwritten`, { details: { field: 'base' } });
    }
    if (o.baseId !== undefined && held.at(-1) !== o.baseId) {
      throw new FfError('FAILED_PRECONDITION', `a stream incremental from ${o.baseId} is refused: the newest backup in ${this.root} is ${held.at(-1) ?? '(none)'}`, { details: { field: 'base' } });
    }
    const head = await peekHead(o.input, parseSendStreamHead);
    if (head.name !== o.backupId) {
      throw new FfError('PERMISSION_DENIED', `the stream creates subvolume ${JSON.stringify(head.name.slice(0, 80))}, not backup ${o.backupId}`, { details: { field: 'backup' } });
    }
    if ((head.kind === 'snapshot') !== (o.baseId !== undefined)) {
      throw new FfError('PERMISSION_DENIED', `the stream is ${head.kind === 'snapshot' ? 'incremental' : 'full'}, the ticket is for ${o.baseId ? `one incremental from ${o.baseId}` : 'a full one'}`, { details: { field: 'base' } });
    }
    const before = new Set(await namesIn(this.root));
    try {
      await receiveInto({ bin: findBinary('btrfs'), args: btrfsReceiveArgs(this.root) }, o);
      const added = (await namesIn(this.root)).filter((n) => !before.has(n));
      if (added.length !== 1 || added[0] !== o.backupId) throw new FfError('PERMISSION_DENIED', `the stream created ${JSON.stringify(added)}, not exactly ${o.backupId}`, { details: { field: 'backup' } });
      const show = await subvolumeShow(final, opts);
      if (!show.readonly || !show.receivedUuid) throw new FfError('TRANSFER_FAILED', `${final} is ${show.readonly ? 'read-only' : 'writable'} ${show.receivedUuid ? 'with' : 'without'} a received UUID: the stream did not complete`);
    } catch (e) {
      await this.discardNew(before, o.log);
      throw e;
    }
    o.log.info({ path: final }, 'btrfs replica: backup received');
  }

  /** Deletes what a refused or failed receive created in `<path>` (subvolumes only: btrfs receive makes nothing else there). */
  private async discardNew(before: ReadonlySet<string>, log: Logger): Promise<void> {
    for (const n of (await namesIn(this.root)).filter((x) => !before.has(x))) {
      const p = join(this.root, n);
      try {
        if (await isSubvolume(p)) await subvolumeDelete(p, { logger: log });
        else log.error({ path: p }, 'btrfs replica: left a non-subvolume the receive made');
        log.warn({ path: p }, 'btrfs replica: deleted what a refused or cut stream left');
      } catch (e) {
        log.error({ path: p, err: errorMessage(e) }, 'btrfs replica: cannot delete what a refused stream left');
      }
    }
  }

  receivedRoot(): Promise<string> {
    return this.workingTree();
  }

  async storageRoot(): Promise<string> {
    await this.workingTree();
    return this.root;
  }

  async freeBytes(): Promise<number> {
    return freeBytes(await this.storageRoot());
  }

  /**
   * The path is a folder on btrfs (or can be made on one); `current` is a subvolume (or will be
   * made); names shaped like backup ids that are not read-only snapshots (a warning: they are not
   * listed); the mount has nosuid,nodev (a warning); live: space.
   */
  async checks(o: CheckOptions = {}): Promise<Check[]> {
    let path = await creatableCheck('target-path', 'target.path', this.root);
    let onBtrfs = false;
    if (path.ok) {
      const fs = await fileSystemCheck('target-path', 'target.path', this.root, 'btrfs');
      onBtrfs = fs.check.ok;
      if (!onBtrfs) path = fs.check;
    }
    const out = [path, ...(this.replicaOf ? [replicaToolCheck('btrfs', this.replicaOf)] : [])];
    if (onBtrfs) out.push(await this.workingCheck(), ...(await this.strayCheck()));
    out.push(await mountOptionsCheck('target-mount', `target ${this.root}`, this.root));
    if (o.live && onBtrfs) out.push(await spaceCheck('target-space', 'target', () => this.freeBytes()));
    if (this.browse && o.live && onBtrfs) out.push(await browseLinkCheck(this.browse, (await this.backupIds()).map((id) => join(this.root, id)).pop()));
    return out;
  }

  async showLatest(backupId: string): Promise<string | undefined> {
    if (!this.browse) return undefined;
    await pointBrowseLink(this.browse, this.snapshotOf(backupId));
    return this.browse;
  }

  private async workingCheck(): Promise<Check> {
    const name = 'target-working';
    try {
      // one stat: a Describe may be creating the subvolume while this check runs
      const state = await subvolumeState(this.working);
      if (state === 'subvolume') return { name, ok: true, detail: `target.path: ${this.working} is a btrfs subvolume` };
      if (state === 'other') {
        return { name, ok: false, detail: `target.path: ${this.working} exists but is not a btrfs subvolume (move it away; the agent creates the subvolume)` };
      }
      return { name, ok: true, detail: `target.path: the working subvolume ${this.working} will be created` };
    } catch (e) {
      return { name, ok: false, detail: `target.path: ${this.working}: ${firstLine(errorMessage(e))}` };
    }
  }

  private async strayCheck(): Promise<Check[]> {
    try {
      const strays: string[] = [];
      for (const n of await this.idNames()) if (!(await isReadOnlySubvolume(join(this.root, n)))) strays.push(n);
      if (strays.length === 0) return [];
      return [{
        name: 'target-strays',
        ok: false,
        warnOnly: true,
        detail: `target ${this.root}: ${strays.join(', ')} ${strays.length === 1 ? 'is' : 'are'} named like a backup but not a read-only snapshot, so not listed (changed or made by hand?)`,
      }];
    } catch (e) {
      return [{ name: 'target-strays', ok: false, warnOnly: true, detail: `target ${this.root}: cannot read it: ${firstLine(errorMessage(e))}` }];
    }
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

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** backup.json of a snapshot; `{}` when missing or unreadable as JSON (a snapshot made by hand). */
async function readBackupJson(dir: string): Promise<BackupJson> {
  const text = await readOptional(join(dir, BACKUP_JSON));
  if (text === undefined) return {};
  let j: Record<string, unknown>;
  try {
    j = Object(JSON.parse(text)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof SyntaxError) return {};
    throw e;
  }
  const entries = Array.isArray(j.entries) && j.entries.every((x) => typeof x === 'string') ? (j.entries as string[]) : undefined;
  return { ...(entries ? { entries } : {}), ...finiteFields(j, ['usedBytes', 'createdUnixMs', 'sharedNames']) };
}

/** The entry folders (`<source>@+<volume>`) of a tree without backup.json. */
async function entriesOf(dir: string): Promise<string[]> {
  const dirents = await readdir(dir, { withFileTypes: true });
  return dirents.filter((d) => d.isDirectory() && d.name.includes('@+')).map((d) => d.name).sort();
}

/** Of `dir` and its entry folders, those with the C attribute (`lsattr -d`): files created below them skip data checksums. */
async function noCowFolders(dir: string, entries: readonly string[]): Promise<string[]> {
  const paths = [dir, ...entries.map((e) => join(dir, e))];
  const r = await run({ bin: findBinary('lsattr'), args: ['-d', '--', ...paths], timeoutMs: 30_000, logger: silentLogger });
  return r.stdout
    .split('\n')
    .map((l) => /^(\S+) (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[1]!.includes('C'))
    .map((m) => m[2]!);
}
