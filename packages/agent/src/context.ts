import { FfError, type AgentConfig, type Logger, type TlsMaterial } from '@freezeframe/common';
import type { ReceiveResults } from './datachannel/receive-results.js';
import type { SnapshotTimes } from './recheck.js';
import type { Limit } from './target-probe.js';
import type { ReceiveFailure } from './datachannel/server.js';
import type { FreezeLease } from './lease.js';
import type { FreezeProvider } from './providers/freeze/types.js';
import { findVolume, type SourceVolume } from './source-volumes.js';
import type { TargetProvider } from './providers/target/types.js';
import type { TargetLock } from './target-lock.js';
import type { TicketBook } from './tickets.js';

export type Role = 'source' | 'freeze' | 'target';

/** Everything an RPC handler may use; built once at start by main.ts. */
export interface AgentContext {
  config: AgentConfig;
  log: Logger;
  tls: TlsMaterial;
  /** The node's source volumes (`source:` one, `sources:` several); empty without the source role. */
  sources: SourceVolume[];
  /** When each snapshot of the source was taken (for the second pass, see recheck.ts). */
  snapshotTimes?: SnapshotTimes;
  freeze?: FreezeProvider;
  target?: TargetProvider;
  /** What the target's file system cannot store (probed, cached). */
  targetLimits?: () => Promise<Limit[]>;
  lease?: FreezeLease;
  tickets: TicketBook;
  /** The data channel's port as bound. */
  dataPort: number;
  /**
   * stunnel, when found and `nativeBytePath` is auto: transfers this node sends ask for the native
   * byte path, and the data channel takes sessions to it (OpenReceive says so: `native`).
   */
  stunnel?: string;
  /** Data-channel sessions running now. */
  activeSessions(): number;
  /** Receiving rsyncs of the data channel that failed lately. */
  receiveFailures(): ReceiveFailure[];
  /** How each data-channel session ended, by ticket. */
  receiveResults: ReceiveResults;
  /** The target lock (held only on a node with the target role). */
  targetLock: TargetLock;
}

export function roles(ctx: AgentContext): Role[] {
  const r: Role[] = [];
  if (ctx.sources.length > 0) r.push('source');
  if (ctx.freeze) r.push('freeze');
  if (ctx.target) r.push('target');
  return r;
}

function noRole(ctx: AgentContext, role: Role): FfError {
  return new FfError('FAILED_PRECONDITION', `node ${ctx.config.name} has no ${role} role`, {
    hint: `add a '${role}:' section to this agent's config, or call another node`,
  });
}

/** Every source volume of the node; refused on a node without the source role. */
export function needSources(ctx: AgentContext): SourceVolume[] {
  if (ctx.sources.length === 0) throw noRole(ctx, 'source');
  return ctx.sources;
}

/** The source volume `entry` names (empty: the node's only one). */
export function needSource(ctx: AgentContext, entry = ''): SourceVolume {
  if (ctx.sources.length === 0) throw noRole(ctx, 'source');
  return findVolume(ctx.sources, ctx.config.name, entry);
}

export function needTarget(ctx: AgentContext): TargetProvider {
  if (!ctx.target) throw noRole(ctx, 'target');
  return ctx.target;
}

export function needLease(ctx: AgentContext): FreezeLease {
  if (!ctx.lease) throw noRole(ctx, 'freeze');
  return ctx.lease;
}
