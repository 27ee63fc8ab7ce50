/**
 * The director's view of an agent, in plain domain types. The gRPC client (agent-client.ts)
 * implements `AgentNode` and `AppNode`; unit tests implement `AgentNode` in memory to check the
 * phase ordering.
 */
import type { LeaveOutClass } from '@freezeframe/common';

export type Role = 'source' | 'freeze' | 'target';

export interface NodeHealth {
  name: string;
  version: string;
  roles: Role[];
  ok: boolean;
  problems: string[];
  /** Backup id holding the target lock, if any. */
  targetLockedBy?: string;
  targetLockedSince?: string;
  /** What holds the lock: backup, restore, cleanup, verify, or receive (an OpenReceive without LockTarget). */
  targetLockPurpose?: string;
  /** When the lock expires unless renewed; 0 for a lock held only while receiving. */
  targetLockExpiresMs?: number;
  timeUnixMs: number;
  /** Backup ids currently holding a freeze on this node. */
  frozen: string[];
  /** Each check the agent made (agents before these fields report none). */
  checks?: HealthCheck[];
  /** The node's configured services (`services:`) as they are now. */
  services?: Array<{ kind: string; name: string; id: string; state: string }>;
  /** Services stop-services stopped and start-services has not started again. */
  servicesStopped?: string[];
  /** Not blocking, worth a look. */
  warnings?: string[];
}

export interface HealthCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** An application's reachability (docker, cassandra): a restore tolerates it failing. */
  application: boolean;
}

/** One source volume of a node, as its agent describes it. */
export interface SourceVolumeDesc {
  kind: string;
  volume: string;
  /** `<node>@+<volume>`: its folder in every backup. */
  entry: string;
  pointInTime: boolean;
  freeBytes: number;
  /** Its name under the agent's `sources:`; absent for `source:`. */
  name?: string;
  /** What its backups leave out (the agent's `leaveOut`: `acls`, `xattrs`); absent: nothing. */
  leaveOut?: LeaveOutClass[];
}

export interface NodeDescription {
  name: string;
  version: string;
  roles: Role[];
  /** The first of `sources`. */
  source?: SourceVolumeDesc;
  /** Every source volume of the node (one for `source:`, several for `sources:`). */
  sources?: SourceVolumeDesc[];
  freeze?: { kind: string };
  target?: {
    kind: string;
    freeBytes: number;
    /** What its file system cannot store (probed by the agent); `allowed`: listed in its target.unsupported. */
    limits?: Array<{ class: string; detail: string; allowed: boolean }>;
    /** A remote target (its target.replicaOf): the certificate name of the target whose backups it receives. */
    replicaOf?: string;
    /** It continues a cut replication stream from a resume token (OpenZFS); otherwise a cut stream restarts. */
    resumable?: boolean;
  };
  dataPort: number;
  rsyncVersion: string;
  /** Request fields the agent acts on that older agents ignore ("restore-paths", "restore-to-dir", "restore-into-entry"). */
  features?: string[];
  /** This node's receiving rsyncs that failed lately (their stderr), newest last. */
  receiveFailures?: Array<{ backupId: string; source: string; direction: 'backup' | 'restore' | 'replicate'; atMs: number; message: string }>;
}

export interface FreezeResult {
  frozen: string[];
  pausedAtMs: number;
  leaseExpiresAtMs: number;
  renewed: boolean;
}

export interface ThawResult {
  thawed: string[];
  thawedAtMs: number;
  wasFrozen: boolean;
}

export interface SnapshotResult {
  entry: string;
  durationMs: number;
  takenAtMs: number;
}

export interface TransferProgress {
  bytes: number;
  percent: number;
  rate: string;
  filesChecked: number;
}

