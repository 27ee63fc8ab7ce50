#!/usr/bin/env -S -u NODE_OPTIONS node
/**
 * freezeframe-agent --config FILE [--check]
 *
 * Serves the Agent gRPC service (mutual TLS) and the data channel. When both listen, prints
 * one JSON line to stdout: {"event":"listening","name","port","dataPort"}. Exit codes:
 * 0 normal stop (SIGTERM/SIGINT, after thawing anything frozen), 2 bad config or TLS files,
 * 1 anything else at start. `--check` runs every check of the node (node-checks.ts) and exits
 * 1 when one fails, one line each on stderr.
 */
// first: no inspector may open, by SIGUSR1 or an inherited --inspect (see the module)
import '@freezeframe/common/no-inspector';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  FfError,
  VERSION,
  checkAgentFiles,
  createLogger,
  errorMessage,
  findBinary,
  isFfError,
  loadAgentConfig,
  readTls,
  run,
  splitHostPort,
  useStandIns,
  type AgentConfig,
} from '@freezeframe/common';
import type { AgentContext } from './context.js';
import { createDataChannel } from './datachannel/server.js';
import { findStunnel } from './datachannel/native.js';
import { NATIVE_RUN_DIR } from './datachannel/stunnel.js';
import { replicaOf, replicaReceiver } from './rpc/replica.js';
import { FreezeLease } from './lease.js';
import { createFreeze } from './providers/freeze/index.js';
import { createSourceVolumes, sourceConfigs } from './source-volumes.js';
import { createTarget } from './providers/target/index.js';
import { checkRsyncVersion } from './rsync-version.js';
import { rememberRsyncVersion } from './tools/rsync.js';
import { createGrpcServer, listenGrpc } from './server.js';
import { TicketBook } from './tickets.js';
import { ReceiveResults } from './datachannel/receive-results.js';
import { SnapshotTimes } from './recheck.js';
import { cachedProbe } from './target-probe.js';
import { TargetLock } from './target-lock.js';
import { allChecks, tlsChecks } from './node-checks.js';

const USAGE = `usage: freezeframe-agent --config FILE [--check]
  --config FILE   agent config (YAML), e.g. /etc/freezeframe/agent.yaml
  --check         check the config, its TLS files and what it names (paths, file
                  systems, cgroups, datasets, programs, the certificate's name), then
                  exit: 0 fine, 1 a check failed (one line each), 2 config not loadable
  --version       print the version`;

function die(code: number, msg: string): never {
  process.stderr.write(`freezeframe-agent: ${msg}\n`);
  process.exit(code);
}

/** Expected config problems exit 2 with the message; anything else is a bug. */
function configError(e: unknown, prefix = ''): never {
  if (isFfError(e)) die(2, `${prefix}${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}`);
  throw e;
}

/** The data channel listens where the config says, else on the gRPC host at port + 1 (0 stays 0). */
function dataAddress(cfg: AgentConfig): { host: string; port: number } {
  if (cfg.dataListen) return splitHostPort(cfg.dataListen);
  const l = splitHostPort(cfg.listen);
  return { host: l.host, port: l.port === 0 ? 0 : l.port + 1 };
}

