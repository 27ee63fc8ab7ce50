import * as grpc from '@grpc/grpc-js';
import { FfError, MAX_MESSAGE_BYTES, certAudit, certIdentity, errorMessage, isFfError, loadProto, splitHostPort, toGrpcError } from '@freezeframe/common';
import type { AgentHandlers } from '@freezeframe/common';
import type { DescribeRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/DescribeRequest.js';
import type { AgentContext } from './context.js';
import { collectIfLarge, whenIdle } from './heap.js';
import { createTlsListener, rememberPeerCertificate, type HandshakeLimits } from './tls-listener.js';
import { openReplicaReceive, replicaSend, replicaSize } from './rpc/replica.js';
import { addSentChecksums, sentChecksums } from './rpc/sent-checksums.js';
import { activateBackup, deactivateBackup } from './rpc/activate-backup.js';
import { describe } from './rpc/describe.js';
import { volumeActivity } from './rpc/volume-activity.js';
import { freeze } from './rpc/freeze.js';
import { health } from './rpc/health.js';
import { listBackups } from './rpc/list-backups.js';
import { openReceive } from './rpc/open-receive.js';
import { receiveResult } from './rpc/receive-result.js';
import { performRsync } from './rpc/perform-rsync.js';
import { prepareSnapshot } from './rpc/prepare-snapshot.js';
import { removeSnapshot } from './rpc/remove-snapshot.js';
import { restoreSource } from './rpc/restore-source.js';
import { thaw } from './rpc/thaw.js';
import { zfsTag } from './rpc/zfs-tag.js';
import { restoreKeyspace } from './rpc/restore-keyspace.js';
import { startServices, stopServices } from './rpc/services.js';
import { cleanup } from './rpc/cleanup.js';
import { lockTarget, unlockTarget } from './rpc/lock-target.js';
import { verifyBackup } from './rpc/verify-backup.js';
import { deleteBackup } from './rpc/delete-backup.js';
import { checkDrill, openDrill, removeDrill } from './rpc/drill.js';
import { drillSource } from './rpc/drill-source.js';

type Call = { getAuthContext(): { sslPeerCertificate?: Parameters<typeof certIdentity>[0] }; getPeer(): string };

/** Stands for a caller without a certificate on an `insecure: true` (loopback-only) agent. */
export const INSECURE_CALLER = 'insecure-loopback';

function callerOf(ctx: AgentContext, call: Call): string | undefined {
  const who = certIdentity(call.getAuthContext().sslPeerCertificate);
  return who === undefined && ctx.config.insecure ? INSECURE_CALLER : who;
}

/** Every control RPC is for the configured directors only; peer agents talk to the data channel. */
function authorize(ctx: AgentContext, call: Call): string {
  const who = callerOf(ctx, call);
  if (who === INSECURE_CALLER) return who;
  if (who === undefined || !ctx.config.authorizedDirectors.includes(who)) {
    throw new FfError('PERMISSION_DENIED', `identity '${who ?? '(no certificate)'}' may not call node ${ctx.config.name}`, {
      hint: `only ${ctx.config.authorizedDirectors.join(', ')} (authorizedDirectors) may`,
    });
  }
  return who;
}

/** Request values are the caller's: shorten them before they reach the log. */
function logValue(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  return v.length > 64 ? `${v.slice(0, 64)}...(${v.length} chars)` : v;
}

/** The audit line: one per RPC, with caller identity, RPC, backup id, result and duration. */
function audit(ctx: AgentContext, rpc: string, call: Call, req: unknown, started: number, err?: unknown): void {
  const line = {
    audit: true,
    caller: callerOf(ctx, call) ?? '(no certificate)',
    ...certAudit(call.getAuthContext().sslPeerCertificate),
    remote: call.getPeer(),
    rpc,
    backup_id: logValue((req as { backup_id?: unknown } | undefined)?.backup_id),
    result: err === undefined ? 'ok' : isFfError(err) ? err.code : 'INTERNAL',
    duration_ms: Date.now() - started,
    ...(err === undefined ? {} : { err: errorMessage(err).slice(0, 500) }),
  };
  if (err === undefined) ctx.log.info(line, 'rpc');
  else if (isFfError(err)) ctx.log.warn(line, 'rpc');
  else ctx.log.error({ ...line, stack: (err as Error)?.stack }, 'rpc');
}

/** Collects a large heap left by calls once the agent is idle (heap.ts). */
const idle = whenIdle(() => collectIfLarge());

function unary<Req, Res>(ctx: AgentContext, rpc: string, fn: (ctx: AgentContext, req: Req, signal: AbortSignal) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = Date.now();
    const ac = new AbortController();
    // grpc-js also says 'cancelled' when a finished call's stream closes: aborting then would
    // only build a DOMException per call for nobody (measured: ~0.1 ms of agent CPU per RPC)
    let answered = false;
    call.on('cancelled', () => {
      if (!answered) ac.abort();
    });
    idle.started();
    (async () => {
      authorize(ctx, call);
      return fn(ctx, call.request, ac.signal);
    })().then(
      (res) => {
        answered = true;
        audit(ctx, rpc, call, call.request, started);
        callback(null, res);
        idle.ended();
      },
      (e: unknown) => {
        answered = true;
        audit(ctx, rpc, call, call.request, started, e);
        callback(toGrpcError(e, ctx.config.name) as grpc.ServiceError);
        idle.ended();
      },
    );
  };
}

