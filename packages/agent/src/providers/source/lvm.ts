import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKUP_ID_RE, FfError, checkBackupId, errorMessage, formatBytes, type Logger, type SourceConfig } from '@freezeframe/common';
import { lvchangeActivate, lvcreateSnapshot, lvmReasonOf, lvremove, lvs, snapshotBytes, type LvInfo } from '../../tools/lvm.js';
import { isMountPoint, mountReadOnly, umount } from '../../tools/mount.js';
import { creatableCheck, firstLine, folderCheck, MIN_FREE_BYTES, type Check, type CheckOptions } from '../checks.js';
import type { SourceProvider } from './types.js';

type LvmSourceConfig = Extract<SourceConfig, { kind: 'lvm' }>;

/** Tag on every snapshot LV freezeframe makes (`lvs @freezeframe` lists them). */
const TAG = 'freezeframe';

/**
 * An LVM logical volume mounted at `mountPoint`; each backup is the snapshot LV
 * `<vg>/<lv>-ff-<backup id>` (classic with `snapshotSize`, thin without), mounted read-only at
 * `<snapshotMount>/<backup id>` (`nouuid` for XFS, whose snapshot has the origin's UUID).
 */
export class LvmSource implements SourceProvider {
  readonly kind = 'lvm';
  readonly pointInTime = true;
  readonly volume: string;
  private readonly cfg: LvmSourceConfig;

  constructor(
    cfg: LvmSourceConfig,
    private readonly log: Logger,
  ) {
    this.cfg = cfg;
    this.volume = `${cfg.volumeGroup}/${cfg.logicalVolume}`;
  }

  private snapName(backupId: string): string {
    return `${this.cfg.logicalVolume}-ff-${checkBackupId(backupId)}`;
  }

  private mountOf(backupId: string): string {
    return join(this.cfg.snapshotMount, checkBackupId(backupId));
  }

  private opts(signal?: AbortSignal) {
    return { logger: this.log, ...(signal ? { signal } : {}) };
  }

  /** The VG's LVs; a missing VG is an FfError NOT_FOUND naming it. */
  private async rows(signal?: AbortSignal): Promise<LvInfo[]> {
    return lvs(this.cfg.volumeGroup, undefined, this.opts(signal));
  }

  private origin(rows: LvInfo[]): LvInfo {
    const o = rows.find((r) => r.name === this.cfg.logicalVolume);
    if (!o) throw new FfError('NOT_FOUND', `logical volume ${this.volume} does not exist`, { hint: `lvs ${this.cfg.volumeGroup} lists its logical volumes` });
    return o;
  }

  private async mountSnapshot(backupId: string, signal?: AbortSignal): Promise<string> {
    const dir = this.mountOf(backupId);
    await mkdir(dir, { recursive: true });
    if (await isMountPoint(dir, this.opts(signal))) return dir;
    await mountReadOnly(`/dev/${this.cfg.volumeGroup}/${this.snapName(backupId)}`, dir, {
      ...this.opts(signal),
      fsType: this.cfg.fsType,
      // an XFS snapshot carries its origin's UUID, which XFS refuses to mount twice
      options: this.cfg.fsType === 'xfs' ? ['nouuid'] : [],
    });
    return dir;
  }

  async prepare(backupId: string, signal?: AbortSignal): Promise<void> {
    const name = this.snapName(backupId);
    let created = false;
    try {
      const rows = await this.rows(signal);
      const origin = this.origin(rows);
      const existing = rows.find((r) => r.name === name);
      if (!existing) {
        if (!origin.thin && this.cfg.snapshotSize === undefined) {
          throw new FfError('SNAPSHOT_FAILED', `logical volume ${this.volume} is not thin: a snapshot of it needs source.snapshotSize`, { hint: 'set source.snapshotSize, e.g. 10%ORIGIN or 2G' });
        }
        await lvcreateSnapshot({ vg: this.cfg.volumeGroup, origin: this.cfg.logicalVolume, name, size: this.cfg.snapshotSize, tags: [TAG] }, this.opts(signal));
        created = true;
        this.log.info({ backupId, snapshot: `${this.cfg.volumeGroup}/${name}`, thin: this.cfg.snapshotSize === undefined }, 'lvm snapshot taken');
      } else if (!existing.active) {
        await lvchangeActivate(this.cfg.volumeGroup, name, this.opts(signal));
      }
      await this.mountSnapshot(backupId, signal);
    } catch (e) {
      // a half-made snapshot (made, not mounted) would hold VG space until cleanup: take it back now
      if (created) await this.remove(backupId).catch((r) => this.log.warn({ backupId, err: errorMessage(r) }, 'removing the unmounted lvm snapshot failed'));
      if (e instanceof FfError && (e.code === 'SNAPSHOT_FAILED' || e.code === 'CANCELLED')) throw e;
      throw new FfError('SNAPSHOT_FAILED', `lvm snapshot of ${this.volume} for backup ${backupId} failed: ${errorMessage(e)}`, {
        cause: e,
        ...(e instanceof FfError && e.hint ? { hint: e.hint } : {}),
      });
    }
  }

  async snapshotPath(backupId: string): Promise<string> {
    const name = this.snapName(backupId);
    const rows = await this.rows();
    if (!rows.some((r) => r.name === name)) {
      throw new FfError('NOT_FOUND', `no snapshot for backup ${backupId} on ${this.volume} (logical volume ${this.cfg.volumeGroup}/${name} does not exist)`);
    }
    return this.mountSnapshot(backupId);
  }

