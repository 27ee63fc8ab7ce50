import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FfError, checkBackupId, checkEntry, errorMessage } from '@freezeframe/common';
import type { ZfsTagRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/ZfsTagRequest.js';
import type { ZfsTagResponse } from '@freezeframe/common/generated/freezeframe/v1/ZfsTagResponse.js';
import { needTarget, type AgentContext } from '../context.js';
import { CHECKSUMS_FILE, recordChecksums } from '../checksums.js';
import type { TagInfo } from '../providers/target/types.js';
import { refuseOnReplica } from './replica.js';

const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

/** Tags the received tree as a backup (for every target kind, despite the name). Releases the target lock. */
export async function zfsTag(ctx: AgentContext, req: ZfsTagRequest__Output): Promise<ZfsTagResponse> {
  const backupId = checkBackupId(req.backup_id);
  const entries = req.entries.map((e, i) => checkEntry(e, `entries[${i}]`));
  const target = needTarget(ctx);
  refuseOnReplica(ctx, `tagging backup ${backupId}`);
  const manifest = req.manifest?.json ?? '';
  if (manifest) {
    try {
      JSON.parse(manifest);
    } catch {
      throw new FfError('INVALID_ARGUMENT', 'manifest.json is not valid JSON', { details: { field: 'manifest.json' } });
    }
  }
  const started = Date.now();
  const info: TagInfo = {};
  if (target.receivedRoot) {
    const root = await target.receivedRoot(backupId);
    // a missing entry is refused by tag() below with the names; only a complete tree is summed
    if ((await Promise.all(entries.map((e) => isDir(join(root, e))))).every(Boolean)) {
      const previous = await target.previousRoot?.(backupId);
      const sums = await recordChecksums(root, entries, previous ? { previous: join(previous, CHECKSUMS_FILE), sameInodeIsSameContent: true } : {});
      info.usedBytes = sums.newBytes;
      ctx.log.info({ backup_id: backupId, previous, duration_ms: Date.now() - started, ...sums }, 'checksums recorded');
    }
  }
  const r = await target.tag(backupId, manifest, entries, info);
  ctx.targetLock.tagged(backupId);
  // the backup stands whether or not it can be shown; Health's target-browse check says what is wrong
  await target.showLatest?.(backupId).catch((e: unknown) => ctx.log.warn({ backup_id: backupId, err: errorMessage(e) }, 'target.browse: cannot show the newest backup'));
  return { snapshot: r.snapshot, duration_ms: String(Date.now() - started) };
}
