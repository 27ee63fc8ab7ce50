import type { Readable } from 'node:stream';
import type { Logger } from '@freezeframe/common';
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
  /** Names beyond the first of each inode among the tree's regular files: 0 when it holds no hard links. */
  sharedNames?: number;
}

/** `browse`: an activation for a person to look around (`freezeframe mount`), kept apart from a restore's. */
export interface ActivateOptions {
  browse?: boolean;
}

/** A command whose stdout is one backup's replication stream. */
export interface ReplicaCommand {
  bin: string;
  args: string[];
}

/** One replication stream to receive (see TargetProvider.replicaReceive). */
export interface ReplicaReceive {
  backupId: string;
  /** The backup the stream is incremental from; undefined: a full stream. */
  baseId: string | undefined;
  /** The sender says it resumes a cut stream (ZFS resume token); otherwise a partial receive is discarded first. */
  resume: boolean;
  input: Readable;
  signal: AbortSignal;
  timeoutMs: number;
  log: Logger;
}

/** Where and how the receiving rsync writes (TargetProvider.prepareReceive). */
export interface Receive {
  path: string;
  rsyncOptions: string[];
  /**
   * The folder holding both `path` and every --link-dest basis: the receiver's rsync then sees
   * it at /mnt, chrooted in a mount namespace of its own (datachannel/short-view.ts).
   */
  viewRoot?: string;
  /**
   * Every symlink in `path` and its --link-dest basis was stored munged (rsync --munge-links), so
   * none can be followed anywhere: the receiver then turns off rsync's own symlink walk in its
   * view (datachannel/server.ts).
   */
  linksMunged?: boolean;
  /** prepareReceive itself rewrote files of the entry (split hard links): no receiver's journal says so. */
  rewrote?: boolean;
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
   * split (see link-groups.ts). `clean` is cleanSinceLastTag as this receive already asked it
   * (a commit and two subvolume shows on btrfs, once rather than twice).
   */
  prepareReceive(backupId: string, entry: string, o?: { recheck?: boolean; clean?: () => Promise<boolean> }): Promise<Receive>;
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
  /**
   * What the file system itself proves about a tagged backup, for the check before a restore:
   * nothing was written to it since it was tagged, and every block read is checked against the
   * file system's own checksum (a damaged block fails the read instead of returning other
   * bytes). Then a sample of the files is re-hashed instead of every file. Absent, or `why`:
   * every file is re-hashed.
   */
  integrity?(backupId: string): Promise<StorageIntegrity>;
  freeBytes(): Promise<number>;
  /** What this kind relies on (the path or dataset, its pool, mount options), checked on the real system; never throws. */
  checks(o?: CheckOptions): Promise<Check[]>;
  /** A folder on the file system that stores the backups (where target-probe.ts tries what it can hold). */
  storageRoot(): Promise<string>;
  /** The folder holding the received entries of `backupId` before tag (per-file checksums are recorded there). */
  receivedRoot?(backupId: string): Promise<string>;
  /**
   * True when nothing was written to the received tree since the newest backup was tagged from
   * it, so that it holds exactly that backup's files and checksum record: the next record can
   * then be made from what the receivers journal (receive-journal.ts). Kinds that receive each
   * backup into a new tree leave it out.
   */
  cleanSinceLastTag?(): Promise<boolean>;
  /**
   * Writes what the working tree received to disk. The tag starts it before it makes the checksum
   * record, so the snapshot after the record has little left to commit. Kinds whose snapshot does
   * not commit the tree's writes leave it out.
   */
  commitReceived?(): Promise<void>;
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
  /**
   * Replication, sender: the command that writes `backupId` as a stream, incremental from
   * `baseId`, or the rest of a cut stream from `resumeToken` (refused unless the token names this
   * target's own `backupId`). Kinds without it do not replicate.
   */
  replicaSendCommand?(backupId: string, baseId: string | undefined, resumeToken?: string): Promise<ReplicaCommand>;
  /** Replication, sender: about how many bytes that stream has, and how that was found. */
  replicaSize?(backupId: string, baseId: string | undefined): Promise<{ bytes: number; how: string }>;
  /**
   * Replication, receiver: receives the stream as backup `backupId` (the kind alone decides where
   * and how), checks what landed and keeps it only if it is exactly that backup, complete;
   * anything else is deleted and the reason thrown. Never overwrites a backup it holds.
   */
  replicaReceive?(o: ReplicaReceive): Promise<void>;
  /** Replication, receiver: the resume token of a cut stream of `backupId` ('' when none or not supported). */
  replicaResumeToken?(backupId: string): Promise<string>;
  /** Replication, receiver: a cut stream can continue where it stopped. */
  replicaResumable?(): Promise<boolean>;
}

export type StorageIntegrity = { proven: string } | { why: string };
