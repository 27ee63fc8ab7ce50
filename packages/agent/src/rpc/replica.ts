import { FfError, checkBackupId, checkName, errorMessage, isFfError, spawnProcess } from '@freezeframe/common';
import type { OpenReplicaReceiveRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/OpenReplicaReceiveRequest.js';
import type { OpenReplicaReceiveResponse } from '@freezeframe/common/generated/freezeframe/v1/OpenReplicaReceiveResponse.js';
import type { ReplicaSendRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/ReplicaSendRequest.js';
import type { ReplicaSizeRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/ReplicaSizeRequest.js';
import type { ReplicaSizeResponse } from '@freezeframe/common/generated/freezeframe/v1/ReplicaSizeResponse.js';
import type { TransferProgress } from '@freezeframe/common/generated/freezeframe/v1/TransferProgress.js';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { needTarget, type AgentContext } from '../context.js';
import { connectDataChannel } from '../datachannel/client.js';
import { readLine } from '../datachannel/header.js';
import type { ReplicaReceiver } from '../datachannel/server.js';
import type { TargetProvider } from '../providers/target/types.js';
import { checkResumeToken } from '../tools/zfs.js';
import { checkReceiver } from './transfer.js';

/** Progress messages per second, at most. */
const PROGRESS_INTERVAL_MS = 250;
/** How long the receiver may take after the last byte to check and keep the backup. */
const VERDICT_TIMEOUT_MS = 10 * 60_000;
const SEND_TIMEOUT_MS = 24 * 3_600_000;

/** target.replicaOf of this agent ('' when its target is not a replica). */
export function replicaOf(ctx: AgentContext): string {
  const t = ctx.config.target;
  return t && 'replicaOf' in t ? (t.replicaOf ?? '') : '';
}

/** A replica's history must stay its sender's: nothing else may add a backup to it. */
export function refuseOnReplica(ctx: AgentContext, what: string): void {
  const of = replicaOf(ctx);
  if (of) {
    throw new FfError('FAILED_PRECONDITION', `${what} refused: the target of ${ctx.config.name} is a replica of ${of} (target.replicaOf) and takes backups only as streams from it`, {
      hint: `back up into ${of}; freezeframe replicate copies its backups here`,
    });
  }
}

function replicating(ctx: AgentContext, what: 'send' | 'receive'): TargetProvider & Required<Pick<TargetProvider, 'replicaSendCommand' | 'replicaSize' | 'replicaReceive'>> {
  const target = needTarget(ctx);
  if (!target.replicaSendCommand || !target.replicaSize || !target.replicaReceive) {
    throw new FfError('FAILED_PRECONDITION', `a ${target.kind} target does not replicate (only zfs and btrfs targets ${what} streams)`);
  }
  return target as ReturnType<typeof replicating>;
}

/**
 * Remote target: a one-time ticket for one stream of `backup_id` from `peer`, who must be the
 * identity target.replicaOf names. Refused when the backup is held already, for a full stream
 * onto a target holding backups (its history is not the sender's: never overwritten), and for an
 * incremental whose base is not this target's newest backup.
 */
export async function openReplicaReceive(ctx: AgentContext, req: OpenReplicaReceiveRequest__Output): Promise<OpenReplicaReceiveResponse> {
  const backupId = checkBackupId(req.backup_id);
  const baseId = req.base_id ? checkBackupId(req.base_id, 'base_id') : undefined;
  const peer = checkName(req.peer, 'peer');
  const of = replicaOf(ctx);
  const target = needTarget(ctx);
  if (!of) {
    throw new FfError('FAILED_PRECONDITION', `the ${target.kind} target of ${ctx.config.name} is not a replica (no target.replicaOf): it receives no streams`, {
      hint: `to make it a remote target of ${peer}, set target.replicaOf: ${peer} in its agent config (it then takes no backups from sources)`,
    });
  }
  if (peer !== of) {
    throw new FfError('PERMISSION_DENIED', `peer ${peer} may not send streams to ${ctx.config.name}: its target.replicaOf is ${of}`, { details: { field: 'peer' } });
  }
  replicating(ctx, 'receive');
  const held = (await target.list()).map((b) => b.backupId);
  if (held.includes(backupId)) {
    throw new FfError('ALREADY_EXISTS', `backup ${backupId} is already held on ${ctx.config.name}`, { details: { field: 'backup_id' } });
  }
  if (baseId === undefined && held.length > 0) {
    throw new FfError('FAILED_PRECONDITION', `a full stream of ${backupId} is refused: ${ctx.config.name} already holds ${held.length} backups (newest ${held.at(-1)!}) that the stream would have to overwrite; its history has diverged from the sender's or is unrelated`, {
      hint: 'send incrementally from the newest backup both hold; a remote is never overwritten (no zfs receive -F over history)',
      details: { field: 'base_id' },
    });
  }
  if (baseId !== undefined && !held.includes(baseId)) {
    throw new FfError('FAILED_PRECONDITION', `base_id ${baseId} is not held on ${ctx.config.name}`, { details: { field: 'base_id' } });
  }
  if (baseId !== undefined && held.at(-1) !== baseId) {
    throw new FfError('FAILED_PRECONDITION', `base_id ${baseId} is not the newest backup on ${ctx.config.name} (${held.at(-1)!}): a stream applies only onto the newest`, { details: { field: 'base_id' } });
  }
  ctx.targetLock.receive(backupId);
  const resumeToken = (await target.replicaResumeToken?.(backupId)) ?? '';
  const t = ctx.tickets.issue({ backupId, source: peer, entry: '', direction: 'replicate', peer, path: '', rsyncOptions: [], ...(baseId ? { baseId } : {}) });
  ctx.log.info({ backup_id: backupId, base_id: baseId, peer, resume: resumeToken !== '' }, 'replication ticket issued');
  return { ticket: t.ticket, data_port: ctx.dataPort, expires_unix_ms: String(t.expiresUnixMs), resume_token: resumeToken };
}

/** The data channel's stream-mode receiver: the target receives, a kept backup releases the target lock. */
export function replicaReceiver(ctx: AgentContext): ReplicaReceiver | undefined {
  const target = ctx.target;
  if (!target?.replicaReceive || !replicaOf(ctx)) return undefined;
  return async ({ ticket, input, signal, timeoutMs, log, resume }) => {
    await target.replicaReceive!({ backupId: ticket.backupId, baseId: ticket.baseId || undefined, resume, input, signal, timeoutMs, log });
    ctx.targetLock.tagged(ticket.backupId);
    // as after a tag: the backup stands whether or not target.browse can show it
    await target.showLatest?.(ticket.backupId).catch((e: unknown) => log.warn({ err: errorMessage(e) }, 'target.browse: cannot show the newest backup'));
  };
}

/**
 * Main target: sends one backup as a stream to the remote's data channel with the remote's
 * ticket, and streams progress; the remote's verdict (its `DONE` or `ERR`) ends it.
 */
export async function replicaSend(ctx: AgentContext, req: ReplicaSendRequest__Output, emit: (m: TransferProgress) => void, signal: AbortSignal): Promise<void> {
  const backupId = checkBackupId(req.backup_id);
  const baseId = req.base_id ? checkBackupId(req.base_id, 'base_id') : undefined;
  const r = checkReceiver({ ticket: req.ticket, receiverName: req.receiver_name, receiverHost: req.receiver_host, receiverPort: req.receiver_data_port });
  const token = req.resume_token ? checkResumeToken(req.resume_token) : undefined;
  const target = replicating(ctx, 'send');
  const cmd = await target.replicaSendCommand(backupId, baseId, token);
  const log = ctx.log.child({ backup_id: backupId, base_id: baseId, receiver: r.name, direction: 'replicate' });
  const where = `${r.name} (${r.host}:${r.port})`;
  const started = Date.now();
  let socket: TLSSocket;
  try {
    socket = await connectDataChannel({ host: r.host, port: r.port, peer: r.name, ca: ctx.tls.ca, cert: ctx.tls.cert, key: ctx.tls.key, ...(ctx.tls.crl ? { crl: ctx.tls.crl } : {}) });
  } catch (e) {
    throw new FfError('TRANSFER_FAILED', `cannot reach the data channel of ${where}: ${errorMessage(e)}`, { cause: e, details: { receiver: r.name } });
  }
  const onAbort = () => socket.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  let sent = 0;
  try {
    socket.on('error', (e) => log.warn({ err: e.message }, 'replication: socket error'));
    socket.write(`${JSON.stringify({ ticket: r.ticket, direction: 'replicate', backup: backupId, base: baseId ?? '', resume: token !== undefined })}\n`);
    const answer = await readLine(socket, 30_000).catch((e: unknown) => {
      throw new FfError('TRANSFER_FAILED', `${where} did not answer: ${errorMessage(e)}`, { details: { receiver: r.name } });
    });
    if (answer.line !== 'OK') {
      throw new FfError('TRANSFER_FAILED', `${where} refused the stream: ${answer.line.replace(/^ERR /, '')}`, {
        hint: 'open a new ticket with OpenReplicaReceive',
        details: { receiver: r.name },
      });
    }
    log.info({ cmd: [cmd.bin, ...cmd.args].join(' ') }, 'replication: sending');
    const proc = spawnProcess({ bin: cmd.bin, args: cmd.args, timeoutMs: SEND_TIMEOUT_MS, signal, logger: log, maxStderr: 1 << 20 }, true);
    proc.child.stdin!.end();
    const verdict = verdictOf(socket, answer.rest);
    // read only on some paths (a cancelled send never asks)
    verdict.catch(() => undefined);
    // the receiver going away (or refusing mid-stream) ends the send
    socket.once('close', () => proc.kill());
    let last = 0;
    const out = proc.child.stdout! as Readable;
    out.on('data', (b: Buffer) => {
      sent += b.length;
      const now = Date.now();
      if (now - last >= PROGRESS_INTERVAL_MS) {
        last = now;
        emit({ bytes: String(sent), percent: 0, rate: '', files_checked: '0' });
      }
    });
    out.pipe(socket, { end: false });
    try {
      await proc.done;
    } catch (e) {
      socket.destroy();
      if (isFfError(e, 'COMMAND_FAILED')) {
        const stderr = String(e.details?.stderr ?? '').trim();
        // a refusal mid-stream closes the socket first: its reason is the receiver's
        const theirs = await verdict.catch(() => undefined);
        throw new FfError('TRANSFER_FAILED', `${binName(cmd.bin)} send to ${where} failed after ${sent} bytes: ${theirs?.startsWith('ERR ') ? `${where} refused: ${theirs.slice(4)}; ` : ''}${stderr.split('\n').slice(-6).join('\n') || errorMessage(e)}`, {
          cause: e,
          details: { exitCode: e.details?.exitCode, stderr: stderr.slice(-4000), receiver: r.name, bytes_sent: sent },
        });
      }
      throw e;
    }
    const line = await Promise.race([verdict, new Promise<string>((_, rej) => setTimeout(() => rej(new Error(`no verdict within ${VERDICT_TIMEOUT_MS} ms`)), VERDICT_TIMEOUT_MS).unref())]).catch((e: unknown) => {
      throw new FfError('TRANSFER_FAILED', `${where} did not confirm the stream: ${errorMessage(e)}`, { details: { receiver: r.name, bytes_sent: sent } });
    });
    if (line !== 'DONE') {
      throw new FfError('TRANSFER_FAILED', `${where} did not keep backup ${backupId}: ${line.replace(/^ERR /, '')}`, { details: { receiver: r.name, bytes_sent: sent } });
    }
    const durationMs = Date.now() - started;
    log.info({ bytes_sent: sent, duration_ms: durationMs }, 'replication: sent');
    emit({
      bytes: String(sent),
      percent: 100,
      rate: '',
      files_checked: '0',
      done: {
        files_total: '0',
        files_transferred: '0',
        bytes_total: String(sent),
        bytes_transferred: String(sent),
        bytes_sent: String(sent),
        duration_ms: String(durationMs),
        exit_code: 0,
        recheck_files: '0',
      },
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}

function binName(bin: string): string {
  return bin.split('/').pop() ?? bin;
}

/** The receiver's last line (`DONE` or `ERR <why>`), read while the stream is being sent. */
function verdictOf(socket: TLSSocket, rest: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = rest;
    socket.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]).subarray(-4096);
      const i = buf.indexOf(0x0a);
      if (i >= 0) resolve(buf.subarray(0, i).toString('utf8'));
    });
    socket.once('close', () => reject(new Error('the connection closed without a verdict')));
    socket.resume();
  });
}

/** Main target: about how many bytes ReplicaSend would send. */
export async function replicaSize(ctx: AgentContext, req: ReplicaSizeRequest__Output): Promise<ReplicaSizeResponse> {
  const backupId = checkBackupId(req.backup_id);
  const baseId = req.base_id ? checkBackupId(req.base_id, 'base_id') : undefined;
  const r = await replicating(ctx, 'send').replicaSize(backupId, baseId);
  return { bytes: String(r.bytes), how: r.how };
}
