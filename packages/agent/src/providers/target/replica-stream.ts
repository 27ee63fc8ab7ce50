import type { Readable } from 'node:stream';
import { FfError, errorMessage, findBinary, spawnProcess, type Logger, type RunResult } from '@freezeframe/common';
import type { Check } from '../checks.js';
import type { ReplicaCommand } from './types.js';

/**
 * Runs a receiving command (`zfs receive`, `btrfs receive`) with `input` as its stdin. The
 * command's failure rejects with its stderr (COMMAND_FAILED); `signal` (the sender went away)
 * kills it.
 */
export async function receiveInto(cmd: ReplicaCommand, o: { input: Readable; signal: AbortSignal; timeoutMs: number; log: Logger }): Promise<RunResult> {
  const proc = spawnProcess({ bin: cmd.bin, args: cmd.args, timeoutMs: o.timeoutMs, signal: o.signal, logger: o.log, maxStderr: 1 << 20 }, true);
  const stdin = proc.child.stdin!;
  proc.child.stdout!.resume();
  o.input.pipe(stdin);
  o.input.resume();
  try {
    return await proc.done;
  } finally {
    o.input.unpipe(stdin);
    stdin.destroy();
  }
}

/**
 * Reads the beginning of `input` until `parse` recognises it, then puts every byte back, so
 * the receiving command still gets the whole stream. Rejects when the stream ends first or
 * `parse` throws.
 */
export function peekHead<T>(input: Readable, parse: (b: Buffer) => T | undefined, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err: unknown, v?: T) => {
      clearTimeout(timer);
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('close', onEnd);
      input.pause();
      if (buf.length > 0) input.unshift(buf);
      if (err) reject(err);
      else resolve(v as T);
    };
    const onData = (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      try {
        const v = parse(buf);
        if (v !== undefined) done(undefined, v);
      } catch (e) {
        done(e);
      }
    };
    const onEnd = () => done(new FfError('TRANSFER_FAILED', `the stream ended after ${buf.length} bytes, before its first command`));
    const timer = setTimeout(() => done(new FfError('TRANSFER_FAILED', `no stream head within ${timeoutMs} ms`)), timeoutMs);
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('close', onEnd);
    input.resume();
  });
}

/** Health of a replica target: the program that receives its streams is there. */
export function replicaToolCheck(tool: 'zfs' | 'btrfs', replicaOf: string): Check {
  try {
    const bin = findBinary(tool);
    return { name: 'target-replica', ok: true, detail: `target.replicaOf: receives the backups of ${replicaOf} as ${tool} streams (${bin})` };
  } catch (e) {
    return { name: 'target-replica', ok: false, detail: `target.replicaOf: ${tool} is needed to receive the streams of ${replicaOf}: ${errorMessage(e)}` };
  }
}
