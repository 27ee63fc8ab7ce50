import { FfError, type Inventory } from '@freezeframe/common';
import { appNodes, type AppNode, type ServiceState } from './app-client.js';
import { onEveryNode } from './phases.js';

export interface ServicesResult {
  nodes: Array<{ node: string; services: ServiceState[] }>;
}

async function onAll(inv: Inventory, what: string, fn: (n: AppNode) => Promise<ServiceState[]>, only?: readonly string[]): Promise<ServicesResult> {
  const unknown = (only ?? []).filter((n) => !inv.nodes.some((x) => x.name === n));
  if (unknown.length > 0) throw new FfError('INVALID_ARGUMENT', `--node ${unknown.join(', ')}: not in the inventory`, { hint: `nodes: ${inv.nodes.map((n) => n.name).join(', ')}` });
  const nodes = appNodes(inv, only);
  try {
    const r = await onEveryNode(nodes, what, 'FAILED_PRECONDITION', fn);
    return { nodes: nodes.map((n, i) => ({ node: n.name, services: r[i]! })) };
  } finally {
    for (const n of nodes) n.close();
  }
}

/**
 * Stops the services each agent's config lists (containers, then units, in order) on every node
 * in parallel. Each agent records what it stopped, so start-services starts exactly that, even
 * when some nodes failed here.
 */
export function stopServices(inv: Inventory, opts: { only?: string[] } = {}): Promise<ServicesResult> {
  return onAll(inv, 'stop-services', (n) => n.stopServices(), opts.only);
}

/** Starts what each agent recorded as stopped by freezeframe, in reverse order. */
export function startServices(inv: Inventory, opts: { only?: string[] } = {}): Promise<ServicesResult> {
  return onAll(inv, 'start-services', (n) => n.startServices(), opts.only);
}
