import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKUP_ID_RE, FfError, checkBackupId, errorMessage, type Logger, type SourceConfig } from '@freezeframe/common';
import { zfsClone, zfsDestroy, zfsExists, zfsGet, zfsListSnapshots, zfsMount, zfsReasonOf, zfsSnapshot } from '../../tools/zfs.js';
import { creatableCheck, firstLine, spaceCheck, type Check, type CheckOptions } from '../checks.js';
import type { SourceProvider } from './types.js';

type ZfsSourceConfig = Extract<SourceConfig, { kind: 'zfs' }>;

const SNAP_PREFIX = 'ff-';

/**
 * A ZFS dataset; each backup is the snapshot `<dataset>@ff-<id>`, made readable by a read-only
 * clone mounted at `<snapshotMount>/<id>`. A clone, not `.zfs/snapshot/`: zfs-fuse has no
 * `.zfs` directory even with `snapdir=visible`.
 */
export class ZfsSource implements SourceProvider {
  readonly kind = 'zfs';
  readonly pointInTime = true;
  readonly volume: string;
  private readonly snapshotMount: string;

  constructor(
    cfg: ZfsSourceConfig,
    private readonly log: Logger,
  ) {
    this.volume = cfg.volume;
    this.snapshotMount = cfg.snapshotMount;
  }

  private snapshotOf(backupId: string): string {
    return `${this.volume}@${SNAP_PREFIX}${checkBackupId(backupId)}`;
  }

  /** A sibling of the dataset (a child when the dataset is a pool's root). */
  private cloneOf(backupId: string): string {
    const id = checkBackupId(backupId);
    return this.volume.includes('/') ? `${this.volume}-ff-${id}` : `${this.volume}/ff-${id}`;
  }

  private mountOf(backupId: string): string {
    return join(this.snapshotMount, checkBackupId(backupId));
  }

  async prepare(backupId: string, signal?: AbortSignal): Promise<void> {
    const snapshot = this.snapshotOf(backupId);
    const clone = this.cloneOf(backupId);
    const opts = { logger: this.log, ...(signal ? { signal } : {}) };
    try {
      if (!(await zfsExists(snapshot, opts))) {
        await zfsSnapshot(snapshot, { ...opts, properties: { 'freezeframe:backup': backupId } });
        this.log.info({ backupId, snapshot }, 'zfs snapshot taken');
      }
      if (await zfsExists(clone, opts)) {
        await zfsMount(clone, opts);
        return;
      }
      await mkdir(this.snapshotMount, { recursive: true });
      await zfsClone(snapshot, clone, {
        ...opts,
        properties: { readonly: 'on', mountpoint: this.mountOf(backupId), 'freezeframe:backup': backupId },
      });
    } catch (e) {
      if (e instanceof FfError && (e.code === 'SNAPSHOT_FAILED' || e.code === 'CANCELLED')) throw e;
      throw new FfError('SNAPSHOT_FAILED', `zfs snapshot of ${this.volume} for backup ${backupId} failed: ${(e as Error).message}`, {
        cause: e,
        ...(e instanceof FfError && e.hint ? { hint: e.hint } : {}),
      });
    }
  }

  async snapshotPath(backupId: string): Promise<string> {
    const clone = this.cloneOf(backupId);
    if (!(await zfsExists(clone, { logger: this.log }))) {
      throw new FfError('NOT_FOUND', `no snapshot for backup ${backupId} on ${this.volume} (clone ${clone} does not exist)`);
    }
    const props = await zfsGet(clone, ['mountpoint', 'mounted'], { logger: this.log });
    if (props.mounted !== 'yes') await zfsMount(clone, { logger: this.log });
    return props.mountpoint ?? this.mountOf(backupId);
  }

  async remove(backupId: string): Promise<boolean> {
    const opts = { logger: this.log, ifExists: true };
    const hadClone = await zfsDestroy(this.cloneOf(backupId), opts);
    const hadSnapshot = await zfsDestroy(this.snapshotOf(backupId), opts);
    try {
      await rmdir(this.mountOf(backupId));
    } catch (e) {
      // the mount point is left behind by zfs-fuse; anything else in it is not ours to delete
      if (!['ENOENT', 'ENOTEMPTY', 'EBUSY'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
    if (hadClone || hadSnapshot) this.log.info({ backupId, dataset: this.volume }, 'zfs snapshot removed');
    return hadClone || hadSnapshot;
  }

  async listSnapshots(): Promise<string[]> {
    const snaps = await zfsListSnapshots(this.volume, [], { logger: this.log });
    return snaps
      .filter((s) => s.snap.startsWith(SNAP_PREFIX) && BACKUP_ID_RE.test(s.snap.slice(SNAP_PREFIX.length)))
      .map((s) => s.snap.slice(SNAP_PREFIX.length));
  }

  async restorePath(): Promise<string> {
    const { mountpoint } = await zfsGet(this.volume, ['mountpoint'], { logger: this.log });
    if (!mountpoint || !mountpoint.startsWith('/')) {
      throw new FfError('FAILED_PRECONDITION', `source dataset ${this.volume} has no mountpoint (${mountpoint ?? 'none'})`, {
        hint: `set one: zfs set mountpoint=/path ${this.volume}`,
      });
    }
    return mountpoint;
  }

  async freeBytes(): Promise<number> {
    return Number((await zfsGet(this.volume, ['available'], { logger: this.log })).available);
  }

  /** The volume: an existing, mounted ZFS file system dataset; snapshotMount: a folder (or one that can be made). */
  async checks(o: CheckOptions = {}): Promise<Check[]> {
    const volume = await this.volumeCheck();
    const out = [volume, await creatableCheck('source-snapshots', 'source.snapshotMount', this.snapshotMount)];
    if (o.live && volume.ok) out.push(await spaceCheck('source-space', `source volume ${this.volume}`, () => this.freeBytes()));
    return out;
  }

  private async volumeCheck(): Promise<Check> {
    const name = 'source-volume';
    try {
      const p = await zfsGet(this.volume, ['type', 'mountpoint'], { logger: this.log });
      if (p.type !== 'filesystem') return { name, ok: false, detail: `source.volume: ${this.volume} is a ZFS ${p.type ?? 'object'}, not a file system dataset` };
      if (!p.mountpoint?.startsWith('/')) return { name, ok: false, detail: `source.volume: dataset ${this.volume} has no mountpoint (${p.mountpoint ?? 'none'}; zfs set mountpoint=/path ${this.volume})` };
      return { name, ok: true, detail: `source.volume: dataset ${this.volume} mounted at ${p.mountpoint}` };
    } catch (e) {
      if (zfsReasonOf(e) === 'does-not-exist') return { name, ok: false, detail: `source.volume: dataset ${this.volume} does not exist` };
      return { name, ok: false, detail: `source.volume: cannot read dataset ${this.volume}: ${firstLine(errorMessage(e))}` };
    }
  }
}
