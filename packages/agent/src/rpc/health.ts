import { VERSION, errorMessage } from '@freezeframe/common';
import type { HealthCheck } from '@freezeframe/common/generated/freezeframe/v1/HealthCheck.js';
import type { HealthResponse } from '@freezeframe/common/generated/freezeframe/v1/HealthResponse.js';
import type { ServiceState } from '@freezeframe/common/generated/freezeframe/v1/ServiceState.js';
import { roles, type AgentContext } from '../context.js';
import { allChecks } from '../node-checks.js';
import { cassandraConfig } from '../source-volumes.js';
import { firstLine, type Check } from '../providers/checks.js';
import { keyspaceRestoreRunning } from './restore-keyspace.js';
import { servicesStatus, stoppedServices } from './services.js';

/**
 * The node's health: everything a backup or restore will rely on, each as a check (the
 * providers' checks() and agentChecks). Failed checks are problems (the director's preflight
 * stops on them), except warnings and what freezeframe did on purpose (services it stopped,
 * Cassandra down during or after its own stop).
 */
export async function health(ctx: AgentContext): Promise<HealthResponse> {
  const name = ctx.config.name;
  const checks: HealthCheck[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  const add = (c: Check) => {
    const detail = c.ok ? c.detail : `${name}: ${c.detail}`;
    checks.push({ name: c.name, ok: c.ok, detail, application: !!c.application });
    if (!c.ok) (c.warnOnly ? warnings : problems).push(detail);
  };

  let services: ServiceState[] = [];
  let stopped: string[] = [];
  if (ctx.config.services) {
    try {
      stopped = await stoppedServices(ctx);
      services = await servicesStatus(ctx);
    } catch (e) {
      add({ name: 'services', ok: false, detail: `cannot read the state of the configured services: ${firstLine(errorMessage(e))}`, application: true });
    }
  }
  // an application down on purpose: stopped by stop-services, or by a keyspace restore (running, or failed and left stopped)
  const restoring = keyspaceRestoreRunning(ctx);
  const svc = cassandraConfig(ctx.config)?.service;
  const svcName = svc ? ('unit' in svc ? `unit ${svc.unit}` : `docker ${svc.container}`) : undefined;
  const onPurpose = restoring !== undefined || (svcName !== undefined && stopped.includes(svcName));

  for (const c of await allChecks(ctx, { live: true })) {
    if (c.name === 'cassandra' && !c.ok && onPurpose) {
      add({ ...c, warnOnly: true, detail: `${c.detail} (${restoring ? `keyspace restore of ${restoring} running` : 'stopped by stop-services'})` });
    } else {
      add(c);
    }
  }
  if (ctx.config.services && checks.every((c) => c.name !== 'services')) {
    const running = services.filter((s) => s.action === 'running').length;
    add({ name: 'services', ok: true, detail: `${running} of ${services.length} configured services running` });
  }
  if (stopped.length > 0) warnings.push(`${name}: left stopped by stop-services: ${stopped.join(', ')} (run \`freezeframe start-services\`)`);

  const lock = ctx.targetLock.current();
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
