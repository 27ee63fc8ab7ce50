import { access, constants } from 'node:fs/promises';
import { VERSION, errorMessage, findBinary } from '@freezeframe/common';
import type { HealthCheck } from '@freezeframe/common/generated/freezeframe/v1/HealthCheck.js';
import type { HealthResponse } from '@freezeframe/common/generated/freezeframe/v1/HealthResponse.js';
import type { ServiceState } from '@freezeframe/common/generated/freezeframe/v1/ServiceState.js';
import { roles, type AgentContext } from '../context.js';
import { mountHolding } from '../mountinfo.js';
import { CassandraSource } from '../providers/source/cassandra.js';
import { ZfsTarget } from '../providers/target/zfs.js';
import { currentLock } from '../target-lock.js';
import { createDockerApi } from '../tools/docker-api.js';
import { nodetoolStatusOk } from '../tools/nodetool.js';
import { poolOf, zpoolStatus } from '../tools/zfs.js';
import { keyspaceRestoreRunning } from './restore-keyspace.js';
import { servicesStatus, stoppedServices } from './services.js';

/** Below this, a source or target is reported as a problem (snapshots and backups grow). */
const MIN_FREE_BYTES = 64 << 20;
/** Health is polled by monitoring and every preflight: each probe must answer quickly. */
const PROBE_TIMEOUT_MS = 5_000;
const NODETOOL_STATUS_TIMEOUT_MS = 20_000;

const firstLine = (s: string) => s.split('\n')[0]!.trim();

/** Every Docker Engine socket the config relies on, with what relies on it. */
function dockerSockets(ctx: AgentContext): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const add = (socket: string, why: string) => m.set(socket, [...(m.get(socket) ?? []), why]);
  const cfg = ctx.config;
  if (cfg.freeze?.kind === 'docker') add(cfg.freeze.socket, 'freeze');
  if (cfg.services && (cfg.services.docker.length > 0 || cfg.services.allContainers)) add(cfg.services.socket, 'services');
  if (cfg.source?.kind === 'cassandra' && cfg.source.service && 'container' in cfg.source.service) add(cfg.source.service.socket, 'cassandra service');
  return m;
}

/**
 * The node's health: everything a backup or restore will rely on, each as a check. Failed
 * checks are problems (the director's preflight stops on them), except what freezeframe did on
 * purpose (services it stopped, Cassandra down during or after its own stop), which are warnings.
 */
