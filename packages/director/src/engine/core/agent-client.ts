import * as grpc from '@grpc/grpc-js';
import {
  FfError,
  MAX_MESSAGE_BYTES,
  fromGrpcError,
  loadProto,
  splitHostPort,
  type AgentClient,
} from '@freezeframe/common';
import type { ActivateBackupResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/ActivateBackupResponse.js';
import type { DeactivateBackupResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/DeactivateBackupResponse.js';
import type { VolumeActivityResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/VolumeActivityResponse.js';
import type { DescribeResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/DescribeResponse.js';
import type { FreezeResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/FreezeResponse.js';
import type { HealthResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/HealthResponse.js';
import type { ListBackupsResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/ListBackupsResponse.js';
import type { OpenReceiveResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/OpenReceiveResponse.js';
import type { PrepareSnapshotResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/PrepareSnapshotResponse.js';
import type { RemoveSnapshotResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/RemoveSnapshotResponse.js';
import type { ThawResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/ThawResponse.js';
import type { ZfsTagResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/ZfsTagResponse.js';
import type { SentChecksumsResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/SentChecksumsResponse.js';
import type { AddSentChecksumsResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/AddSentChecksumsResponse.js';
import type { TransferProgress__Output } from '@freezeframe/common/generated/freezeframe/v1/TransferProgress.js';
import type { TransferStats__Output } from '@freezeframe/common/generated/freezeframe/v1/TransferStats.js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { CleanupResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/CleanupResponse.js';
import type { LockTargetResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/LockTargetResponse.js';
import type { UnlockTargetResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/UnlockTargetResponse.js';
import type { VerifyBackupResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/VerifyBackupResponse.js';
import type { DeleteBackupResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/DeleteBackupResponse.js';
import type { ReceiveResultResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/ReceiveResultResponse.js';
import type { RestoreKeyspaceStep__Output } from '@freezeframe/common/generated/freezeframe/v1/RestoreKeyspaceStep.js';
import type { StartServicesResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/StartServicesResponse.js';
import type { StopServicesResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/StopServicesResponse.js';
import type { CheckDrillResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/CheckDrillResponse.js';
import type { RemoveDrillResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/RemoveDrillResponse.js';
import type { OpenReplicaReceiveResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/OpenReplicaReceiveResponse.js';
import type { ReplicaSizeResponse__Output } from '@freezeframe/common/generated/freezeframe/v1/ReplicaSizeResponse.js';
import type { DrillCheckResult, DrillNode, DrillSample, OpenDrillArgs } from './drill-types.js';
import { leaveOutOf } from './left-out.js';
import type {
  AgentNode,
  AppNode,
  KeyspaceStep,
  ServiceState,
  ReceiveVerdict,
  BackupListing,
  CleanupResult,
  LockArgs,
  LockResult,
  VerifyResult,
  NodeDescription,
  SourceVolumeDesc,
  VolumeActivity,
  NodeHealth,
  OpenReceiveArgs,
  ReceiveTicket,
  ReplicaNode,
  ReplicaSendArgs,
  ReplicaTicket,
  Role,
  SendArgs,
  SentPage,
  StreamOptions,
  TransferProgress,
  TransferStats,
} from './types.js';

// The only module that sees generated types: everything leaving it is a domain type.

/**
 * Deadlines by the work a call does. Calls that answer from memory or touch a few files stay
 * short so a hung node fails fast; calls whose work grows with the backup (a 200k-file tree
 * is listed, hashed, cloned or removed in minutes on a busy machine) get a deadline that fits
 * that work instead of failing half-way with DEADLINE_EXCEEDED.
 */
const UNARY_DEADLINE_MS = 30_000;
/** How long a call waits for its node's connection before the node counts as unreachable. */
const CONNECT_DEADLINE_MS = 10_000;
/**
 * Once a node was found unreachable, later calls (retries, the release after a failed run) wait
 * only this long for it: a node cut off the network must not hold the run for a full deadline per
 * call; a short blip still recovers.
 */
const RECONNECT_DEADLINE_MS = 3_000;
/** Freeze and thaw are on the critical path of the freeze window: fail fast. */
const FREEZE_DEADLINE_MS = 10_000;
/** Listing, activating (clone and mount), deactivating, deleting and cleaning up backups: per-backup work. */
const TREE_DEADLINE_MS = 30 * 60_000;
/** Tag hashes every new or changed file; verify re-reads every file of a backup. */
const HASH_DEADLINE_MS = 6 * 3600_000;
/** Stopping containers waits for each container's stop timeout. */
const SERVICES_DEADLINE_MS = 10 * 60_000;

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // keepalive so a transfer stream over a dead network fails within ~20 s instead of hanging;
  // our agents (grpc-js) enforce no minimum ping interval, so pinging this often is allowed
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 0,
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  // channelz (grpc-js's introspection service, which we never serve) records every call and
  // connection of every channel: at hundreds of nodes that is director time for nothing
  'grpc.enable_channelz': 0,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
  // each node has a channel of its own, so a shared pool shares nothing; and closing a channel
  // sweeps the whole shared pool, so closing N channels cost N² (437 ms of a 1000-node run)
  'grpc.use_local_subchannel_pool': 1,
};

const num = (v: string | number | undefined | null): number => (v === undefined || v === null || v === '' ? 0 : Number(v));
const toRoles = (roles: string[]): Role[] => roles.filter((r): r is Role => r === 'source' || r === 'freeze' || r === 'target');

function toProgress(p: TransferProgress__Output): TransferProgress {
  return { bytes: num(p.bytes), percent: p.percent, rate: p.rate, filesChecked: num(p.files_checked) };
}

function toStats(s: TransferStats__Output): TransferStats {
  return {
    filesTotal: num(s.files_total),
    filesTransferred: num(s.files_transferred),
    bytesTotal: num(s.bytes_total),
    bytesTransferred: num(s.bytes_transferred),
    bytesSent: num(s.bytes_sent),
    durationMs: num(s.duration_ms),
    exitCode: s.exit_code,
    recheckFiles: num(s.recheck_files),
    sentChecksums: num(s.sent_checksums),
    contentOnly: num(s.content_only),
    leftOutDiffered: num(s.left_out_differed),
  };
}

function parseManifest(json: string): unknown {
  if (!json) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;

/**
 * grpc-js's text for a failed connection without its boilerplate: "No connection established.
 * Last error: <cause> (<time>). Resolution note: <often empty>" becomes "<cause>".
 */
export function connectionCause(text: string): string {
  return text
    .replace(/^\d+ [A-Z_]+: /, '')
    .replace(/^(?:\w+: )?No connection established\. Last error: /, '')
    .replace(/\.? ?Resolution note:.*$/s, '')
    .replace(/ \(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '')
    .trim();
}

/**
 * A failed connection to node `name` at `address`, said so a newcomer knows what to do: the
 * node, the address, the cause, and the likely fix. Undefined when `text` (grpc-js's message)
 * is no connection failure.
 */
export function connectionFailure(name: string, address: string, text: string): { message: string; hint: string } | undefined {
  const cause = connectionCause(text);
  // the director's own identity check (channelCredentials) says "certificate names 'X', expected
  // node 'Y'"; Node's hostname check lists the certificate's altnames
  const presented = (/certificate names '([^']+)', expected node/.exec(cause) ?? /cert's altnames:\s*(?:DNS:|IP Address:)?([^,\s]+)/i.exec(cause))?.[1];
  if (/ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate|certificate names '[^']*', expected node/i.test(cause)) {
    const who = presented ? `a certificate for '${presented}'` : 'a certificate for another name';
    return {
      message: `${name}: the agent at ${address} presented ${who}, not for '${name}': the inventory's name or the certificate is wrong`,
      hint: `name the node in the inventory as its certificate does${presented ? ` ('${presented}')` : ''}, or issue it a certificate for '${name}' (freezeframe certs issue --name ${name})`,
    };
  }
  if (/ECONNREFUSED/.test(cause)) {
    return {
      message: `${name}: ${address} refused the connection: is freezeframe-agent running there?`,
      hint: `start freezeframe-agent on ${name} (or fix the node's address in the inventory), then check with \`freezeframe health\``,
    };
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(cause)) {
    return { message: `${name}: the host of ${address} does not resolve (${cause})`, hint: `fix the node's address in the inventory` };
  }
  if (/EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET/.test(cause)) {
    return { message: `${name}: ${address} could not be reached (${cause})`, hint: `check the network between the director and ${name}, and that freezeframe-agent listens on ${address}` };
  }
  if (/certificate|SSL|TLS|handshake|alert/i.test(cause)) {
    return {
      message: `${name}: TLS with the agent at ${address} failed: ${cause}`,
      hint: `the node's certificate and the director's must be issued by the same CA (tls.ca), and not be revoked or expired`,
    };
  }
  if (cause !== text.trim() && /No connection established|Resolution note/.test(text)) {
    return { message: `${name}: no connection to ${address}: ${cause}`, hint: `check that freezeframe-agent runs on ${name} and listens on ${address}` };
  }
  return undefined;
}

/**
 * The one client for one agent, for every RPC (backup, restore, and the application RPCs); the
 * server certificate must name `name`.
 */
export class GrpcAgentNode implements AgentNode, AppNode, DrillNode, ReplicaNode {
  readonly name: string;
  readonly host: string;
  readonly address: string;
  private readonly client: AgentClient;
  /** Set when a call found the node unreachable (why, for the calls that follow); cleared by the next answer. */
  private unreachable: string | undefined;

  /** `creds` from channelCredentials(), shared by every node of a run. */
  constructor(node: { name: string; address: string }, creds: grpc.ChannelCredentials) {
    this.name = node.name;
    this.address = node.address;
    this.host = splitHostPort(node.address).host;
    const Agent = loadProto().freezeframe.v1.Agent;
    this.client = new Agent(node.address, creds, {
      ...CHANNEL_OPTIONS,
      // the identity we check is the node name, whatever address the inventory uses
      'grpc.ssl_target_name_override': node.name,
      'grpc.default_authority': node.name,
    });
  }

  private async unary<T>(call: (opts: grpc.CallOptions, cb: Callback<T>) => void, deadlineMs = UNARY_DEADLINE_MS): Promise<T> {
    const deadline = Date.now() + deadlineMs;
    // a node that just failed must reconnect within seconds; otherwise the call goes out at once
    // (a refused or failed connection then fails it at once, with its cause)
    if (this.unreachable !== undefined) await this.ready(deadlineMs);
    return new Promise((resolve, reject) => {
      call({ deadline }, (err, res) => {
        if (err) reject(this.failed(err));
        else if (res === undefined) reject(new FfError('INTERNAL', `${this.name}: empty response`, { node: this.name }));
        else {
          this.unreachable = undefined;
          resolve(res);
        }
      });
    });
  }

  private failed(e: unknown): FfError {
    let err = fromGrpcError(e, this.name);
    if (err.code === 'UNAVAILABLE') {
      const said = connectionFailure(this.name, this.address, err.message.replace(`${this.name}: `, ''));
      if (said) err = new FfError(err.code, said.message, { node: this.name, cause: e, hint: said.hint, ...(err.details ? { details: err.details } : {}) });
      this.unreachable = err.message.replace(`${this.name}: `, '');
    }
    return err;
  }

  /**
   * Waits for the node's connection: streams carry no deadline, so they start only once the node
   * is reachable, and an unreachable node fails in seconds, not after TCP gives up.
   */
  private ready(budgetMs = CONNECT_DEADLINE_MS): Promise<void> {
    const waitMs = Math.min(budgetMs, this.unreachable !== undefined ? RECONNECT_DEADLINE_MS : CONNECT_DEADLINE_MS);
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + waitMs, (err) => {
        if (!err) return resolve();
        const earlier = this.unreachable ? ` (earlier: ${this.unreachable})` : '';
        this.unreachable ??= connectionCause(err.message);
        reject(
          new FfError('UNAVAILABLE', `${this.name}: not reachable at ${this.address} within ${waitMs / 1000} s: ${connectionCause(err.message)}${earlier}`, {
            node: this.name,
            cause: err,
            hint: `check that freezeframe-agent runs on ${this.name} and listens on ${this.address} (\`freezeframe health\`)`,
          }),
        );
      });
    });
  }

  /** Drains a progress stream; the last message carries the stats. */
  private async drain(stream: ClientReadableStream<TransferProgress__Output>, what: string, opts: StreamOptions = {}): Promise<TransferStats> {
    const onAbort = () => stream.cancel();
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let done: TransferStats | undefined;
    try {
      for await (const msg of stream as AsyncIterable<TransferProgress__Output>) {
        this.unreachable = undefined;
        if (msg.done) done = toStats(msg.done);
        else opts.onProgress?.(toProgress(msg));
      }
    } catch (e) {
      const err = this.failed(e);
      if (err.code === 'CANCELLED' && opts.signal?.aborted) {
        // the abort's reason says why (an interruption: the signal's name); otherwise a sibling transfer failed
        const why = typeof opts.signal.reason === 'string' ? `by ${opts.signal.reason}` : 'because another transfer failed';
        throw new FfError('CANCELLED', `${this.name}: ${what} cancelled ${why}`, { node: this.name });
      }
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    if (!done) throw new FfError('TRANSFER_FAILED', `${this.name}: ${what} ended without final statistics`, { node: this.name });
    return done;
  }

  /** `answered`: the Health answer a Describe with_health carried (describeWithHealth). */
  async health(answered?: HealthResponse__Output): Promise<NodeHealth> {
    const r = answered ?? (await this.unary<HealthResponse__Output>((o, cb) => this.client.Health({}, o, cb)));
    return {
      name: r.name,
      version: r.version,
      roles: toRoles(r.roles),
      ok: r.ok,
      problems: r.problems,
      ...(r.target_locked_by ? { targetLockedBy: r.target_locked_by } : {}),
      ...(r.target_locked_since ? { targetLockedSince: r.target_locked_since } : {}),
      ...(r.target_lock_purpose ? { targetLockPurpose: r.target_lock_purpose } : {}),
      ...(num(r.target_lock_expires_unix_ms) ? { targetLockExpiresMs: num(r.target_lock_expires_unix_ms) } : {}),
      timeUnixMs: num(r.time_unix_ms),
      frozen: r.frozen,
      checks: (r.checks ?? []).map((c) => ({ name: c.name, ok: c.ok, detail: c.detail, application: c.application })),
      services: (r.services ?? []).map((x) => ({ kind: x.kind, name: x.name, id: x.id, state: x.action })),
      servicesStopped: r.services_stopped ?? [],
      warnings: r.warnings ?? [],
    };
  }

  /** `answered`: a Describe answer already received (describeWithHealth). */
  async describe(answered?: DescribeResponse__Output): Promise<NodeDescription> {
    const r = answered ?? (await this.unary<DescribeResponse__Output>((o, cb) => this.client.Describe({}, o, cb)));
    const d: NodeDescription = { name: r.name, version: r.version, roles: toRoles(r.roles), dataPort: r.data_port, rsyncVersion: r.rsync_version, features: r.features ?? [] };
    if (r.receive_failures?.length) {
      d.receiveFailures = r.receive_failures.map((f) => ({
        backupId: f.backup_id,
        source: f.source,
        direction: f.direction === 'DIRECTION_RESTORE' ? 'restore' : f.direction === 'DIRECTION_REPLICATE' ? 'replicate' : 'backup',
        atMs: num(f.at_unix_ms),
        message: f.message,
      }));
    }
    const volume = (v: NonNullable<typeof r.source>): SourceVolumeDesc => ({
      kind: v.kind,
      volume: v.volume,
      entry: v.entry,
      pointInTime: v.point_in_time,
      freeBytes: num(v.free_bytes),
      ...(v.name ? { name: v.name } : {}),
      ...(leaveOutOf(v.leave_out).length ? { leaveOut: leaveOutOf(v.leave_out) } : {}),
    });
    // agents before `sources:` send only `source`
    const sources = r.sources?.length ? r.sources : r.source ? [r.source] : [];
    if (sources.length > 0) {
      d.sources = sources.map(volume);
      d.source = d.sources[0];
    }
    if (r.freeze) d.freeze = { kind: r.freeze.kind };
    if (r.target) {
      d.target = {
        kind: r.target.kind,
        freeBytes: num(r.target.free_bytes),
        limits: r.target.limits.map((l) => ({ class: l.class, detail: l.detail, allowed: l.allowed })),
        ...(r.target.replica_of ? { replicaOf: r.target.replica_of } : {}),
        ...(r.target.resumable ? { resumable: true } : {}),
      };
    }
    return d;
  }

  /**
   * Health and Describe in one round trip (DescribeRequest.with_health); an agent older than
   * that field answers without health, and gets a Health call after it.
   */
  async describeWithHealth(): Promise<{ health: NodeHealth; desc: NodeDescription }> {
    const r = await this.unary<DescribeResponse__Output>((o, cb) => this.client.Describe({ with_health: true }, o, cb));
    return { health: await this.health(r.health ?? undefined), desc: await this.describe(r) };
  }

  async freeze(backupId: string, leaseMs: number) {
    const r = await this.unary<FreezeResponse__Output>(
      (o, cb) => this.client.Freeze({ backup_id: backupId, lease_ms: leaseMs }, o, cb),
      FREEZE_DEADLINE_MS,
    );
    return { frozen: r.frozen, pausedAtMs: num(r.paused_at_unix_ms), leaseExpiresAtMs: num(r.lease_expires_unix_ms), renewed: r.renewed };
  }

  async thaw(backupId: string) {
    const r = await this.unary<ThawResponse__Output>(
      (o, cb) => this.client.Thaw({ backup_id: backupId }, o, cb),
      FREEZE_DEADLINE_MS,
    );
    return { thawed: r.thawed, thawedAtMs: num(r.thawed_at_unix_ms), wasFrozen: r.was_frozen };
  }

  async prepareSnapshot(backupId: string, entry = '') {
    const r = await this.unary<PrepareSnapshotResponse__Output>(
      (o, cb) => this.client.PrepareSnapshot({ backup_id: backupId, entry }, o, cb),
    );
    return { entry: r.entry, durationMs: num(r.duration_ms), takenAtMs: num(r.taken_at_unix_ms) };
  }

  async removeSnapshot(backupId: string, entry = '') {
    const r = await this.unary<RemoveSnapshotResponse__Output>(
      (o, cb) => this.client.RemoveSnapshot({ backup_id: backupId, entry }, o, cb),
    );
    return r.removed;
  }

  async openReceive(a: OpenReceiveArgs): Promise<ReceiveTicket> {
    const r = await this.unary<OpenReceiveResponse__Output>(
      (o, cb) =>
        this.client.OpenReceive(
          {
            backup_id: a.backupId,
            source: a.source,
            direction: a.direction === 'backup' ? 'DIRECTION_BACKUP' : 'DIRECTION_RESTORE',
            peer: a.peer,
            entry: a.entry,
            recheck: !!a.recheck,
            to_dir: a.toDir ?? '',
            restore_id: a.restoreId ?? '',
            into_entry: a.intoEntry ?? '',
          },
          o,
          cb,
        ),
    );
    return { ticket: r.ticket, dataPort: r.data_port, expiresAtMs: num(r.expires_unix_ms), inplace: r.inplace, native: r.native };
  }

  async receiveResult(ticket: string, waitMs: number): Promise<ReceiveVerdict> {
    const r = await this.unary<ReceiveResultResponse__Output>(
      (o, cb) => this.client.ReceiveResult({ ticket, wait_ms: waitMs }, o, cb),
      waitMs + 15_000,
    );
    return {
      state: (['done', 'running', 'unused'].includes(r.state) ? r.state : 'unknown') as ReceiveVerdict['state'],
      exitCode: r.exit_code,
      ok: r.ok,
      message: r.message,
      notStored: r.not_stored.map((n) => ({ path: n.path, class: n.class, message: n.message, allowed: n.allowed })),
      notStoredTotal: num(r.not_stored_total),
    };
  }

  async performRsync(a: SendArgs, opts?: StreamOptions): Promise<TransferStats> {
    await this.ready();
    const stream = this.client.PerformRsync({
      backup_id: a.backupId,
      ticket: a.ticket,
      receiver_name: a.receiverName,
      receiver_host: a.receiverHost,
      receiver_data_port: a.receiverDataPort,
      inplace: a.inplace,
      previous_backup_id: a.previousBackupId ?? '',
      recheck: !!a.recheck,
      entry: a.entry ?? '',
      deep: !!a.deep,
      sent_checksums: !!a.sentChecksums,
      receiver_native: !!a.receiverNative,
      compare_left_out: !!a.compareLeftOut,
    });
    return this.drain(stream, 'transfer', opts);
  }

  async tag(backupId: string, manifest: { deployment: string; json: string }, entries: string[], opts: { requireSentChecksums?: boolean } = {}) {
    const r = await this.unary<ZfsTagResponse__Output>(
      (o, cb) =>
        this.client.ZfsTag(
          { backup_id: backupId, manifest: { backup_id: backupId, deployment: manifest.deployment, json: manifest.json }, entries, require_sent_checksums: !!opts.requireSentChecksums },
          o,
          cb,
        ),
      HASH_DEADLINE_MS,
    );
    return { snapshot: r.snapshot, durationMs: num(r.duration_ms), sentChecked: num(r.sent_checked) };
  }

  async sentChecksums(backupId: string, entry: string, offset: number): Promise<SentPage> {
    const r = await this.unary<SentChecksumsResponse__Output>((o, cb) => this.client.SentChecksums({ backup_id: backupId, entry, offset: String(offset) }, o, cb));
    return { chunk: Buffer.from(r.chunk), nextOffset: num(r.next_offset), eof: r.eof, algorithm: r.algorithm };
  }

  async addSentChecksums(backupId: string, entry: string, offset: number, page: SentPage): Promise<number> {
    const r = await this.unary<AddSentChecksumsResponse__Output>((o, cb) =>
      this.client.AddSentChecksums({ backup_id: backupId, entry, offset: String(offset), chunk: page.chunk, eof: page.eof, algorithm: page.algorithm }, o, cb),
    );
    return num(r.bytes);
  }

  async listBackups(): Promise<BackupListing[]> {
    const r = await this.unary<ListBackupsResponse__Output>((o, cb) => this.client.ListBackups({}, o, cb), TREE_DEADLINE_MS);
    return r.backups.map((b) => ({
      id: b.backup_id,
      createdMs: num(b.created_unix_ms),
      entries: b.entries,
      usedBytes: num(b.used_bytes),
      manifest: parseManifest(b.manifest_json),
      complete: b.complete,
    }));
  }

  async activateBackup(backupId: string) {
    const r = await this.unary<ActivateBackupResponse__Output>(
      (o, cb) => this.client.ActivateBackup({ backup_id: backupId }, o, cb),
      TREE_DEADLINE_MS,
    );
    return r.entries;
  }

  async deactivateBackup(backupId: string) {
    const r = await this.unary<DeactivateBackupResponse__Output>(
      (o, cb) => this.client.DeactivateBackup({ backup_id: backupId }, o, cb),
      TREE_DEADLINE_MS,
    );
    return r.deactivated;
  }

  async browseOn(backupId: string): Promise<{ root: string; entries: string[] }> {
    const r = await this.unary<ActivateBackupResponse__Output>((o, cb) => this.client.ActivateBackup({ backup_id: backupId, browse: true }, o, cb), TREE_DEADLINE_MS);
    return { root: r.root, entries: r.entries };
  }

  async browseOff(backupId: string): Promise<boolean> {
    const r = await this.unary<DeactivateBackupResponse__Output>((o, cb) => this.client.DeactivateBackup({ backup_id: backupId, browse: true }, o, cb), TREE_DEADLINE_MS);
    return r.deactivated;
  }

  async volumeActivity(entry: string, recentSeconds = 60): Promise<VolumeActivity> {
    const r = await this.unary<VolumeActivityResponse__Output>((o, cb) => this.client.VolumeActivity({ entry, recent_seconds: recentSeconds }, o, cb));
    return {
      path: r.path,
      writers: r.writers.map((w) => ({ pid: w.pid, command: w.command, uid: w.uid, files: w.files })),
      writersTotal: r.writers_total,
      ...(r.changed_counted ? { recentlyChanged: num(r.recently_changed) } : {}),
    };
  }

  async restoreSource(a: SendArgs & { entry: string; paths?: string[]; expectedBytes?: number }, opts?: StreamOptions): Promise<TransferStats> {
    await this.ready();
    const stream = this.client.RestoreSource({
      backup_id: a.backupId,
      entry: a.entry,
      paths: a.paths ?? [],
      ticket: a.ticket,
      receiver_name: a.receiverName,
      receiver_host: a.receiverHost,
      receiver_data_port: a.receiverDataPort,
      inplace: a.inplace,
      receiver_native: !!a.receiverNative,
      expected_bytes: a.expectedBytes ?? 0,
    });
    return this.drain(stream, 'restore', opts);
  }

  async lockTarget(a: LockArgs): Promise<LockResult> {
    const r = await this.unary<LockTargetResponse__Output>((o, cb) =>
      this.client.LockTarget({ backup_id: a.backupId, lease_ms: a.leaseMs, purpose: a.purpose, holder: a.holder, takeover: !!a.takeover }, o, cb),
    );
    return { sinceMs: num(r.since_unix_ms), expiresAtMs: num(r.expires_unix_ms), renewed: r.renewed, takenOverFrom: r.taken_over_from };
  }

  async unlockTarget(backupId: string, holder: string): Promise<boolean> {
    const r = await this.unary<UnlockTargetResponse__Output>((o, cb) => this.client.UnlockTarget({ backup_id: backupId, holder }, o, cb));
    return r.unlocked;
  }

  async cleanup(keep: string[], dryRun = false): Promise<CleanupResult> {
    const r = await this.unary<CleanupResponse__Output>((o, cb) => this.client.Cleanup({ keep, dry_run: dryRun }, o, cb), TREE_DEADLINE_MS);
    return { removed: r.removed, problems: r.problems };
  }

  async verifyBackup(backupId: string, entries: string[] = [], o: { forRestore?: boolean } = {}): Promise<VerifyResult> {
    const r = await this.unary<VerifyBackupResponse__Output>((opts, cb) => this.client.VerifyBackup({ backup_id: backupId, entries, for_restore: !!o.forRestore }, opts, cb), HASH_DEADLINE_MS);
    return {
      ok: r.ok,
      filesChecked: num(r.files_checked),
      bad: r.bad,
      missing: r.missing,
      hasChecksums: r.has_checksums,
      poolState: r.pool_state,
      problems: r.problems,
      ...(r.method ? { method: r.method } : {}),
    };
  }

  async deleteBackup(backupId: string): Promise<boolean> {
    const r = await this.unary<DeleteBackupResponse__Output>((o, cb) => this.client.DeleteBackup({ backup_id: backupId }, o, cb), TREE_DEADLINE_MS);
    return r.deleted;
  }

  async restoreKeyspace(backupId: string, keyspaces: string[], onStep?: (s: KeyspaceStep) => void): Promise<KeyspaceStep[]> {
    await this.ready();
    // no deadline: a repair of a large keyspace takes hours; the agent bounds it (repairTimeout)
    const stream = this.client.RestoreKeyspace({ backup_id: backupId, keyspaces });
    const steps: KeyspaceStep[] = [];
    let done = false;
    try {
      for await (const m of stream as AsyncIterable<RestoreKeyspaceStep__Output>) {
        this.unreachable = undefined;
        if (m.done) {
          done = true;
          continue;
        }
        const s: KeyspaceStep = { step: m.step, keyspace: m.keyspace, table: m.table, detail: m.detail, files: num(m.files), bytes: num(m.bytes), durationMs: num(m.duration_ms) };
        steps.push(s);
        onStep?.(s);
      }
    } catch (e) {
      const err = this.failed(e);
      throw new FfError(err.code, err.message, { node: this.name, cause: err, ...(err.hint ? { hint: err.hint } : {}), details: { ...(err.details ?? {}), steps } });
    }
    if (!done) throw new FfError('RESTORE_FAILED', `${this.name}: keyspace restore ended without its final step`, { node: this.name, details: { steps } });
    return steps;
  }

  async stopServices(): Promise<ServiceState[]> {
    const r = await this.unary<StopServicesResponse__Output>((o, cb) => this.client.StopServices({}, o, cb), SERVICES_DEADLINE_MS);
    return r.services.map((x) => ({ kind: x.kind, name: x.name, id: x.id, action: x.action }));
  }

  async startServices(): Promise<ServiceState[]> {
    const r = await this.unary<StartServicesResponse__Output>((o, cb) => this.client.StartServices({}, o, cb), SERVICES_DEADLINE_MS);
    return r.services.map((x) => ({ kind: x.kind, name: x.name, id: x.id, action: x.action }));
  }

  async openDrill(a: OpenDrillArgs): Promise<ReceiveTicket> {
    const r = await this.unary<OpenReceiveResponse__Output>((o, cb) =>
      this.client.OpenDrill({ drill_id: a.drillId, dir: a.dir, backup_id: a.backupId, peer: a.peer }, o, cb),
    );
    return { ticket: r.ticket, dataPort: r.data_port, expiresAtMs: num(r.expires_unix_ms), inplace: r.inplace, native: r.native };
  }

  async drillSource(a: SendArgs & { sample?: DrillSample }, opts?: StreamOptions): Promise<TransferStats> {
    await this.ready();
    const stream = this.client.DrillSource({
      backup_id: a.backupId,
      ticket: a.ticket,
      receiver_name: a.receiverName,
      receiver_host: a.receiverHost,
      receiver_data_port: a.receiverDataPort,
      inplace: a.inplace,
      sample_percent: a.sample?.percent ?? 0,
      sample_seed: a.sample?.seed ?? '',
      receiver_native: !!a.receiverNative,
    });
    return this.drain(stream, 'drill transfer', opts);
  }

  async checkDrill(a: { drillId: string; dir: string; backupId: string; sample?: DrillSample }): Promise<DrillCheckResult> {
    const r = await this.unary<CheckDrillResponse__Output>(
      (o, cb) =>
        this.client.CheckDrill({ drill_id: a.drillId, dir: a.dir, backup_id: a.backupId, sample_percent: a.sample?.percent ?? 0, sample_seed: a.sample?.seed ?? '' }, o, cb),
      HASH_DEADLINE_MS,
    );
    return {
      ok: r.ok,
      filesRecorded: num(r.files_recorded),
      filesExpected: num(r.files_expected),
      filesChecked: num(r.files_checked),
      bytesChecked: num(r.bytes_checked),
      different: r.different,
      missing: r.missing,
      extra: r.extra,
      differentTotal: num(r.different_total),
      missingTotal: num(r.missing_total),
      extraTotal: num(r.extra_total),
      problems: r.problems,
      entries: r.entries,
      durationMs: num(r.duration_ms),
    };
  }

  async removeDrill(a: { drillId: string; dir: string; leftovers?: boolean; dryRun?: boolean }): Promise<string[]> {
    const r = await this.unary<RemoveDrillResponse__Output>(
      (o, cb) => this.client.RemoveDrill({ drill_id: a.drillId, dir: a.dir, leftovers: !!a.leftovers, dry_run: !!a.dryRun }, o, cb),
      TREE_DEADLINE_MS,
    );
    return r.removed;
  }

  async openReplicaReceive(a: { backupId: string; baseId: string; peer: string }): Promise<ReplicaTicket> {
    const r = await this.unary<OpenReplicaReceiveResponse__Output>((o, cb) => this.client.OpenReplicaReceive({ backup_id: a.backupId, base_id: a.baseId, peer: a.peer }, o, cb));
    return { ticket: r.ticket, dataPort: r.data_port, expiresAtMs: num(r.expires_unix_ms), inplace: false, resumeToken: r.resume_token };
  }

  async replicaSend(a: ReplicaSendArgs, opts?: StreamOptions): Promise<TransferStats> {
    await this.ready();
    const stream = this.client.ReplicaSend({
      backup_id: a.backupId,
      base_id: a.baseId,
      ticket: a.ticket,
      receiver_name: a.receiverName,
      receiver_host: a.receiverHost,
      receiver_data_port: a.receiverDataPort,
      resume_token: a.resumeToken,
    });
    return this.drain(stream, 'replication stream', opts);
  }

  async replicaSize(backupId: string, baseId: string): Promise<{ bytes: number; how: string }> {
    const r = await this.unary<ReplicaSizeResponse__Output>((o, cb) => this.client.ReplicaSize({ backup_id: backupId, base_id: baseId }, o, cb), TREE_DEADLINE_MS);
    return { bytes: num(r.bytes), how: r.how };
  }

  close(): void {
    this.client.close();
  }
}
