import { FfError, channelCredentials, readTls, type Inventory } from '@freezeframe/common';
import { GrpcAgentNode } from './agent-client.js';
import type { Member } from './deployment.js';
import type { RetentionPolicy } from './retention.js';
import type { NodeDescription } from './types.js';

// The remote targets of `replicate:` (another site's target agents): named by the commands that
// reach them (`replicate --to`, `list --target`, `prune --target`, `restore --from`), connected with
// the director's TLS material like the inventory's nodes, and checked to be what the inventory says.

export type RemoteEntry = NonNullable<Inventory['replicate']>['to'][number];

/** The inventory's remote targets, or the one `name` names; refuses naming `field` otherwise. */
export function remoteEntries(inv: Inventory, name: string | undefined, field: string): RemoteEntry[] {
  const to = inv.replicate?.to ?? [];
  if (to.length === 0) {
    throw new FfError('CONFIG_INVALID', `${name !== undefined ? `${field} ${name}: ` : ''}the inventory has no replicate: section, so it names no remote target`, {
      hint: 'add `replicate: { to: [{ name: <remote target>, address: <host:port> }] }` to the inventory (docs/reliability.md, "Off-site copies")',
      details: { field: 'replicate' },
    });
  }
  if (name === undefined) return [...to];
  const e = to.find((r) => r.name === name);
  if (!e) {
    throw new FfError('INVALID_ARGUMENT', `${field} ${JSON.stringify(name.slice(0, 64))} is not a remote target of the inventory's replicate.to (${to.map((r) => r.name).join(', ')})`, {
      details: { field },
    });
  }
  return [e];
}

/** The retention a remote applies: its own replicate.to[].retention, else the inventory's. */
export function remotePolicy(inv: Inventory, e: RemoteEntry): RetentionPolicy {
  return e.retention ?? inv.retention;
}

/** Connects to each remote (certificate identity: its name); the caller closes them. */
export function connectRemotes(inv: Inventory, entries: readonly RemoteEntry[]): GrpcAgentNode[] {
  if (entries.length === 0) return [];
  const creds = channelCredentials(readTls(inv.tls));
  return entries.map((e) => new GrpcAgentNode({ name: e.name, address: e.address }, creds));
}

/** Connects to the remotes, runs `fn`, and closes every channel whatever `fn` did. */
export async function withRemotes<T>(inv: Inventory, entries: readonly RemoteEntry[], fn: (nodes: GrpcAgentNode[]) => Promise<T>): Promise<T> {
  const nodes = connectRemotes(inv, entries);
  try {
    return await fn(nodes);
  } finally {
    for (const n of nodes) n.close();
  }
}

/**
 * A remote target as the locking and restore code wants a target: its description, health
 * assumed (a command that needs its health asks for it).
 */
export function remoteMember(node: Member['node'], desc: NodeDescription): Member {
  return { name: node.name, node, desc, health: { name: node.name, version: desc.version, roles: desc.roles, ok: true, problems: [], timeUnixMs: 0, frozen: [] } };
}

/**
 * The remote's description, refused unless it is a target whose target.replicaOf names `main`:
 * a remote receives only from the target its own config names.
 */
export async function checkRemote(node: Member['node'], main: string): Promise<NodeDescription> {
  const desc = await node.describe();
  if (desc.name !== node.name) throw new FfError('FAILED_PRECONDITION', `${node.name}: agent calls itself '${desc.name}'`, { node: node.name });
  if (!desc.roles.includes('target') || !desc.target) {
    throw new FfError('FAILED_PRECONDITION', `${node.name}: not a target (its agent config has no target:), so it cannot hold replicated backups`, {
      node: node.name,
      hint: `configure a zfs or btrfs target on ${node.name} with target.replicaOf: ${main}`,
      details: { field: 'target.replicaOf' },
    });
  }
  const of = desc.target.replicaOf;
  if (of !== main) {
    throw new FfError('FAILED_PRECONDITION', `${node.name}: its target.replicaOf is ${of ? `'${of}'` : 'not set'}, not '${main}' (this deployment's target): it does not take ${main}'s backups`, {
      node: node.name,
      hint: `set target.replicaOf: ${main} in ${node.name}'s agent config (and add this director to its authorizedDirectors), or name the right remote in the inventory's replicate.to`,
      details: { field: 'target.replicaOf', replicaOf: of ?? '', expected: main },
    });
  }
  return desc;
}

/**
 * Runs `fn` with the remote target `name` connected (checked to be a target), or with none when
 * `name` is undefined: the commands that read a backup from a remote instead of the deployment's
 * target (`restore --from`, `drill --from`).
 */
export async function withOptionalRemote<T>(inv: Inventory, name: string | undefined, field: string, fn: (remote: Member | undefined) => Promise<T>): Promise<T> {
  if (name === undefined) return fn(undefined);
  const entries = remoteEntries(inv, name, field);
  return withRemotes(inv, entries, async ([node]) => {
    const desc = await node!.describe();
    if (desc.name !== node!.name) throw new FfError('FAILED_PRECONDITION', `${node!.name}: agent calls itself '${desc.name}'`, { node: node!.name });
    if (!desc.roles.includes('target') || !desc.target) throw new FfError('FAILED_PRECONDITION', `${field} ${node!.name}: not a target (its agent config has no target:)`, { node: node!.name, details: { field } });
    return fn(remoteMember(node!, desc));
  });
}
