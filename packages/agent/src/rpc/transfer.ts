import { join } from 'node:path';
import { FfError, checkName, errorMessage, isFfError, isHost, isTicket, type LeaveOutClass } from '@freezeframe/common';
import type { TransferProgress } from '@freezeframe/common/generated/freezeframe/v1/TransferProgress.js';
import type { AgentContext } from '../context.js';
import { openNativeSend } from '../datachannel/send-native.js';
import { NATIVE_RUN_DIR } from '../datachannel/stunnel.js';
import type { SentListWriter } from '../sent-list.js';
import { rsyncPush, type RsyncProgress } from '../tools/rsync.js';

/** Progress messages per second, at most. */
const PROGRESS_INTERVAL_MS = 250;

export interface SendRequest {
  backupId: string;
  from: string;
  ticket: unknown;
  receiverName: unknown;
  receiverHost: unknown;
  receiverPort: unknown;
  inplace: boolean;
  /** The receiver said (OpenReceive) it takes the session to stunnel. */
  receiverNative?: boolean;
  direction: 'backup' | 'restore';
  /** See RsyncPushOptions.only. */
  only?: string;
  /** See RsyncPushOptions.deleteSelected. */
  deleteSelected?: boolean;
  unmungeLinks?: boolean;
  /** Reported with the final stats: files the second pass must compare by content (asked after the transfer). */
  recheckFiles?: () => Promise<number>;
  /** Compare every file by content (`backup --deep`). */
  deep?: boolean;
  /** Records every file sent with its checksum; closed (flushed) before the final stats go out, and on failure. */
  sentList?: SentListWriter;
  /** See RsyncPushOptions.expectedBytes. */
  expectedBytes?: number;
  /** See RsyncPushOptions.leaveOut. */
  leaveOut?: readonly LeaveOutClass[];
  /** See RsyncPushOptions.countDiffering. */
  countDiffering?: readonly LeaveOutClass[];
}

/** Checks the receiver fields of PerformRsync/RestoreSource (they come from the director). */
export function checkReceiver(req: Pick<SendRequest, 'ticket' | 'receiverName' | 'receiverHost' | 'receiverPort'>) {
  if (!isTicket(req.ticket)) {
    throw new FfError('INVALID_ARGUMENT', 'ticket must be 64 hex characters (from OpenReceive)', { details: { field: 'ticket' } });
  }
  const name = checkName(req.receiverName, 'receiver_name');
  if (typeof req.receiverHost !== 'string' || !isHost(req.receiverHost)) {
    throw new FfError('INVALID_ARGUMENT', `receiver_host ${JSON.stringify(String(req.receiverHost).slice(0, 60))} is not a host name or IP address`, {
      details: { field: 'receiver_host' },
    });
  }
  const port = Number(req.receiverPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new FfError('INVALID_ARGUMENT', `receiver_data_port ${String(req.receiverPort)} is not a port`, { details: { field: 'receiver_data_port' } });
  }
  return { ticket: req.ticket, name, host: req.receiverHost.replace(/^\[|\]$/g, ''), port };
}

/**
 * Sends a tree through the data channel and streams progress (throttled) and the final stats.
 * rsync's failure becomes TRANSFER_FAILED with its exit code and stderr, naming the receiver.
 */
