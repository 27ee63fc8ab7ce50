import type { Check, CheckOptions } from '../checks.js';

export interface TargetBackup {
  backupId: string;
  createdUnixMs: number;
  entries: string[];
  /**
   * Bytes on disk this backup holds. ZFS: the snapshot's `used`. dir: bytes of the files it did
   * not share with the previous backup when it was tagged (recorded then, so listing never walks trees).
   * btrfs: file data written into the working tree since the previous snapshot, recorded at tag time.
   */
  usedBytes: number;
  /** The manifest stored with the backup (JSON text), '' if none. */
  manifestJson: string;
}

/** What the tag RPC learned about the received tree while recording its checksums. */
export interface TagInfo {
  /** Bytes on disk of files not shared with the previous backup (by inode: only meaningful for hard-linked trees). */
  usedBytes?: number;
}

/** `browse`: an activation for a person to look around (`freezeframe mount`), kept apart from a restore's. */
export interface ActivateOptions {
  browse?: boolean;
}

/**
 * A target kind: stores backups, one per backup id, each holding one folder per entry
 * (`<source>@+<volume>`). One file per kind under providers/target/, registered in index.ts.
 */
export interface TargetProvider {
  readonly kind: string;
  /**
   * The folder that receives `entry` for `backupId` (created if missing) and the receiver-side
   * rsync options this kind needs (ZFS, btrfs: `--inplace`; dir: `--link-dest=<previous backup's entry>`).
   * Before the first pass (not `recheck`), hard-link groups the receiver would start from are
   * split (see link-groups.ts).
   */
  prepareReceive(backupId: string, entry: string, o?: { recheck?: boolean }): Promise<{ path: string; rsyncOptions: string[] }>;
  /**
   * Makes the received entries backup `backupId` with its manifest. Refuses (FAILED_PRECONDITION)
   * when an entry in `entries` was not received. Tagging an already tagged id is an error.
   */
  tag(backupId: string, manifestJson: string, entries: readonly string[], info?: TagInfo): Promise<{ snapshot: string }>;
  /** Tagged backups, oldest first. */
  list(): Promise<TargetBackup[]>;
  /** Makes a tagged backup readable; returns the folder holding its entries. Idempotent. */
  activate(backupId: string, o?: ActivateOptions): Promise<{ root: string; entries: string[] }>;
  /** Releases what activate made (ZFS clone). Idempotent; false when nothing was active. */
  deactivate(backupId: string, o?: ActivateOptions): Promise<boolean>;
  freeBytes(): Promise<number>;
  /** What this kind relies on (the path or dataset, its pool, mount options), checked on the real system; never throws. */
  checks(o?: CheckOptions): Promise<Check[]>;
  /** A folder on the file system that stores the backups (where target-probe.ts tries what it can hold). */
  storageRoot(): Promise<string>;
  /** The folder holding the received entries of `backupId` before tag (per-file checksums are recorded there). */
  receivedRoot?(backupId: string): Promise<string>;
  /**
   * The root of the tagged backup that `backupId` was received against, when the kind receives
   * each backup into a new tree hard-linked to that one (dir target: the newest earlier backup).
   * Its recorded checksums are reused for files that still share its inodes.
   */
  previousRoot?(backupId: string): Promise<string | undefined>;
  /**
   * Deletes tagged backup `backupId` (retention). Refuses with FAILED_PRECONDITION while it is
   * activated (ZFS: a clone depends on its snapshot). A backup is never seen half-deleted: it
   * disappears from list() first. False when there was no such backup (idempotent).
   */
  destroy(backupId: string): Promise<boolean>;
  /**
   * `target.browse`: makes `backupId` (the newest) readable at the configured path, replacing the
   * one shown before; returns where it is shown. Undefined when target.browse is not set.
   */
  showLatest?(backupId: string): Promise<string | undefined>;
  /** Removes what activate/list left behind for backups not in `keep` (clones, mounts); returns what it removed. Idempotent. */
  cleanup?(keep: ReadonlySet<string>, dryRun: boolean): Promise<string[]>;
}