function streaming<Req, Res>(
  ctx: AgentContext,
  rpc: string,
  fn: (ctx: AgentContext, req: Req, emit: (m: Res) => void, signal: AbortSignal) => Promise<void>,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    const started = Date.now();
    // the director going away cancels the transfer: rsync's process group is killed
    const ac = new AbortController();
    call.on('cancelled', () => ac.abort());
    idle.started();
    (async () => {
      authorize(ctx, call);
      await fn(ctx, call.request, (m) => call.write(m), ac.signal);
    })().then(
      () => {
        audit(ctx, rpc, call, call.request, started);
        call.end();
        idle.ended();
      },
      (e: unknown) => {
        audit(ctx, rpc, call, call.request, started, e);
        if (!ac.signal.aborted) call.emit('error', toGrpcError(e, ctx.config.name));
        idle.ended();
      },
    );
  };
}

/** The gRPC service with one thin handler per RPC; generated types stop in src/rpc/. */
export function createGrpcServer(ctx: AgentContext): grpc.Server {
  const server = new grpc.Server({
    // the agent pings too: a director gone with the network cancels its streams (and kills rsync)
    'grpc.keepalive_time_ms': 15_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    // channelz (introspection we never serve) would record every call and connection
    'grpc.enable_channelz': 0,
  });
  const handlers: AgentHandlers = {
    Health: unary(ctx, 'Health', (c) => health(c)),
    Describe: unary(ctx, 'Describe', (c, req: DescribeRequest__Output) => describe(c, !!req?.with_health)),
    Freeze: unary(ctx, 'Freeze', freeze),
    Thaw: unary(ctx, 'Thaw', thaw),
    PrepareSnapshot: unary(ctx, 'PrepareSnapshot', prepareSnapshot),
    PerformRsync: streaming(ctx, 'PerformRsync', performRsync),
    RemoveSnapshot: unary(ctx, 'RemoveSnapshot', removeSnapshot),
    OpenReceive: unary(ctx, 'OpenReceive', openReceive),
    ReceiveResult: unary(ctx, 'ReceiveResult', receiveResult),
    ZfsTag: unary(ctx, 'ZfsTag', zfsTag),
    ListBackups: unary(ctx, 'ListBackups', (c) => listBackups(c)),
    ActivateBackup: unary(ctx, 'ActivateBackup', activateBackup),
    DeactivateBackup: unary(ctx, 'DeactivateBackup', deactivateBackup),
    RestoreSource: streaming(ctx, 'RestoreSource', restoreSource),
    RestoreKeyspace: streaming(ctx, 'RestoreKeyspace', restoreKeyspace),
    StopServices: unary(ctx, 'StopServices', (c) => stopServices(c)),
    StartServices: unary(ctx, 'StartServices', (c) => startServices(c)),
    LockTarget: unary(ctx, 'LockTarget', lockTarget),
    UnlockTarget: unary(ctx, 'UnlockTarget', unlockTarget),
    Cleanup: unary(ctx, 'Cleanup', cleanup),
    VerifyBackup: unary(ctx, 'VerifyBackup', verifyBackup),
    VolumeActivity: unary(ctx, 'VolumeActivity', volumeActivity),
    DeleteBackup: unary(ctx, 'DeleteBackup', deleteBackup),
    OpenDrill: unary(ctx, 'OpenDrill', openDrill),
    DrillSource: streaming(ctx, 'DrillSource', drillSource),
    CheckDrill: unary(ctx, 'CheckDrill', checkDrill),
    RemoveDrill: unary(ctx, 'RemoveDrill', removeDrill),
    OpenReplicaReceive: unary(ctx, 'OpenReplicaReceive', openReplicaReceive),
    ReplicaSend: streaming(ctx, 'ReplicaSend', replicaSend),
    ReplicaSize: unary(ctx, 'ReplicaSize', replicaSize),
    SentChecksums: unary(ctx, 'SentChecksums', sentChecksums),
    AddSentChecksums: unary(ctx, 'AddSentChecksums', addSentChecksums),
  };
  server.addService(loadProto().freezeframe.v1.Agent.service, handlers as unknown as grpc.UntypedServiceImplementation);
  return server;
}

/**
 * Serves `server` on the config's `listen` address behind our own TLS listener, not bindAsync:
 * grpc-js gives a connection that sends nothing 120 s (measured: a silent TCP connection and
 * one that stops inside its ClientHello were both closed after 120 s, none was logged, and
 * nothing capped how many), has no option to shorten that, and never says why it refused a
 * handshake. The listener times out and caps the unauthenticated connections, logs refused
 * handshakes, and injects each authenticated socket into grpc-js, which then sees it as
 * plain HTTP/2 (the caller's certificate still reaches `getAuthContext`: the socket is the
 * TLSSocket).
 */
export async function listenGrpc(server: grpc.Server, ctx: AgentContext, limits?: HandshakeLimits): Promise<{ port: number; close(): Promise<void> }> {
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const options = { tls: ctx.tls, requireClientCert: !ctx.config.insecure, what: 'grpc', log: ctx.log, serverOptions: { ALPNProtocols: ['h2'] } };
  const front = createTlsListener(limits ? { ...options, limits } : options, (socket) => {
    // the HTTP/2 session handles the socket's errors too, but one before it attaches must not crash the agent
    socket.on('error', (e) => ctx.log.debug({ remote: socket.remoteAddress, err: e.message }, 'grpc: socket error'));
    rememberPeerCertificate(socket);
    injector.injectConnection(socket);
  });
  const { host, port } = splitHostPort(ctx.config.listen);
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(port, host, () => {
      front.off('error', reject);
      resolve();
    });
  });
  const a = front.address();
  return {
    port: typeof a === 'object' && a ? a.port : port,
    close: () => new Promise((resolve) => front.close(() => resolve())),
  };
}
