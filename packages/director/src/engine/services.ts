import { FfError, type Inventory } from '@freezeframe/common';
import { withDeployment } from './core/deployment.js';
import { onEveryNode } from './core/phases.js';
import type { AppNode, ServiceState } from './core/types.js';

// `freezeframe stop-services` and `start-services`; restore's --stop-services calls the same on
// its own connection.

export interface ServicesResult {
  nodes: Array<{ node: string; services: ServiceState[] }>;
}

/** `--node` names that are not in the inventory: refused before anything is called. */
function checkNodes(inv: Inventory, only: readonly string[] | undefined): void {
  const unknown = (only ?? []).filter((n) => !inv.nodes.some((x) => x.name === n));
  if (unknown.length > 0) throw new FfError('INVALID_ARGUMENT', `--node ${unknown.join(', ')}: not in the inventory`, { hint: `nodes: ${inv.nodes.map((n) => n.name).join(', ')}` });
}

async function onAll(nodes: readonly AppNode[], what: string, fn: (n: AppNode) => Promise<ServiceState[]>): Promise<ServicesResult> {
  const r = await onEveryNode(nodes, what, 'FAILED_PRECONDITION', fn);
  return { nodes: nodes.map((n, i) => ({ node: n.name, services: r[i]! })) };
}

/**
 * Stops the services each agent's config lists (containers, then units, in order) on every node
 * in parallel. Each agent records what it stopped, so start-services starts exactly that, even
 * when some nodes failed here.
 */
export function stopServicesOn(nodes: readonly AppNode[]): Promise<ServicesResult> {
  return onAll(nodes, 'stop-services', (n) => n.stopServices());
}

/** Starts what each agent recorded as stopped by freezeframe, in reverse order. */
export function startServicesOn(nodes: readonly AppNode[]): Promise<ServicesResult> {
  return onAll(nodes, 'start-services', (n) => n.startServices());
}

/** `stop-services [--node X]`: stopServicesOn every node of the inventory, or the named ones. */
export async function stopServices(inv: Inventory, opts: { only?: string[] } = {}): Promise<ServicesResult> {
  checkNodes(inv, opts.only);
  return withDeployment(inv, (d) => stopServicesOn(d.nodes.filter((n) => !opts.only || opts.only.includes(n.name))));
}

/** `start-services [--node X]`: startServicesOn every node of the inventory, or the named ones. */
export async function startServices(inv: Inventory, opts: { only?: string[] } = {}): Promise<ServicesResult> {
  checkNodes(inv, opts.only);
  return withDeployment(inv, (d) => startServicesOn(d.nodes.filter((n) => !opts.only || opts.only.includes(n.name))));
}