export interface TransferStats {
  filesTotal: number;
  filesTransferred: number;
  /** Size of the whole tree. */
  bytesTotal: number;
  /** Literal data rsync had to send (the incremental part). */
  bytesTransferred: number;
  /** Bytes on the wire. */
  bytesSent: number;
  durationMs: number;
  exitCode: number;
  /** Files a second pass must compare by content (PerformRsync only). */
  recheckFiles?: number;
  /** Files the sender recorded with their checksum (PerformRsync only; see SentChecksums). */
  sentChecksums?: number;
  /** `--deep`: files sent because their content differed though size and mtime were equal. */
  contentOnly?: number;
  /** `compareLeftOut`: files and folders whose left-out ACLs or xattrs the stored copy did not match. */
  leftOutDiffered?: number;
}

/** One page of a source's list of files sent (SentChecksums). */
export interface SentPage {
  chunk: Buffer;
  nextOffset: number;
  eof: boolean;
  algorithm: string;
}

/** How the receiving end of one data-channel session ended (ReceiveResult). */
export interface ReceiveVerdict {
  state: 'done' | 'running' | 'unused' | 'unknown';
  exitCode: number;
  ok: boolean;
  message: string;
  notStored: Array<{ path: string; class: string; message: string; allowed: boolean }>;
  notStoredTotal: number;
}

export interface ReceiveTicket {
  ticket: string;
  dataPort: number;
  expiresAtMs: number;
  /** The receiver writes changed files in place; the sender's rsync must know. */
  inplace: boolean;
  /** The receiver takes the session to stunnel (the native byte path): the sender may skip its tunnel program. */
  native?: boolean;
}

export interface BackupListing {
  id: string;
  createdMs: number;
  entries: string[];
  usedBytes: number;
  /** The manifest stored with the backup, parsed when it is JSON. */
  manifest: unknown;
  complete: boolean;
}

export type Direction = 'backup' | 'restore';
/** Whose verdict a data-channel session gets: an rsync of a backup or restore, or a replication stream. */
export type SessionKind = Direction | 'replicate';

export interface OpenReceiveArgs {
  backupId: string;
  source: string;
  direction: Direction;
  /** Certificate identity of the node that will send. */
  peer: string;
  entry: string;
  /** Compare every file sent by content (the second pass, or no earlier backup to compare with). */
  recheck?: boolean;
  /** Restores: receive into `<toDir>/<restoreId>/<entry>` inside the node's restoreDirs instead of its volume. */
  toDir?: string;
  restoreId?: string;
  /** Restores into the volume: the node's own volume (its entry) to write into, when `entry` is another node's. */
  intoEntry?: string;
}

export interface SendArgs {
  backupId: string;
  ticket: string;
  receiverName: string;
  receiverHost: string;
  receiverDataPort: number;
  inplace: boolean;
  /** From ReceiveTicket.native. */
  receiverNative?: boolean;
  /** PerformRsync: the newest tagged backup holding this source (see recheck.ts on the agent). */
  previousBackupId?: string;
  /** PerformRsync: the second pass. */
  recheck?: boolean;
  /** PerformRsync: the volume to send (empty: the node's only one). */
  entry?: string;
  /** PerformRsync: compare every file by content (`backup --deep`). */
  deep?: boolean;
  /** PerformRsync: record every file sent with its checksum (both ends have feature `sent-checksums`). */
  sentChecksums?: boolean;
  /** PerformRsync: send the ACLs and xattrs the source's `leaveOut` names too (see SourceVolumeDesc.leaveOut). */
  compareLeftOut?: boolean;
}

export interface StreamOptions {
  onProgress?: (p: TransferProgress) => void;
  signal?: AbortSignal;
}

export type LockPurpose = 'backup' | 'restore' | 'cleanup' | 'verify' | 'prune' | 'drill';

export interface LockArgs {
  backupId: string;
  leaseMs: number;
  purpose: LockPurpose;
  /** This run's identity; renewals and the unlock must present it. */
  holder: string;
  /** A resumed run takes over the lock its dead predecessor left for the same backup id. */
  takeover?: boolean;
}

export interface LockResult {
  sinceMs: number;
  expiresAtMs: number;
  renewed: boolean;
  takenOverFrom: string;
}

