import { VERSION, entryName, errorMessage } from '@freezeframe/common';
import type { DescribeResponse } from '@freezeframe/common/generated/freezeframe/v1/DescribeResponse.js';
import { roles, type AgentContext } from '../context.js';
import { rsyncVersion } from '../tools/rsync.js';

export async function describe(ctx: AgentContext): Promise<DescribeResponse> {
  const free = async (f: () => Promise<number>) => String(await f().catch(() => 0));
  const res: DescribeResponse = {
    name: ctx.config.name,
    version: VERSION,
    roles: roles(ctx),
    data_port: ctx.dataPort,
    rsync_version: await rsyncVersion().catch((e: unknown) => `unavailable: ${errorMessage(e)}`),
    receive_failures: ctx.receiveFailures().map((f) => ({
      backup_id: f.backupId,
      source: f.source,
      direction: f.direction === 'backup' ? 'DIRECTION_BACKUP' : 'DIRECTION_RESTORE',
      at_unix_ms: String(f.atMs),
      message: f.message,
    })),
  };
  if (ctx.source) {
    res.source = {
      kind: ctx.source.kind,
      volume: ctx.source.volume,
      entry: entryName(ctx.config.name, ctx.source.volume),
      point_in_time: ctx.source.pointInTime,
      free_bytes: await free(() => ctx.source!.freeBytes()),
    };
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
    };
  }
  return res;
}