async function main(): Promise<void> {
  let values: { config?: string; check?: boolean; version?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { config: { type: 'string', short: 'c' }, check: { type: 'boolean' }, version: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (e) {
    die(2, `${errorMessage(e)}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (values.version) {
    process.stdout.write(VERSION + '\n');
    return;
  }
  if (!values.config) die(2, `--config is required\n${USAGE}`);

  let config: AgentConfig;
  let tlsMaterial: ReturnType<typeof readTls>;
  try {
    config = loadAgentConfig(values.config);
  } catch (e) {
    configError(e);
  }
  try {
    // no TLS, no agent: there is no insecure fallback outside the demo
    tlsMaterial = readTls(config.tls);
  } catch (e) {
    configError(e, `${values.config}: `);
  }
  try {
    checkAgentFiles(config, values.config);
  } catch (e) {
    configError(e);
  }
  // tests on loopback only (checkStandIns): before any program is looked up
  if (config.testStandIns !== undefined) useStandIns(config.testStandIns);
  const log = createLogger(config.name);
  let ctx: AgentContext;
  try {
    ctx = {
      config,
      log,
      tls: tlsMaterial,
      tickets: new TicketBook(config.ticketTtl),
      dataPort: 0,
      activeSessions: () => 0,
      receiveFailures: () => [],
      receiveResults: new ReceiveResults(),
      targetLock: new TargetLock({ node: config.name, log, activeSessions: () => ctx.activeSessions() }),
      sources: createSourceVolumes(config, log),
      ...(config.source || config.sources ? { snapshotTimes: new SnapshotTimes(config.runDir) } : {}),
      ...(config.freeze ? { freeze: createFreeze(config.freeze, log.child({ provider: 'freeze' })) } : {}),
      ...(config.target ? { target: createTarget(config.target, log.child({ provider: 'target' })) } : {}),
    };
  } catch (e) {
    die(2, `${values.config}: ${errorMessage(e)}`);
  }
  try {
    // the peer's rsync talks to ours: refuse versions with known vulnerabilities before serving
    const bin = findBinary('rsync');
    const version = (await run({ bin, args: ['--version'], timeoutMs: 10_000 })).stdout;
    checkRsyncVersion(version, bin);
    rememberRsyncVersion(version);
  } catch (e) {
    configError(e);
  }
  if (values.check) {
    const checks = [...tlsChecks(config.tls, tlsMaterial, config.name), ...(await allChecks(ctx))];
    const failed = checks.filter((c) => !c.ok && !c.warnOnly);
    for (const c of checks.filter((c) => !c.ok)) process.stderr.write(`${values.config}: ${c.warnOnly ? 'warning: ' : ''}${c.detail}\n`);
    if (failed.length > 0) {
      process.stderr.write(`freezeframe-agent: ${values.config}: ${failed.length} of ${checks.length} checks failed (node ${config.name})\n`);
      process.exit(1);
    }
    const sourceKinds = sourceConfigs(config).map((v) => (v.name ? `${v.name} ${v.config.kind}` : v.config.kind));
    const roles = [sourceKinds.length > 0 && `source ${sourceKinds.join(', ')}`, config.freeze && `freeze ${config.freeze.kind}`, config.target && `target ${config.target.kind}`].filter(Boolean).join(', ');
    const warned = checks.filter((c) => !c.ok).length;
    process.stdout.write(`${values.config}: ok (node ${config.name}${roles ? `: ${roles}` : ''}; ${checks.length - warned} checks passed${warned ? `, ${warned} warnings` : ''})\n`);
    return;
  }

  try {
    await mkdir(config.runDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    die(2, `${values.config}: runDir: cannot create ${config.runDir}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
  }
  const nativeDir = join(config.runDir, NATIVE_RUN_DIR);
  try {
    // what the sessions and transfers of an agent that was killed left there
    await rm(nativeDir, { recursive: true, force: true });
    await mkdir(nativeDir, { mode: 0o700 });
  } catch (e) {
    die(2, `${values.config}: runDir: cannot empty ${nativeDir}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
  }
  if (ctx.freeze) {
    ctx.lease = new FreezeLease({ provider: ctx.freeze, runDir: config.runDir, maxLeaseMs: config.freezeLeaseMaxMs, log });
    // a previous run that died while frozen must not leave the applications paused
    await ctx.lease.recover();
  }

  const receiveReplica = replicaReceiver(ctx);
  const da = dataAddress(config);
  const stunnel = config.nativeBytePath === 'auto' ? findStunnel() : undefined;
  if (stunnel) ctx.stunnel = stunnel;
  else if (config.nativeBytePath === 'auto') log.warn('stunnel is not installed (Debian package stunnel4): the data channel relays bytes through node, which is slower');
  const native = stunnel ? { stunnel, cert: config.tls.cert, key: config.tls.key, ca: tlsMaterial.ca, host: da.host, dir: nativeDir } : undefined;
  const data = createDataChannel({ tls: tlsMaterial, tickets: ctx.tickets, log: log.child({ part: 'data' }), ...(receiveReplica ? { receiveReplica } : {}), ...(native ? { native } : {}) });
  ctx.activeSessions = data.active;
  ctx.receiveFailures = data.recentFailures;
  ctx.receiveResults = data.results;
  // A replica target takes streams, never rsync, so it has no limits to find; and a probe's scratch
  // folder written into it while a stream is received breaks the receive (zfs receive -F: I/O error)
  // or modifies the dataset the next incremental stream must find unchanged.
  if (ctx.target && !replicaOf(ctx)) {
    const target = ctx.target;
    ctx.targetLimits = cachedProbe(() => target.storageRoot());
  }
  try {
    ctx.dataPort = await data.listen(da.host, da.port);
  } catch (e) {
    die(1, `data channel cannot listen on ${da.host}:${da.port}: ${errorMessage(e)}`);
  }

  const server = createGrpcServer(ctx);
  let grpcListener: Awaited<ReturnType<typeof listenGrpc>>;
  try {
    grpcListener = await listenGrpc(server, ctx);
  } catch (e) {
    die(1, `cannot listen on ${config.listen}: ${errorMessage(e)}`);
  }
  const port = grpcListener.port;
  if (config.insecure) log.warn({ listen: config.listen }, 'insecure: true: callers without a client certificate are treated as a director (loopback demos only)');
  log.info({ port, dataPort: ctx.dataPort, roles: { source: sourceConfigs(config).map((v) => v.config.kind).join(',') || undefined, freeze: config.freeze?.kind, target: config.target?.kind }, version: VERSION }, 'listening');
  process.stdout.write(JSON.stringify({ event: 'listening', name: config.name, port, dataPort: ctx.dataPort }) + '\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    try {
      const t = await ctx.lease?.thawAll();
      if (t?.wasFrozen) log.warn({ thawed: t.thawed }, 'thawed at shutdown');
    } catch (e) {
      log.error({ err: errorMessage(e) }, 'thaw at shutdown failed; the freeze record stays for the next start');
    }
    const force = setTimeout(() => server.forceShutdown(), 5_000);
    await Promise.all([new Promise<void>((r) => server.tryShutdown(() => r())), data.close(), grpcListener.close()]);
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e: unknown) => {
  const msg = e instanceof FfError ? `${e.code}: ${e.message}` : e instanceof Error ? (e.stack ?? e.message) : String(e);
  die(1, msg);
});

