import { VERSION, errorMessage } from '@freezeframe/common';
import type { DescribeResponse } from '@freezeframe/common/generated/freezeframe/v1/DescribeResponse.js';
import { roles, type AgentContext } from '../context.js';
import { rsyncVersion } from '../tools/rsync.js';
import { replicaOf } from './replica.js';
import { health } from './health.js';

/** Request fields this agent acts on that older agents ignore (DescribeResponse.features). */
export const FEATURES = ['restore-paths', 'restore-to-dir', 'restore-into-entry', 'replicate', 'sent-checksums'];

/** `withHealth`: the Health answer too (DescribeRequest.with_health), made at the same time. */
export async function describe(ctx: AgentContext, withHealth = false): Promise<DescribeResponse> {
  const healthNow = withHealth ? health(ctx) : undefined;
  // settled now, awaited at the end: a failure must not go unhandled while the rest runs
  healthNow?.catch(() => {});
  const free = async (f: () => Promise<number>) => String(await f().catch(() => 0));
  const res: DescribeResponse = {
    name: ctx.config.name,
    version: VERSION,
    roles: roles(ctx),
    data_port: ctx.dataPort,
    rsync_version: await rsyncVersion().catch((e: unknown) => `unavailable: ${errorMessage(e)}`),
    features: FEATURES,
    receive_failures: ctx.receiveFailures().map((f) => ({
      backup_id: f.backupId,
      source: f.source,
      direction: f.direction === 'backup' ? 'DIRECTION_BACKUP' : f.direction === 'replicate' ? 'DIRECTION_REPLICATE' : 'DIRECTION_RESTORE',
      at_unix_ms: String(f.atMs),
      message: f.message,
    })),
  };
  const sources = await Promise.all(
    ctx.sources.map(async (v) => ({
      kind: v.provider.kind,
      volume: v.provider.volume,
      entry: v.entry,
      point_in_time: v.provider.pointInTime,
      free_bytes: await free(() => v.provider.freeBytes()),
      name: v.name ?? '',
      leave_out: v.leaveOut,
    })),
  );
  if (sources.length > 0) {
    res.source = sources[0]!;
    res.sources = sources;
  }
  if (ctx.freeze) res.freeze = { kind: ctx.freeze.kind };
  if (ctx.target) {
    const allowed: readonly string[] = ctx.config.target?.unsupported ?? [];
    const limits =
      (await ctx.targetLimits?.().catch((e: unknown) => {
        // a probe that cannot run must not block a backup; rsync still reports each loss
        ctx.log.warn({ err: errorMessage(e) }, 'target probe failed');
        return [];
      })) ?? [];
    res.target = {
      kind: ctx.target.kind,
      free_bytes: await free(() => ctx.target!.freeBytes()),
      limits: limits.map((l) => ({ class: l.class, detail: l.detail, allowed: allowed.includes(l.class) })),
      replica_of: replicaOf(ctx),
      resumable: await (ctx.target.replicaResumable?.() ?? Promise.resolve(false)).catch(() => false),
    };
  }
  if (healthNow) res.health = await healthNow;
  return res;
}
