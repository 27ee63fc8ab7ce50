import { errorMessage, newBackupId, type FfError } from '@freezeframe/common';
import type { Member } from './deployment.js';
import { asFfError, type Ctx } from './phases.js';
import { newRunRecord } from './records.js';
import type { LockArgs } from './types.js';

/** The lock's lease for a freeze lease: long enough to ride out a slow renewal, short enough that a dead director's lock goes soon. */
export function lockLeaseFor(freezeLeaseMs: number): number {
  return Math.max(3 * freezeLeaseMs, 5_000);
}

/** The context of a command that keeps no run record (cleanup, verify, prune): what the lock warns goes nowhere. */
export function unrecordedCtx(deployment: string): Ctx {
  const id = newBackupId(new Date(), 'maintenance');
  return { record: newRunRecord('backup', id, id, deployment), emit: () => {} };
}

export interface HeldLock {
  /** Set when a renewal failed: the lock may be lost, the run must not tag. */
  lost(): FfError | undefined;
  release(): Promise<void>;
  /** Renews (or takes again) the lock now; false, with lost() set, when another run holds it. */
  renew(): Promise<boolean>;
}

/**
 * Takes the target lock for the whole run and renews it every third of its lease; the agent
 * drops it by itself if the renewals stop (this director died). Refusal names the holder.
 */
export async function holdTargetLock(ctx: Ctx, target: Member, args: LockArgs): Promise<HeldLock> {
  const r = await target.node.lockTarget(args);
  if (r.takenOverFrom) {
    const msg = `${target.node.name}: took over the target lock of ${args.backupId} from ${r.takenOverFrom}`;
    ctx.record.warnings.push(msg);
    ctx.emit({ type: 'warning', node: target.node.name, message: msg });
  }
  let lost: FfError | undefined;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    target.node
      .lockTarget(args)
      .catch((e: unknown) => {
        // one missed renewal is fine (the lease is three periods long); a refusal is not
        const err = asFfError(e, target.node.name);
        if (err.code !== 'UNAVAILABLE' && err.code !== 'DEADLINE_EXCEEDED') lost = err;
      })
      .finally(() => {
        busy = false;
      });
  }, Math.max(100, Math.floor(args.leaseMs / 3)));
  timer.unref?.();
  return {
    lost: () => lost,
    async renew() {
      try {
        await target.node.lockTarget(args);
        return true;
      } catch (e) {
        lost ??= asFfError(e, target.node.name);
        return false;
      }
    },
    async release() {
      clearInterval(timer);
      try {
        await target.node.unlockTarget(args.backupId, args.holder);
      } catch (e) {
        const msg = `${target.node.name}: could not release the target lock (it expires by itself): ${errorMessage(e)}`;
        ctx.record.warnings.push(msg);
        ctx.emit({ type: 'warning', node: target.node.name, message: msg });
      }
    },
  };
}