export interface CleanupResult {
  removed: string[];
  problems: string[];
}

export interface VerifyResult {
  ok: boolean;
  filesChecked: number;
  bad: string[];
  missing: string[];
  hasChecksums: boolean;
  poolState: string;
  problems: string[];
  /** How the files were checked (agents from before it: absent, every file). */
  method?: string;
}

/** Writers and recent changes under a source volume's live folder (VolumeActivity). */
export interface VolumeActivity {
  path: string;
  /** At most 20; writersTotal counts them all. `command` is the process's own text. */
  writers: Array<{ pid: number; command: string; uid: number; files: number }>;
  writersTotal: number;
  /** Files and folders changed within the period asked; undefined when the agent could not count them in time. */
  recentlyChanged?: number;
}

/** One agent as the engine sees it. Every method rejects with an FfError naming the node. */
export interface AgentNode {
  readonly name: string;
  /** Host part of the inventory address: where peers reach this node's data port. */
  readonly host: string;
  health(): Promise<NodeHealth>;
  describe(): Promise<NodeDescription>;
  /** Both in one round trip, where the client can (healthAndDescription falls back to the two calls). */
  describeWithHealth?(): Promise<{ health: NodeHealth; desc: NodeDescription }>;
  freeze(backupId: string, leaseMs: number): Promise<FreezeResult>;
  thaw(backupId: string): Promise<ThawResult>;
  /** Snapshots the volume `entry` (empty: the node's only one). */
  prepareSnapshot(backupId: string, entry?: string): Promise<SnapshotResult>;
  /** Removes the snapshot of the volume `entry` (empty: of every volume of the node). */
  removeSnapshot(backupId: string, entry?: string): Promise<boolean>;
  openReceive(args: OpenReceiveArgs): Promise<ReceiveTicket>;
  /** As receiver: how the session of `ticket` ended, waiting up to `waitMs` for one still running. */
  receiveResult(ticket: string, waitMs: number): Promise<ReceiveVerdict>;
  performRsync(args: SendArgs, opts?: StreamOptions): Promise<TransferStats>;
  /** `requireSentChecksums`: refuse unless every entry's sender's list arrived (addSentChecksums). */
  tag(backupId: string, manifest: { deployment: string; json: string }, entries: string[], opts?: { requireSentChecksums?: boolean }): Promise<{ snapshot: string; durationMs: number; sentChecked?: number }>;
  /** Source: a page of the list of files sent for `entry` of `backupId` (feature `sent-checksums`). */
  sentChecksums?(backupId: string, entry: string, offset: number): Promise<SentPage>;
  /** Target: stores a page of a source's list, compared with what landed at the tag; the list's length. */
  addSentChecksums?(backupId: string, entry: string, offset: number, page: SentPage): Promise<number>;
  listBackups(): Promise<BackupListing[]>;
  activateBackup(backupId: string): Promise<string[]>;
  deactivateBackup(backupId: string): Promise<boolean>;
  /** `paths`: only these subtrees of the entry (a partial restore). */
  /** `expectedBytes`: the entry's size by the manifest, for a whole entry (RestoreSourceRequest.expected_bytes). */
  restoreSource(args: SendArgs & { entry: string; paths?: string[]; expectedBytes?: number }, opts?: StreamOptions): Promise<TransferStats>;
  lockTarget(args: LockArgs): Promise<LockResult>;
  unlockTarget(backupId: string, holder: string): Promise<boolean>;
  cleanup(keep: string[], dryRun?: boolean): Promise<CleanupResult>;
  /** `forRestore`: the check before a restore (a sample where the target's file system proves the rest; see VerifyBackupRequest). */
  verifyBackup(backupId: string, entries?: string[], o?: { forRestore?: boolean }): Promise<VerifyResult>;
  /** Target: keeps backup `backupId` readable for a person (`freezeframe mount`) until browseOff; where it is. */
  browseOn?(backupId: string): Promise<{ root: string; entries: string[] }>;
  /** Target: ends browseOn's activation; false when there was none to end. */
  browseOff?(backupId: string): Promise<boolean>;
  /** Source: who writes under the live folder of volume `entry` now, and how much changed lately (restore warns). */
  volumeActivity?(entry: string, recentSeconds?: number): Promise<VolumeActivity>;
  /** Deletes a tagged backup (retention); false when it did not exist. Refused while it is activated or in use. */
  deleteBackup(backupId: string): Promise<boolean>;
  close(): void;
}

