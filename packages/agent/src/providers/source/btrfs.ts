import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKUP_ID_RE, FfError, checkBackupId, type Logger, type SourceConfig } from '@freezeframe/common';
import { freeBytes, isSubvolume, subvolumeDelete, subvolumeSnapshot } from '../../tools/btrfs.js';
import type { SourceProvider } from './types.js';

type BtrfsSourceConfig = Extract<SourceConfig, { kind: 'btrfs' }>;

/**
 * A btrfs subvolume; each backup is a read-only snapshot `<snapshotMount>/<backup id>`, which
 * must be a folder on the same btrfs filesystem (snapshots cannot cross filesystems).
 */
export class BtrfsSource implements SourceProvider {
  readonly kind = 'btrfs';
  readonly pointInTime = true;
  readonly volume: string;
  private readonly snapshotMount: string;

  constructor(
    cfg: BtrfsSourceConfig,
    private readonly log: Logger,
  ) {
    this.volume = cfg.volume;
    this.snapshotMount = cfg.snapshotMount;
  }

  private pathOf(backupId: string): string {
    return join(this.snapshotMount, checkBackupId(backupId));
  }

  async prepare(backupId: string, signal?: AbortSignal): Promise<void> {
    const dst = this.pathOf(backupId);
    if (await isSubvolume(dst)) return;
    if (!(await isSubvolume(this.volume))) {
      throw new FfError('SNAPSHOT_FAILED', `source volume ${this.volume} is not a btrfs subvolume`, {
        hint: `create it with: btrfs subvolume create ${this.volume}`,
        details: { path: this.volume },
      });
    }
    await mkdir(this.snapshotMount, { recursive: true });
    await subvolumeSnapshot(this.volume, dst, { readonly: true, logger: this.log, ...(signal ? { signal } : {}) });
    this.log.info({ backupId, snapshot: dst }, 'btrfs snapshot taken');
  }

  async snapshotPath(backupId: string): Promise<string> {
    const path = this.pathOf(backupId);
    if (!(await isSubvolume(path))) {
      throw new FfError('NOT_FOUND', `no snapshot for backup ${backupId} on ${this.volume} (${path} is not a subvolume)`);
    }
    return path;
  }

  async remove(backupId: string): Promise<boolean> {
    const path = this.pathOf(backupId);
    if (!(await isSubvolume(path))) return false;
    await subvolumeDelete(path, { logger: this.log });
    this.log.info({ backupId, snapshot: path }, 'btrfs snapshot removed');
    return true;
  }

  async listSnapshots(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.snapshotMount);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const ids: string[] = [];
    for (const n of names.filter((n) => BACKUP_ID_RE.test(n)).sort()) {
      if (await isSubvolume(join(this.snapshotMount, n))) ids.push(n);
    }
    return ids;
  }

  async restorePath(): Promise<string> {
    return this.volume;
  }

  async freeBytes(): Promise<number> {
    return freeBytes(this.volume);
  }
}
