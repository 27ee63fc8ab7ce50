import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKUP_ID_RE, FfError, checkBackupId, type Logger, type SourceConfig } from '@freezeframe/common';
import { freeBytes, isSubvolume, subvolumeDelete, subvolumeSnapshot } from '../../tools/btrfs.js';
import { creatableCheck, fileSystemCheck, folderCheck, fsKind, spaceCheck, type Check, type CheckOptions } from '../checks.js';
import { mountHolding } from '../../mountinfo.js';
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

  /** The volume: a btrfs subvolume; snapshotMount: on the same btrfs file system (snapshots cannot cross it). */
  async checks(o: CheckOptions = {}): Promise<Check[]> {
    const out: Check[] = [];
    let volume = await folderCheck('source-volume', 'source.volume', this.volume);
    const fs = volume.ok ? await fileSystemCheck('source-volume', 'source.volume', this.volume, 'btrfs') : undefined;
    if (fs) volume = fs.check;
    if (volume.ok && !(await isSubvolume(this.volume).catch(() => false))) {
      volume = { name: 'source-volume', ok: false, detail: `source.volume: ${this.volume} is a folder on btrfs, not a subvolume (btrfs subvolume create ${this.volume})` };
    }
    out.push(volume);
    let snaps = await creatableCheck('source-snapshots', 'source.snapshotMount', this.snapshotMount);
    if (snaps.ok && fs?.check.ok && fs.mount) {
      try {
        const m = await mountHolding(this.snapshotMount);
        if (m?.fsType !== 'btrfs' || m.source !== fs.mount.source) {
          snaps = { name: 'source-snapshots', ok: false, detail: `source.snapshotMount: ${this.snapshotMount} is on ${fsKind(m)}, not on the btrfs file system of source.volume (${fs.mount.source})` };
        }
      } catch (e) {
        snaps = { name: 'source-snapshots', ok: false, detail: `source.snapshotMount: cannot tell the file system of ${this.snapshotMount}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
      }
    }
    out.push(snaps);
    if (o.live && volume.ok) out.push(await spaceCheck('source-space', `source volume ${this.volume}`, () => this.freeBytes()));
    return out;
  }
}