/** A remote target's ticket for one replication stream (OpenReplicaReceive). */
export interface ReplicaTicket extends ReceiveTicket {
  /** Where a cut stream of this backup stopped (OpenZFS); empty: the sender sends it all. */
  resumeToken: string;
}

export interface ReplicaSendArgs extends SendArgs {
  /** The newest backup both targets hold; empty: a full stream. */
  baseId: string;
  resumeToken: string;
}

/** The replication RPCs of a target agent (`freezeframe replicate`). Reject with an FfError naming the node. */
export interface ReplicaNode {
  readonly name: string;
  /** Remote target: a one-time ticket for the stream of `backupId` (incremental from `baseId`) from `peer`. */
  openReplicaReceive(a: { backupId: string; baseId: string; peer: string }): Promise<ReplicaTicket>;
  /** Main target: sends the stream to the remote's data channel; the remote's ReceiveResult says how it ended. */
  replicaSend(a: ReplicaSendArgs, opts?: StreamOptions): Promise<TransferStats>;
  /** Main target: about how many bytes replicaSend would send. */
  replicaSize(backupId: string, baseId: string): Promise<{ bytes: number; how: string }>;
}

/** One step of an agent's keyspace restore (RestoreKeyspace), as it reports it. */
export interface KeyspaceStep {
  step: string;
  keyspace: string;
  table: string;
  detail: string;
  files: number;
  bytes: number;
  durationMs: number;
}

export interface ServiceState {
  kind: string;
  name: string;
  id: string;
  action: string;
}

/** The application RPCs of one agent (Cassandra keyspaces, configured services). Reject with an FfError naming the node. */
export interface AppNode {
  readonly name: string;
  /** `onStep` sees each step as it happens; on failure the error's `details.steps` holds those done. */
  restoreKeyspace(backupId: string, keyspaces: string[], onStep?: (s: KeyspaceStep) => void): Promise<KeyspaceStep[]>;
  stopServices(): Promise<ServiceState[]>;
  startServices(): Promise<ServiceState[]>;
}

export type Phase = 'preflight' | 'cleanup' | 'verify' | 'freeze' | 'snapshot' | 'thaw' | 'transfer' | 'tag' | 'release' | 'activate' | 'restore' | 'deactivate' | 'retention' | 'check' | 'replicate';

/** What the engine reports while it works; the CLI turns these into progress lines. */
export type EngineEvent =
  /** A backup or restore began: its id, said before anything else so an interrupted run can be named. */
  | { type: 'run'; kind: 'backup' | 'restore' | 'drill' | 'replicate'; id: string; backupId: string; deployment: string }
  | { type: 'phase-start'; phase: Phase; at: number }
  | { type: 'phase-end'; phase: Phase; at: number; durationMs: number; ok: boolean; error?: string }
  | { type: 'node'; phase: Phase; node: string; status: 'start' | 'done' | 'failed'; durationMs?: number; detail?: string }
  | { type: 'progress'; phase: Phase; node: string; progress: TransferProgress }
  | { type: 'warning'; node?: string; message: string }
  /**
   * Applications are paused, or about to be, from `open` until its close: whatever listens should
   * not wait on disk meanwhile (the live record stays unwritten). A freeze held through the
   * transfers closes the window when the transfers begin.
   */
  | { type: 'pause-window'; open: boolean };

export type EventSink = (e: EngineEvent) => void;
