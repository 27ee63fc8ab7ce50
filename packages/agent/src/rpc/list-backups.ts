import type { ListBackupsResponse } from '@freezeframe/common/generated/freezeframe/v1/ListBackupsResponse.js';
import { needTarget, type AgentContext } from '../context.js';

export async function listBackups(ctx: AgentContext): Promise<ListBackupsResponse> {
  const list = await needTarget(ctx).list();
  return {
    backups: list.map((b) => ({
      backup_id: b.backupId,
      created_unix_ms: String(b.createdUnixMs),
      entries: b.entries,
      used_bytes: String(b.usedBytes),
      manifest_json: b.manifestJson,
      // only complete transfers are ever tagged
      complete: true,
    })),
  };
}
