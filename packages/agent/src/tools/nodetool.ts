import { FfError, isFfError, run, type Logger, type RunResult } from '@freezeframe/common';

/**
 * Cassandra's `nodetool`, from the path in the agent config. Keyspace names and snapshot tags
 * reach it only after the config schema or checkBackupId validated them.
 */
export interface NodetoolOptions {
  bin: string;
  timeoutMs: number;
  signal?: AbortSignal;
  logger?: Logger;
}

async function nodetool(o: NodetoolOptions, args: string[]): Promise<RunResult> {
  try {
    return await run({ bin: o.bin, args, timeoutMs: o.timeoutMs, ...(o.signal ? { signal: o.signal } : {}), ...(o.logger ? { logger: o.logger } : {}) });
  } catch (e) {
    if (isFfError(e, 'COMMAND_FAILED') && /Failed to connect|Connection refused|ConnectException/i.test(String(e.details?.stderr ?? '') + e.message)) {
      throw new FfError('UNAVAILABLE', `nodetool ${args[0]}: Cassandra does not answer on JMX: ${e.message}`, {
        cause: e,
        hint: 'is Cassandra running on this node?',
        details: e.details ?? {},
      });
    }
    throw e;
  }
}

/** Writes memtables to sstables, so the snapshot holds everything acknowledged so far. */
export async function nodetoolFlush(o: NodetoolOptions): Promise<void> {
  await nodetool(o, ['flush']);
}

/** Hard-links every live sstable of `keyspaces` into `<table dir>/snapshots/<tag>/`. */
export async function nodetoolSnapshot(o: NodetoolOptions, tag: string, keyspaces: readonly string[]): Promise<void> {
  await nodetool(o, ['snapshot', '-t', tag, ...keyspaces]);
}

export async function nodetoolClearSnapshot(o: NodetoolOptions, tag: string): Promise<void> {
  await nodetool(o, ['clearsnapshot', '-t', tag]);
}

/** Flushes and stops accepting writes: the last step before stopping Cassandra. */
export async function nodetoolDrain(o: NodetoolOptions): Promise<void> {
  await nodetool(o, ['drain']);
}

/** True when the node answers `nodetool status` (it is up and serving JMX). */
export async function nodetoolStatusOk(o: NodetoolOptions): Promise<{ ok: boolean; output: string }> {
  try {
    const r = await nodetool(o, ['status']);
    return { ok: true, output: r.stdout };
  } catch (e) {
    if (isFfError(e, 'UNAVAILABLE') || isFfError(e, 'COMMAND_FAILED') || isFfError(e, 'COMMAND_TIMEOUT')) return { ok: false, output: e.message };
    throw e;
  }
}

export async function nodetoolRepair(o: NodetoolOptions, keyspace: string): Promise<RunResult> {
  return nodetool(o, ['repair', keyspace]);
}