export async function health(ctx: AgentContext): Promise<HealthResponse> {
  const name = ctx.config.name;
  const checks: HealthCheck[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  const check = (c: { name: string; ok: boolean; detail: string; application?: boolean; warnOnly?: boolean }) => {
    checks.push({ name: c.name, ok: c.ok, detail: c.detail, application: !!c.application });
    if (!c.ok) (c.warnOnly ? warnings : problems).push(c.detail);
  };

  try {
    check({ name: 'rsync', ok: true, detail: `rsync at ${findBinary('rsync')}` });
  } catch (e) {
    check({ name: 'rsync', ok: false, detail: `${name}: ${errorMessage(e)}` });
  }
  try {
    await access(ctx.config.runDir, constants.W_OK);
    check({ name: 'run-dir', ok: true, detail: `runDir ${ctx.config.runDir} is writable` });
  } catch (e) {
    check({ name: 'run-dir', ok: false, detail: `${name}: runDir ${ctx.config.runDir} is not writable: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}` });
  }
  const checkFree = async (check_: string, what: string, f: () => Promise<number>) => {
    try {
      const free = await f();
      check({ name: check_, ok: free >= MIN_FREE_BYTES, detail: free >= MIN_FREE_BYTES ? `${what}: ${free} bytes free` : `${name}: ${what} has only ${free} bytes free` });
    } catch (e) {
      check({ name: check_, ok: false, detail: `${name}: ${what}: ${errorMessage(e)}` });
    }
  };
  if (ctx.source) await checkFree('source-space', `source volume ${ctx.source.volume}`, () => ctx.source!.freeBytes());
  if (ctx.target) await checkFree('target-space', 'target', () => ctx.target!.freeBytes());

  const tcfg = ctx.config.target;
  if (tcfg?.kind === 'zfs') {
    const pool = poolOf(tcfg.dataset);
    try {
      const st = await zpoolStatus(pool, { logger: ctx.log, timeoutMs: PROBE_TIMEOUT_MS * 2 });
      const clean = st.state === 'ONLINE' && (st.errors === '' || /^No known data errors/i.test(st.errors));
      check({ name: 'pool', ok: clean, detail: clean ? `pool ${pool} ONLINE, ${st.errors || 'no errors line'}` : `${name}: pool ${pool} is ${st.state || 'in an unknown state'}; errors: ${st.errors || '-'}` });
    } catch (e) {
      check({ name: 'pool', ok: false, detail: `${name}: zpool status ${pool}: ${firstLine(errorMessage(e))}` });
    }
  }

  // a source's files must not become setuid programs or device nodes on the target: warn, the operator decides how to mount
  if (tcfg?.kind === 'dir') {
    try {
      const m = await mountHolding(tcfg.path);
      const missing = ['nosuid', 'nodev'].filter((o) => !m?.options.includes(o));
      check({
        name: 'target-mount',
        ok: missing.length === 0,
        warnOnly: true,
        detail: missing.length === 0
          ? `target ${tcfg.path} is on ${m!.mountPoint}, mounted nosuid,nodev`
          : `${name}: target ${tcfg.path} is on ${m?.mountPoint ?? 'an unknown mount'}, mounted without ${missing.join(',')}: a source could place setuid programs or device nodes there (mount it nosuid,nodev,noexec)`,
      });
    } catch (e) {
      check({ name: 'target-mount', ok: false, warnOnly: true, detail: `${name}: cannot tell how target ${tcfg.path} is mounted: ${firstLine(errorMessage(e))}` });
    }
  }
  if (ctx.target instanceof ZfsTarget) {
    try {
      const unsafe = await ctx.target.unsafeProperties();
      check({
        name: 'target-properties',
        ok: unsafe.length === 0,
        warnOnly: true,
        detail: unsafe.length === 0
          ? `target dataset ${ctx.target.dataset} has setuid, devices and exec off`
          : `${name}: target dataset ${ctx.target.dataset} has ${unsafe.join(', ')}: a source could place setuid programs or device nodes there (zfs set setuid=off devices=off exec=off ${ctx.target.dataset})`,
      });
    } catch (e) {
      check({ name: 'target-properties', ok: false, warnOnly: true, detail: `${name}: zfs get of ${ctx.target.dataset}: ${firstLine(errorMessage(e))}` });
    }
  }

  for (const [socket, users] of dockerSockets(ctx)) {
    try {
      await createDockerApi(socket, { timeoutMs: PROBE_TIMEOUT_MS }).ping();
      check({ name: 'docker', ok: true, detail: `docker engine at ${socket} answers (${users.join(', ')})`, application: true });
    } catch (e) {
      check({ name: 'docker', ok: false, detail: `${name}: docker engine at ${socket} (for ${users.join(', ')}): ${firstLine(errorMessage(e))}`, application: true });
    }
  }

  let services: ServiceState[] = [];
  let stopped: string[] = [];
  if (ctx.config.services) {
    try {
      stopped = await stoppedServices(ctx);
      services = await servicesStatus(ctx);
      const running = services.filter((s) => s.action === 'running').length;
      check({ name: 'services', ok: true, detail: `${running} of ${services.length} configured services running` });
    } catch (e) {
      check({ name: 'services', ok: false, detail: `${name}: cannot read the state of the configured services: ${firstLine(errorMessage(e))}`, application: true });
    }
    if (stopped.length > 0) warnings.push(`${name}: left stopped by stop-services: ${stopped.join(', ')} (run \`freezeframe start-services\`)`);
  }

  if (ctx.source instanceof CassandraSource) {
    const src = ctx.source;
    const s = await nodetoolStatusOk(src.nodetool(undefined, Math.min(src.cfg.nodetoolTimeout, NODETOOL_STATUS_TIMEOUT_MS)));
    const svc = src.cfg.service;
    const svcName = svc ? ('unit' in svc ? `unit ${svc.unit}` : `docker ${svc.container}`) : undefined;
    const restoring = keyspaceRestoreRunning(ctx);
    // down on purpose: stopped by stop-services, or by a keyspace restore (running, or failed and left stopped)
    const onPurpose = restoring !== undefined || (svcName !== undefined && stopped.includes(svcName));
    check({
      name: 'cassandra',
      ok: s.ok,
      detail: s.ok
        ? `cassandra answers nodetool status (${src.cfg.nodetool})`
        : `${name}: cassandra does not answer nodetool status${restoring ? ` (keyspace restore of ${restoring} running)` : onPurpose ? ' (stopped by stop-services)' : ''}: ${firstLine(s.output)}`,
      application: true,
      warnOnly: onPurpose,
    });
  }

  const lock = currentLock(ctx);
  return {
    name,
    version: VERSION,
    roles: roles(ctx),
    ok: problems.length === 0,
    problems,
    target_locked_by: lock?.backupId ?? '',
    target_locked_since: lock ? new Date(lock.since).toISOString() : '',
    target_lock_purpose: lock?.purpose ?? '',
    target_lock_expires_unix_ms: String(lock?.expires ?? 0),
    time_unix_ms: String(Date.now()),
    frozen: ctx.lease?.holders() ?? [],
    checks,
    services,
    services_stopped: stopped,
    warnings,
  };
}
