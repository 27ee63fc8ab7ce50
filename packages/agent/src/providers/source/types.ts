import type { Check, CheckOptions } from '../checks.js';

/**
 * A source volume kind. One file per kind under providers/source/, registered in index.ts.
 * Providers know nothing of gRPC; they wrap the tools in src/tools/.
 */
export interface SourceProvider {
  readonly kind: string;
  /** The volume as configured (path, dataset, vg/lv): it names the entry `<node>@+<volume>`. */
  readonly volume: string;
  /** False when there is no snapshot (kind `dir`): the freeze must be held during the transfer. */
  readonly pointInTime: boolean;
  /** Takes the point-in-time snapshot of `backupId`; idempotent for the same id. */
  prepare(backupId: string, signal?: AbortSignal): Promise<void>;
  /** The folder holding the snapshot's tree (what is sent). NOT_FOUND if not prepared. */
  snapshotPath(backupId: string): Promise<string>;
  /** Removes the snapshot and its mount; false when there was none. Idempotent. */
  remove(backupId: string): Promise<boolean>;
  /** Backup ids that have a snapshot on this node (for cleanup of leftovers). */
  listSnapshots(): Promise<string[]>;
  /** The live folder a restore writes into. */
  restorePath(): Promise<string>;
  /** Free bytes where snapshots grow. */
  freeBytes(): Promise<number>;
  /** What this kind relies on (the volume, its file system, folders, programs), checked on the real system; never throws. */
  checks(o?: CheckOptions): Promise<Check[]>;
}
