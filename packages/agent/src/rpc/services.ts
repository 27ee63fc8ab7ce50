import type { StartServicesResponse } from '@freezeframe/common/generated/freezeframe/v1/StartServicesResponse.js';
import type { StopServicesResponse } from '@freezeframe/common/generated/freezeframe/v1/StopServicesResponse.js';
import type { AgentContext } from '../context.js';
import { ServiceList, type ServiceState } from '../services.js';

// One list per agent: its operations run one at a time and share the record under runDir.
const lists = new WeakMap<AgentContext, ServiceList>();

function serviceList(ctx: AgentContext): ServiceList | undefined {
  if (!ctx.config.services) return undefined;
  let l = lists.get(ctx);
  if (!l) {
    l = new ServiceList(ctx.config.services, ctx.config.runDir, ctx.log.child({ part: 'services' }));
    lists.set(ctx, l);
  }
  return l;
}

/** A node without `services:` has nothing to stop: an empty answer, so the director may ask every node. */
export async function stopServices(ctx: AgentContext): Promise<StopServicesResponse> {
  const l = serviceList(ctx);
  if (!l) return { services: [], recorded_unix_ms: '0' };
  const r = await l.stop();
  return { services: r.services, recorded_unix_ms: String(r.recordedAt) };
}

export async function startServices(ctx: AgentContext): Promise<StartServicesResponse> {
  const l = serviceList(ctx);
  if (!l) return { services: [] };
  return { services: await l.start() };
}

/** Services this agent stopped and has not started again (for health checks). */
export async function stoppedServices(ctx: AgentContext): Promise<string[]> {
  return (await serviceList(ctx)?.stopped()) ?? [];
}

/** The configured services as they are now; empty without `services:`. */
export async function servicesStatus(ctx: AgentContext): Promise<ServiceState[]> {
  return (await serviceList(ctx)?.status()) ?? [];
}
