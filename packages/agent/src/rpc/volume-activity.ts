import type { VolumeActivityRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/VolumeActivityRequest.js';
import type { VolumeActivityResponse } from '@freezeframe/common/generated/freezeframe/v1/VolumeActivityResponse.js';
import { needSource, type AgentContext } from '../context.js';
import { changedSince, openWriters } from '../volume-activity.js';
import { checkEntryField } from './entry-field.js';

const WRITERS_SENT = 20;
/** Health-like: the director asks before a restore, so the walk is bounded. */
const WALK_TIMEOUT_MS = 3_000;

/** Source: writers and recent changes under the live folder of one volume (see volume-activity.ts). */
export async function volumeActivity(ctx: AgentContext, req: VolumeActivityRequest__Output): Promise<VolumeActivityResponse> {
  const volume = needSource(ctx, checkEntryField(req.entry));
  const recentS = req.recent_seconds > 0 ? Math.min(req.recent_seconds, 3600) : 60;
  const path = await volume.provider.restorePath();
  const [writers, changed] = await Promise.all([openWriters(path), changedSince(path, Date.now() - recentS * 1000, WALK_TIMEOUT_MS)]);
  return {
    path,
    writers: writers.slice(0, WRITERS_SENT).map((w) => ({ pid: w.pid, command: w.command, uid: w.uid, files: w.files })),
    writers_total: writers.length,
    recently_changed: String(changed ?? 0),
    changed_counted: changed !== undefined,
  };
}
