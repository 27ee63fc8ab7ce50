import { checkBackupId, errorMessage } from '@freezeframe/common';
import type { CleanupRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/CleanupRequest.js';
import type { CleanupResponse } from '@freezeframe/common/generated/freezeframe/v1/CleanupResponse.js';
import type { AgentContext } from '../context.js';

/**
 * Removes the leftovers of every backup not in `keep`, by the backup id they carry: source
 * snapshots (and their mounts), restore/read clones on the target, freezes. Each failure is
 * reported and the rest still cleaned; calling it again finds nothing more.
 */
export async function cleanup(ctx: AgentContext, req: CleanupRequest__Output): Promise<CleanupResponse> {
  const keep = new Set(req.keep.map((id, i) => checkBackupId(id, `keep[${i}]`)));
  const dry = req.dry_run;
  const removed: string[] = [];
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      removed.push(what);
    } catch (e) {
      problems.push(`${what}: ${errorMessage(e)}`);
    }
  };
  if (ctx.lease) {
    for (const id of ctx.lease.holders()) if (!keep.has(id)) await attempt(`freeze ${id}`, async () => (dry ? undefined : ctx.lease!.thaw(id)));
  }
  for (const v of ctx.sources) {
    let ids: string[] = [];
    try {
      ids = await v.provider.listSnapshots();
    } catch (e) {
      problems.push(`listing snapshots of ${v.provider.volume}: ${errorMessage(e)}`);
    }
    const of = ctx.sources.length > 1 ? ` of ${v.provider.volume}` : '';
    for (const id of ids) if (!keep.has(id)) await attempt(`snapshot ${id}${of}`, async () => (dry ? undefined : v.provider.remove(id)));
  }
  if (ctx.target?.cleanup) {
    try {
      removed.push(...(await ctx.target.cleanup(keep, dry)));
    } catch (e) {
      problems.push(`target clones: ${errorMessage(e)}`);
    }
  }
  ctx.log.info({ keep: [...keep], removed, problems, dry_run: dry }, 'cleanup');
  return { removed, problems };
}