  async remove(backupId: string): Promise<boolean> {
    const name = this.snapName(backupId);
    const dir = this.mountOf(backupId);
    const unmounted = await umount(dir, { logger: this.log });
    let removed = false;
    try {
      await lvremove(this.cfg.volumeGroup, name, { logger: this.log });
      removed = true;
    } catch (e) {
      if (lvmReasonOf(e) !== 'no-such-lv') throw e;
    }
    try {
      await rmdir(dir);
    } catch (e) {
      // something else in it is not ours to delete
      if (!['ENOENT', 'ENOTEMPTY', 'EBUSY'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
    if (removed || unmounted) this.log.info({ backupId, snapshot: `${this.cfg.volumeGroup}/${name}` }, 'lvm snapshot removed');
    return removed || unmounted;
  }

  async listSnapshots(): Promise<string[]> {
    const prefix = `${this.cfg.logicalVolume}-ff-`;
    return (await this.rows())
      .filter((r) => r.origin === this.cfg.logicalVolume && r.name.startsWith(prefix) && BACKUP_ID_RE.test(r.name.slice(prefix.length)))
      .map((r) => r.name.slice(prefix.length))
      .sort();
  }

  async restorePath(): Promise<string> {
    return this.cfg.mountPoint;
  }

  /** Where snapshots grow: the VG's free space (classic), the thin pool's free data space (thin). */
  async freeBytes(): Promise<number> {
    const rows = await this.rows();
    const origin = this.origin(rows);
    if (origin.thin && this.cfg.snapshotSize === undefined) {
      const pool = rows.find((r) => r.name === origin.pool);
      if (!pool) throw new FfError('NOT_FOUND', `thin pool ${origin.pool ?? '(none)'} of ${this.volume} not found`);
      return Math.floor(pool.sizeBytes * (1 - (pool.dataPercent ?? 0) / 100));
    }
    return origin.vgFreeBytes;
  }

  /**
   * The LV exists (thin, or classic with snapshotSize); mountPoint is a folder; snapshotMount can
   * be made; live: room for one snapshot (snapshotSize in the VG, or a pool not nearly full).
   */
  async checks(o: CheckOptions = {}): Promise<Check[]> {
    const name = 'source-volume';
    let volume: Check;
    let rows: LvInfo[] | undefined;
    let origin: LvInfo | undefined;
    try {
      rows = await this.rows();
      origin = rows.find((r) => r.name === this.cfg.logicalVolume);
      if (!origin) volume = { name, ok: false, detail: `source.logicalVolume: ${this.volume} does not exist (lvs ${this.cfg.volumeGroup})` };
      else if (!origin.thin && this.cfg.snapshotSize === undefined) volume = { name, ok: false, detail: `source.snapshotSize: ${this.volume} is not a thin volume, so its snapshots need a size (e.g. 10%ORIGIN)` };
      else volume = { name, ok: true, detail: `source.logicalVolume: ${this.volume}, ${origin.thin ? `thin in pool ${origin.pool}` : 'classic'}, ${formatBytes(origin.sizeBytes)}` };
    } catch (e) {
      const missingVg = lvmReasonOf(e) === 'no-such-vg';
      volume = { name, ok: false, detail: missingVg ? `source.volumeGroup: volume group ${this.cfg.volumeGroup} does not exist` : `source.volumeGroup: cannot list ${this.cfg.volumeGroup}: ${firstLine(errorMessage(e))}` };
    }
    const out = [
      volume,
      await folderCheck('source-mount', 'source.mountPoint', this.cfg.mountPoint),
      await creatableCheck('source-snapshots', 'source.snapshotMount', this.cfg.snapshotMount),
    ];
    if (o.live && volume.ok && rows && origin) out.push(this.spaceCheck(rows, origin));
    return out;
  }

  private spaceCheck(rows: LvInfo[], origin: LvInfo): Check {
    const name = 'source-space';
    if (this.cfg.snapshotSize !== undefined) {
      const need = snapshotBytes(this.cfg.snapshotSize, origin.sizeBytes, origin.vgFreeBytes);
      if (need > origin.vgFreeBytes) return { name, ok: false, detail: `source.snapshotSize: ${this.cfg.snapshotSize} needs ${formatBytes(need)}, volume group ${this.cfg.volumeGroup} has ${formatBytes(origin.vgFreeBytes)} free` };
      return { name, ok: true, detail: `source.snapshotSize: ${this.cfg.snapshotSize} (${formatBytes(need)}) fits in ${formatBytes(origin.vgFreeBytes)} free in ${this.cfg.volumeGroup}` };
    }
    const pool = rows.find((r) => r.name === origin.pool);
    if (!pool) return { name, ok: false, detail: `thin pool ${origin.pool ?? '(none)'} of ${this.volume} not found` };
    const free = Math.floor(pool.sizeBytes * (1 - (pool.dataPercent ?? 0) / 100));
    if (free < MIN_FREE_BYTES) return { name, ok: false, detail: `thin pool ${this.cfg.volumeGroup}/${pool.name} has only ${formatBytes(free)} free (${pool.dataPercent ?? '?'}% used)` };
    return { name, ok: true, detail: `thin pool ${this.cfg.volumeGroup}/${pool.name}: ${formatBytes(free)} free` };
  }
}
