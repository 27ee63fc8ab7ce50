import { FfError, checkBackupId, checkName, type Inventory } from '@freezeframe/common';
import { withDeployment } from './core/deployment.js';
import { asFfError } from './core/phases.js';
import { finishRecord, newRunRecord, stateDirOf, unusedRunId, writeRunRecord, type RunRecord } from './core/records.js';
import { lockLeaseFor } from './core/target-lock.js';
import type { EventSink, KeyspaceStep } from './core/types.js';
import { checkKeyspaces, restoreSources, type RestoreResult } from './restore.js';

export interface KeyspaceRestoreResult {
  backupId: string;
  node: string;
  keyspaces: string[];
  /** The transfer of the node's backup entry into its restore staging folder. */
  transfer?: { filesTotal: number; bytesTotal: number; bytesTransferred: number; durationMs: number };
  steps: KeyspaceStep[];
  record: RunRecord & { keyspaceSteps?: KeyspaceStep[] };
  recordFile: string;
}

/**
 * `restore-keyspace`: brings the Cassandra node's entry of the backup into its restore staging
 * folder (the ordinary restore transfer, with its target lock and verification), then has the
 * agent put the keyspaces in place (RestoreKeyspace) and reports each step. One connection, one
 * run record.
 */
export async function restoreKeyspace(
  inv: Inventory,
  opts: { node: string; keyspaces: string[]; backup: string; onEvent?: EventSink; onStep?: (s: KeyspaceStep) => void },
): Promise<KeyspaceRestoreResult> {
  checkName(opts.node, '--node');
  const keyspaces = checkKeyspaces(opts.keyspaces);
  if (opts.backup !== 'latest') checkBackupId(opts.backup, 'backup id');
  if (!inv.nodes.some((n) => n.name === opts.node)) {
    throw new FfError('INVALID_ARGUMENT', `--node ${opts.node} is not in the inventory`, { hint: `nodes: ${inv.nodes.map((n) => n.name).join(', ')}` });
  }
  return withDeployment(inv, async (d) => {
    const node = d.node(opts.node);
    // refuse before anything moves: the node must be a Cassandra source
    const desc = await node.describe();
    const vol = (desc.sources ?? []).find((v) => v.kind === 'cassandra');
    if (!vol) {
      throw new FfError('FAILED_PRECONDITION', `${opts.node} has ${desc.source ? `a ${desc.source.kind} source` : 'no source role'}, not cassandra`, { node: opts.node });
    }

    const stateDir = stateDirOf(inv);
    const record: KeyspaceRestoreResult['record'] = newRunRecord('restore', await unusedRunId(stateDir, 'restore'), opts.backup, inv.deployment);
    let staged: RestoreResult;
    try {
      staged = await restoreSources(d.nodes, {
        backup: opts.backup,
        only: [vol.name ? `${opts.node}:${vol.name}` : opts.node],
        record,
        lockLeaseMs: lockLeaseFor(inv.freeze.lease),
        ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      });
    } catch (e) {
      writeRunRecord(stateDir, record);
      throw asFfError(e);
    }
    const steps: KeyspaceStep[] = [];
    record.keyspaceSteps = steps;
    const t = record.transfers[opts.node];
    let failure: FfError | undefined;
    try {
      await node.restoreKeyspace(staged.backupId, keyspaces, (s) => {
        steps.push(s);
        opts.onStep?.(s);
      });
    } catch (e) {
      failure = asFfError(e, opts.node);
    }
    finishRecord(record, failure);
    const recordFile = writeRunRecord(stateDir, record);
    if (failure) throw failure;
    return {
      backupId: staged.backupId,
      node: opts.node,
      keyspaces,
      ...(t ? { transfer: { filesTotal: t.filesTotal, bytesTotal: t.bytesTotal, bytesTransferred: t.bytesTransferred, durationMs: t.durationMs } } : {}),
      steps,
      record,
      recordFile,
    };
  });
}
