import { CASSANDRA_SYSTEM_KEYSPACES, FfError, checkBackupId, checkName, type Inventory } from '@freezeframe/common';
import { closeAll, connectInventory } from './agent-client.js';
import { appNode, type KeyspaceStep } from './app-client.js';
import { restore as restoreSources } from './operations.js';
import { asFfError } from './phases.js';
import { finishRecord, stateDirOf, writeRunRecord, type RunRecord } from './records.js';
import type { EventSink } from './types.js';

const KEYSPACE_RE = /^[A-Za-z0-9_]{1,48}$/;

export function checkKeyspaces(list: readonly string[]): string[] {
  if (list.length === 0) throw new FfError('INVALID_ARGUMENT', '--keyspace names no keyspace');
  for (const k of list) {
    if (!KEYSPACE_RE.test(k)) throw new FfError('INVALID_ARGUMENT', `--keyspace ${JSON.stringify(k)} is not a keyspace name (letters, digits, _)`);
    if (CASSANDRA_SYSTEM_KEYSPACES.includes(k.toLowerCase())) {
      throw new FfError('INVALID_ARGUMENT', `--keyspace ${k} is a system keyspace; freezeframe restores application keyspaces only`);
    }
  }
  if (new Set(list).size !== list.length) throw new FfError('INVALID_ARGUMENT', `--keyspace names a keyspace twice: ${list.join(', ')}`);
  return [...list];
}

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
 * folder (the ordinary restore path, with its target lock and verification), then has the
 * agent put the keyspaces in place (RestoreKeyspace) and reports each step.
 */
export async function restoreKeyspace(
  inv: Inventory,
  opts: { node: string; keyspaces: string[]; backup: string; onEvent?: EventSink; onStep?: (s: KeyspaceStep) => void },
): Promise<KeyspaceRestoreResult> {
  checkName(opts.node, '--node');
  const keyspaces = checkKeyspaces(opts.keyspaces);
  if (opts.backup !== 'latest') checkBackupId(opts.backup, 'backup id');
  const inNode = inv.nodes.find((n) => n.name === opts.node);
  if (!inNode) throw new FfError('INVALID_ARGUMENT', `--node ${opts.node} is not in the inventory`, { hint: `nodes: ${inv.nodes.map((n) => n.name).join(', ')}` });

  // refuse before anything moves: the node must be a Cassandra source
  const nodes = connectInventory({ ...inv, nodes: [inNode] });
  try {
    const d = await nodes[0]!.describe();
    if (d.source?.kind !== 'cassandra') {
      throw new FfError('FAILED_PRECONDITION', `${opts.node} has ${d.source ? `a ${d.source.kind} source` : 'no source role'}, not cassandra`, { node: opts.node });
    }
  } finally {
    closeAll(nodes);
  }

  const staged = await restoreSources(inv, { backup: opts.backup, only: [opts.node], ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
  const record: KeyspaceRestoreResult['record'] = staged.record;
  record.keyspaceSteps = [];
  const t = staged.record.transfers[opts.node];
  const app = appNode(inNode, inv.tls);
  let failure: FfError | undefined;
  try {
    await app.restoreKeyspace(staged.backupId, keyspaces, (s) => {
      record.keyspaceSteps!.push(s);
      opts.onStep?.(s);
    });
  } catch (e) {
    failure = asFfError(e, opts.node);
  } finally {
    app.close();
  }
  finishRecord(record, failure);
  const recordFile = writeRunRecord(stateDirOf(inv), record);
  if (failure) throw failure;
  return {
    backupId: staged.backupId,
    node: opts.node,
    keyspaces,
    ...(t ? { transfer: { filesTotal: t.filesTotal, bytesTotal: t.bytesTotal, bytesTransferred: t.bytesTransferred, durationMs: t.durationMs } } : {}),
    steps: record.keyspaceSteps,
    record,
    recordFile,
  };
}
