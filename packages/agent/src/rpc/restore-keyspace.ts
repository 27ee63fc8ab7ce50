import { FfError, checkBackupId, checkKeyspace } from '@freezeframe/common';
import type { RestoreKeyspaceRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/RestoreKeyspaceRequest.js';
import type { RestoreKeyspaceStep } from '@freezeframe/common/generated/freezeframe/v1/RestoreKeyspaceStep.js';
import { needSources, type AgentContext } from '../context.js';
import { CassandraSource } from '../providers/source/cassandra.js';
import { restoreKeyspaces } from '../providers/source/cassandra-restore.js';

/** One keyspace restore at a time per node: two would stop and start Cassandra under each other. */
const running = new WeakMap<AgentContext, string>();

/** The backup a keyspace restore on this agent is putting in place now (Cassandra is down on purpose). */
export function keyspaceRestoreRunning(ctx: AgentContext): string | undefined {
  return running.get(ctx);
}

export async function restoreKeyspace(ctx: AgentContext, req: RestoreKeyspaceRequest__Output, emit: (m: RestoreKeyspaceStep) => void, signal: AbortSignal): Promise<void> {
  const backupId = checkBackupId(req.backup_id);
  const keyspaces = req.keyspaces.map((k, i) => checkKeyspace(k, `keyspaces[${i}]`));
  if (new Set(keyspaces).size !== keyspaces.length) throw new FfError('INVALID_ARGUMENT', `keyspaces lists a keyspace twice: ${keyspaces.join(', ')}`, { details: { field: 'keyspaces' } });
  const src = needSources(ctx).map((v) => v.provider).find((p) => p instanceof CassandraSource);
  if (!src) {
    throw new FfError('FAILED_PRECONDITION', `node ${ctx.config.name} has ${ctx.sources.length === 1 ? "a " : ""}${ctx.sources.map((v) => v.provider.kind).join(', ')} source${ctx.sources.length > 1 ? 's' : ''}, not cassandra`, { hint: 'restore-keyspace is for Cassandra nodes' });
  }
  if (!ctx.config.allowRestore) {
    throw new FfError('PERMISSION_DENIED', `node ${ctx.config.name} does not accept restores`, { hint: 'set allowRestore: true in its agent config for the time of the restore' });
  }
  const busy = running.get(ctx);
  if (busy) throw new FfError('FAILED_PRECONDITION', `node ${ctx.config.name} is already restoring keyspaces from ${busy}`);
  running.set(ctx, backupId);
  try {
    await restoreKeyspaces(
      src,
      backupId,
      keyspaces,
      (s) =>
        emit({
          step: s.step,
          keyspace: s.keyspace ?? '',
          table: s.table ?? '',
          detail: s.detail,
          files: String(s.files ?? 0),
          bytes: String(s.bytes ?? 0),
          duration_ms: String(s.durationMs),
          done: false,
        }),
      signal,
    );
    emit({ step: 'done', detail: `backup ${backupId} restored`, done: true });
  } finally {
    running.delete(ctx);
  }
}
