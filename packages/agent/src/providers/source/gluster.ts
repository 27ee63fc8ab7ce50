import { mkdir, rmdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKUP_ID_RE, FfError, checkBackupId, errorMessage, type Logger, type SourceConfig } from '@freezeframe/common';
import { glusterReasonOf, snapshotActivate, snapshotCreate, snapshotDeactivate, snapshotDelete, snapshotInfo, snapshotList, snapshotMountSource, volumeInfo } from '../../tools/gluster.js';
import { isMountPoint, mountReadOnly, umount } from '../../tools/mount.js';
import { creatableCheck, firstLine, folderCheck, spaceCheck, type Check, type CheckOptions } from '../checks.js';
import type { SourceProvider } from './types.js';

type GlusterSourceConfig = Extract<SourceConfig, { kind: 'gluster' }>;

/**
 * A GlusterFS volume, mounted on this node at `mountPoint`; each backup is the snapshot
 * `<volume>-ff-<backup id>` (GlusterFS snapshot names are cluster-wide, so the volume is in it),
 * activated and mounted read-only from `<server>:/snaps/<snapshot>/<volume>` at
 * `<snapshotMount>/<backup id>`. Release unmounts, deactivates and deletes it.
 */
export class GlusterSource implements SourceProvider {
  readonly kind = 'gluster';
  readonly pointInTime = true;
  readonly volume: string;

  constructor(
    private readonly cfg: GlusterSourceConfig,
    private readonly log: Logger,
  ) {
    this.volume = cfg.volume;
  }

  private snapName(backupId: string): string {
    return `${this.cfg.volume}-ff-${checkBackupId(backupId)}`;
  }

  private mountOf(backupId: string): string {
    return join(this.cfg.snapshotMount, checkBackupId(backupId));
  }

  private opts(signal?: AbortSignal) {
    return { logger: this.log, ...(signal ? { signal } : {}) };
  }

  private async mountSnapshot(backupId: string, signal?: AbortSignal): Promise<string> {
    const dir = this.mountOf(backupId);
    await mkdir(dir, { recursive: true });
    if (await isMountPoint(dir, this.opts(signal))) return dir;
    await mountReadOnly(snapshotMountSource(this.cfg.server, this.snapName(backupId), this.cfg.volume), dir, { ...this.opts(signal), fsType: 'glusterfs' });
    return dir;
  }

  async prepare(backupId: string, signal?: AbortSignal): Promise<void> {
    const snap = this.snapName(backupId);
    let created = false;
    try {
      const info = await snapshotInfo(snap, this.opts(signal));
      if (!info) {
        await snapshotCreate(snap, this.cfg.volume, this.opts(signal));
        created = true;
        this.log.info({ backupId, snapshot: snap }, 'gluster snapshot taken');
      }
      if (info?.status !== 'Started') await snapshotActivate(snap, this.opts(signal));
      await this.mountSnapshot(backupId, signal);
    } catch (e) {
      if (created) await this.remove(backupId).catch((r) => this.log.warn({ backupId, err: errorMessage(r) }, 'removing the unmounted gluster snapshot failed'));
      if (e instanceof FfError && (e.code === 'SNAPSHOT_FAILED' || e.code === 'CANCELLED')) throw e;
      throw new FfError('SNAPSHOT_FAILED', `gluster snapshot of ${this.volume} for backup ${backupId} failed: ${errorMessage(e)}`, {
        cause: e,
        ...(e instanceof FfError && e.hint ? { hint: e.hint } : {}),
      });
    }
  }

  async snapshotPath(backupId: string): Promise<string> {
    const snap = this.snapName(backupId);
    const info = await snapshotInfo(snap, { logger: this.log });
    if (!info) throw new FfError('NOT_FOUND', `no snapshot for backup ${backupId} on ${this.volume} (gluster snapshot ${snap} does not exist)`);
    if (info.status !== 'Started') await snapshotActivate(snap, { logger: this.log });
    return this.mountSnapshot(backupId);
  }

  async remove(backupId: string): Promise<boolean> {
    const snap = this.snapName(backupId);
    const dir = this.mountOf(backupId);
    const unmounted = await umount(dir, { logger: this.log });
    let removed = false;
    try {
      // a snapshot is deleted deactivated: its bricks are unmounted on every server first
      await snapshotDeactivate(snap, { logger: this.log });
      await snapshotDelete(snap, { logger: this.log });
      removed = true;
    } catch (e) {
      if (glusterReasonOf(e) !== 'no-such-snapshot') throw e;
    }
    try {
      await rmdir(dir);
    } catch (e) {
      if (!['ENOENT', 'ENOTEMPTY', 'EBUSY'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
    if (removed || unmounted) this.log.info({ backupId, snapshot: snap }, 'gluster snapshot removed');
    return removed || unmounted;
  }

  async listSnapshots(): Promise<string[]> {
    const prefix = `${this.cfg.volume}-ff-`;
    return (await snapshotList(this.cfg.volume, { logger: this.log }))
      .filter((n) => n.startsWith(prefix) && BACKUP_ID_RE.test(n.slice(prefix.length)))
      .map((n) => n.slice(prefix.length))
      .sort();
  }

  async restorePath(): Promise<string> {
    return this.cfg.mountPoint;
  }

  /** Free space of the mounted volume (GlusterFS snapshots live in the bricks' thin pools, which it does not show). */
  async freeBytes(): Promise<number> {
    const s = await statfs(this.cfg.mountPoint);
    return s.bavail * s.bsize;
  }

  /** The volume exists and is started; mountPoint is a folder; snapshotMount can be made. */
  async checks(o: CheckOptions = {}): Promise<Check[]> {
    const name = 'source-volume';
    let volume: Check;
    try {
      const v = await volumeInfo(this.cfg.volume, { logger: this.log });
      volume = v.status === 'Started' ? { name, ok: true, detail: `source.volume: GlusterFS volume ${v.name} (${v.type}, ${v.brickCount} bricks) is started` } : { name, ok: false, detail: `source.volume: GlusterFS volume ${v.name} is ${v.status || 'not started'} (gluster volume start ${v.name})` };
    } catch (e) {
      volume = { name, ok: false, detail: glusterReasonOf(e) === 'no-such-volume' ? `source.volume: GlusterFS volume ${this.cfg.volume} does not exist` : `source.volume: cannot read GlusterFS volume ${this.cfg.volume}: ${firstLine(errorMessage(e))}` };
    }
    const mount = await folderCheck('source-mount', 'source.mountPoint', this.cfg.mountPoint);
    const out = [volume, mount, await creatableCheck('source-snapshots', 'source.snapshotMount', this.cfg.snapshotMount)];
    if (o.live && mount.ok) out.push(await spaceCheck('source-space', `source volume ${this.volume} at ${this.cfg.mountPoint}`, () => this.freeBytes()));
    return out;
  }
}
