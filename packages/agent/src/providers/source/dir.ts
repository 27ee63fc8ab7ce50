import { stat, statfs } from 'node:fs/promises';
import { FfError, type Logger, type SourceConfig } from '@freezeframe/common';
import { folderCheck, spaceCheck, type Check, type CheckOptions } from '../checks.js';
import type { SourceProvider } from './types.js';

type DirConfig = Extract<SourceConfig, { kind: 'dir' }>;

/**
 * A plain folder: no snapshot, the live tree is sent. Consistency therefore needs the freeze
 * held for the whole transfer (pointInTime=false tells the director). "Prepared" ids live in
 * memory only: there is nothing on disk to clean up.
 */
export class DirSource implements SourceProvider {
  readonly kind = 'dir';
  readonly pointInTime = false;
  readonly volume: string;
  private readonly prepared = new Set<string>();

  constructor(cfg: DirConfig, private readonly log: Logger) {
    this.volume = cfg.volume;
  }

  async prepare(backupId: string): Promise<void> {
    await this.checkVolume();
    this.prepared.add(backupId);
    this.log.debug({ backup_id: backupId, volume: this.volume }, 'dir source: nothing to snapshot');
  }

  async snapshotPath(backupId: string): Promise<string> {
    if (!this.prepared.has(backupId)) {
      throw new FfError('NOT_FOUND', `no snapshot prepared for backup ${backupId} on ${this.volume}`, { hint: 'call PrepareSnapshot first' });
    }
    await this.checkVolume();
    return this.volume;
  }

  async remove(backupId: string): Promise<boolean> {
    return this.prepared.delete(backupId);
  }

  async listSnapshots(): Promise<string[]> {
    return [...this.prepared];
  }

  async restorePath(): Promise<string> {
    await this.checkVolume();
    return this.volume;
  }

  async freeBytes(): Promise<number> {
    const s = await statfs(this.volume);
    return s.bavail * s.bsize;
  }

  async checks(o: CheckOptions = {}): Promise<Check[]> {
    const volume = await folderCheck('source-volume', 'source.volume', this.volume);
    if (!o.live || !volume.ok) return [volume];
    return [volume, await spaceCheck('source-space', `source volume ${this.volume}`, () => this.freeBytes())];
  }

  private async checkVolume(): Promise<void> {
    try {
      if ((await stat(this.volume)).isDirectory()) return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    throw new FfError('FAILED_PRECONDITION', `source volume ${this.volume} is not a folder`, { hint: 'check source.volume in the agent config' });
  }
}