export async function sendTree(ctx: AgentContext, req: SendRequest, emit: (m: TransferProgress) => void, signal: AbortSignal): Promise<void> {
  let r: ReturnType<typeof checkReceiver>;
  try {
    r = checkReceiver(req);
  } catch (e) {
    await req.sentList?.close().catch(() => undefined);
    throw e;
  }
  let last = 0;
  let pending: RsyncProgress | undefined;
  const send = (p: RsyncProgress) => {
    emit({ bytes: String(p.bytes), percent: p.percent, rate: p.rate, files_checked: String(p.filesChecked) });
    last = Date.now();
    pending = undefined;
  };
  const log = ctx.log.child({ backup_id: req.backupId, receiver: r.name, direction: req.direction });
  // the receiver takes the session to stunnel: no tunnel program (datachannel/send-native.ts)
  const stunnel = req.receiverNative ? ctx.stunnel : undefined;
  const target = { host: r.host, port: r.port, peer: r.name, ticket: r.ticket, tls: ctx.tls, certFile: ctx.config.tls.cert, keyFile: ctx.config.tls.key };
  log.info({ from: req.from, host: r.host, port: r.port, inplace: req.inplace, deep: !!req.deep, tunnel: !stunnel, ...(req.leaveOut?.length ? { leaveOut: req.leaveOut } : {}) }, 'sending');
  let closed: Promise<number> | undefined;
  const closeList = () => (closed ??= req.sentList?.close() ?? Promise.resolve(0));
  try {
    const res = await rsyncPush({
      from: req.from,
      inplace: req.inplace,
      deleteMode: req.direction === 'restore' ? 'delete-after' : 'delete',
      ...(req.only ? { only: req.only, ...(req.deleteSelected ? { deleteSelected: true } : {}) } : {}),
      ...(req.unmungeLinks ? { unmungeLinks: true } : {}),
      ...(req.deep ? { checksum: true } : {}),
      ...(req.sentList ? { itemize: true, onSent: req.sentList.add } : {}),
      ...(req.expectedBytes ? { expectedBytes: req.expectedBytes } : {}),
      ...(req.leaveOut?.length ? { leaveOut: req.leaveOut } : {}),
      ...(req.countDiffering?.length ? { countDiffering: req.countDiffering } : {}),
      tunnel: { host: r.host, port: r.port, ticket: r.ticket, peer: r.name, direction: req.direction, tls: ctx.config.tls, stunnel: ctx.stunnel },
      tunnelDir: join(ctx.config.runDir, NATIVE_RUN_DIR),
      ...(stunnel ? { native: { stunnel, open: (args: string[], dir: string) => openNativeSend({ ...target, direction: req.direction }, args, dir) } } : {}),
      signal,
      logger: log,
      onProgress: (p) => {
        if (Date.now() - last >= PROGRESS_INTERVAL_MS) send(p);
        else pending = p;
      },
    });
    if (pending) send(pending);
    const recorded = await closeList();
    log.info({ ...res, sentChecksums: recorded }, 'sent');
    emit({
      bytes: String(res.bytesTotal),
      percent: 100,
      rate: '',
      files_checked: String(res.filesTotal),
      done: {
        files_total: String(res.filesTotal),
        files_transferred: String(res.filesTransferred),
        bytes_total: String(res.bytesTotal),
        bytes_transferred: String(res.bytesTransferred),
        bytes_sent: String(res.bytesSent),
        duration_ms: String(res.durationMs),
        exit_code: res.exitCode,
        recheck_files: String((await req.recheckFiles?.()) ?? 0),
        sent_checksums: String(recorded),
        content_only: String(res.contentOnly),
        left_out_differed: String(res.leftOutDiffered),
      },
    });
  } catch (e) {
    await closeList().catch(() => undefined);
    if (isFfError(e, 'COMMAND_FAILED')) {
      const exitCode = e.details?.exitCode;
      const stderr = String(e.details?.stderr ?? '').trim();
      const tail = stderr.split('\n').slice(-6).join('\n');
      throw new FfError('TRANSFER_FAILED', `rsync to ${r.name} (${r.host}:${r.port}) exited with ${String(exitCode)}: ${tail || errorMessage(e)}`, {
        cause: e,
        details: { exitCode, stderr: stderr.slice(-4000), receiver: r.name },
        ...(exitCode === 12 && /refused/.test(stderr) ? { hint: 'the receiver refused the ticket: open a new one with OpenReceive' } : {}),
      });
    }
    throw e;
  }
}
