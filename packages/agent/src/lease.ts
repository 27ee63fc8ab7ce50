import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FfError, createSerial, errorMessage, isFfError, writeFileAtomic, type Logger } from '@freezeframe/common';
import type { FreezeProvider } from './providers/freeze/types.js';

const DEFAULT_MAX_TOTAL_MS = 10 * 60_000;

/** What is frozen, recorded under runDir so a restarted agent thaws it. */
export interface FrozenRecord {
  backupId: string;
  ids: string[];
  since: number;
}

export interface FreezeResult {
  frozen: string[];
  pausedAtUnixMs: number;
  leaseExpiresUnixMs: number;
  renewed: boolean;
}

export interface ThawResult {
  thawed: string[];
  thawedAtUnixMs: number;
  wasFrozen: boolean;
}

export interface FreezeLeaseOptions {
  provider: FreezeProvider;
  runDir: string;
  /** Longest lease a caller may ask for. */
  maxLeaseMs: number;
  /** Lease used when the caller asks for 0. */
  defaultLeaseMs?: number;
  /** Longest total freeze of one backup id, renewals included (config `freezeMaxTotal`; default 10 min). */
  maxTotalMs?: number;
  log: Logger;
}

/**
 * The freeze lease of one agent: at most one backup holds the freeze; the holder renews by
 * freezing again with the same id; if nobody renews or thaws, the agent thaws by itself, so a
 * director that dies never leaves a deployment paused. Renewals cannot stretch a freeze past
 * `maxTotalMs` from its first pause: a director that keeps renewing (a stalled transfer) is
 * cut off too, and that id is refused from then on. Operations run one at a time.
 */
export class FreezeLease {
  private current?: FrozenRecord & { expires: number; timer: NodeJS.Timeout; capAt: number; capMs: number };
  /** The last backup id thawed by the total cap: its renewals are refused, never a fresh pause. */
  private capped?: { backupId: string; capMs: number };
  private readonly serial = createSerial();
  private readonly file: string;
  private readonly defaultLeaseMs: number;

  constructor(private readonly o: FreezeLeaseOptions) {
    this.file = join(o.runDir, 'frozen.json');
    this.defaultLeaseMs = o.defaultLeaseMs ?? 30_000;
  }

  /** Backup ids holding a freeze (zero or one). */
  holders(): string[] {
    return this.current ? [this.current.backupId] : [];
  }

  /** Freezes, or renews the freeze of `backupId`; `maxTotalMs` (default: the options') caps the whole freeze and is fixed by the first pause. */
  freeze(backupId: string, leaseMs: number, maxTotalMs = this.o.maxTotalMs ?? DEFAULT_MAX_TOTAL_MS): Promise<FreezeResult> {
    return this.serial(() => this.doFreeze(backupId, leaseMs, maxTotalMs));
  }

  thaw(backupId: string): Promise<ThawResult> {
    return this.serial(() => this.doThaw(backupId, 'thaw'));
  }

  /** Thaws whatever is frozen (agent shutdown). */
  thawAll(): Promise<ThawResult | undefined> {
    return this.serial(async () => (this.current ? this.doThaw(this.current.backupId, 'shutdown') : undefined));
  }

  /** At start: thaws what a previous run of the agent recorded as frozen, then forgets it. */
  recover(): Promise<string[]> {
    return this.serial(async () => {
      let rec: FrozenRecord;
      try {
        rec = JSON.parse(await readFile(this.file, 'utf8')) as FrozenRecord;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw new FfError('FAILED_PRECONDITION', `${this.file}: cannot read the freeze record: ${errorMessage(e)}`, {
          hint: 'thaw by hand what it lists, then delete it',
        });
      }
      this.o.log.warn({ backup_id: rec.backupId, ids: rec.ids, since: rec.since }, 'a previous agent run left a freeze; thawing it');
      const thawed = await this.o.provider.thaw(rec.ids ?? []);
      await rm(this.file, { force: true });
      return thawed;
    });
  }

  private async doFreeze(backupId: string, leaseMs: number, maxTotalMs: number): Promise<FreezeResult> {
    const lease = Math.min(leaseMs > 0 ? leaseMs : this.defaultLeaseMs, this.o.maxLeaseMs);
    const now = Date.now();
    if (this.current) {
      const cur = this.current;
      if (cur.backupId !== backupId) {
        throw new FfError('FAILED_PRECONDITION', `already frozen for backup ${cur.backupId} (since ${new Date(cur.since).toISOString()})`, {
          hint: `thaw ${cur.backupId} first, or wait for its lease to expire`,
        });
      }
      // a late timer must not let a renewal slip past the cap
      if (now >= cur.capAt) {
        await this.doThaw(backupId, 'freeze cap reached');
        throw this.capError(backupId, cur.capMs);
      }
      this.arm(Math.min(now + lease, cur.capAt));
      return { frozen: cur.ids, pausedAtUnixMs: cur.since, leaseExpiresUnixMs: cur.expires, renewed: true };
    }
    if (this.capped?.backupId === backupId) throw this.capError(backupId, this.capped.capMs);
    let ids: string[];
    try {
      ids = await this.o.provider.freeze();
    } catch (e) {
      if (isFfError(e)) throw e;
      throw new FfError('FREEZE_FAILED', `freeze (${this.o.provider.kind}) failed: ${errorMessage(e)}`, { cause: e });
    }
    const since = Date.now();
    const rec: FrozenRecord = { backupId, ids, since };
    try {
      await this.record(rec);
    } catch (e) {
      // without the record a crash would leave things paused for good: undo the freeze
      await this.o.provider.thaw(ids).catch((te: unknown) => this.o.log.error({ err: errorMessage(te), ids }, 'thaw after failed record also failed'));
      throw new FfError('FREEZE_FAILED', `cannot record the freeze in ${this.file}: ${errorMessage(e)}; thawed again`, { cause: e });
    }
    this.current = { ...rec, expires: 0, timer: undefined as unknown as NodeJS.Timeout, capAt: since + maxTotalMs, capMs: maxTotalMs };
    this.arm(Math.min(since + lease, since + maxTotalMs));
    return { frozen: ids, pausedAtUnixMs: since, leaseExpiresUnixMs: this.current.expires, renewed: false };
  }

  private capError(backupId: string, capMs: number): FfError {
    return new FfError('FREEZE_FAILED', `freeze of backup ${backupId} reached this agent's total freeze cap freezeMaxTotal (${capMs / 1000} s) and was thawed; it cannot be renewed`, {
      hint: 'a transfer held the freeze too long (a dir source cannot snapshot); find why it stalled, or raise freezeMaxTotal in the agent config',
      details: { capMs },
    });
  }

  private async doThaw(backupId: string, why: 'thaw' | 'lease expired' | 'freeze cap reached' | 'shutdown'): Promise<ThawResult> {
    const cur = this.current;
    if (!cur || cur.backupId !== backupId) return { thawed: [], thawedAtUnixMs: Date.now(), wasFrozen: false };
    clearTimeout(cur.timer);
    let thawed: string[];
    let at: number;
    try {
      thawed = await this.o.provider.thaw(cur.ids);
      // the end of the freeze window: the applications run again from here, whatever follows
      at = Date.now();
    } catch (e) {
      // keep the record and re-arm a short retry: giving up would leave the node paused
      this.arm(Date.now() + 5_000);
      if (isFfError(e)) throw e;
      throw new FfError('FREEZE_FAILED', `thaw (${this.o.provider.kind}) of ${cur.ids.join(', ') || 'nothing'} failed: ${errorMessage(e)}`, { cause: e });
    }
    this.current = undefined;
    if (why === 'freeze cap reached') this.capped = { backupId, capMs: cur.capMs };
    await rm(this.file, { force: true });
    this.o.log.info({ backup_id: backupId, thawed, frozen_ms: at - cur.since, why }, 'thawed');
    return { thawed, thawedAtUnixMs: at, wasFrozen: true };
  }

  private arm(expires: number): void {
    const cur = this.current!;
    clearTimeout(cur.timer);
    cur.expires = expires;
    cur.timer = setTimeout(() => {
      const why = expires >= cur.capAt ? 'freeze cap reached' : 'lease expired';
      if (why === 'freeze cap reached') this.o.log.warn({ backup_id: cur.backupId, ids: cur.ids, cap_ms: cur.capMs }, 'freeze reached freezeMaxTotal; thawing and refusing renewals');
      else this.o.log.warn({ backup_id: cur.backupId, ids: cur.ids }, 'freeze lease expired without thaw or renewal; thawing');
      this.serial(() => this.doThaw(cur.backupId, why)).catch((e: unknown) =>
        this.o.log.error({ backup_id: cur.backupId, err: errorMessage(e) }, 'thaw after lease expiry failed; retrying'),
      );
    }, Math.max(0, expires - Date.now()));
    cur.timer.unref?.();
  }

  private record(rec: FrozenRecord): Promise<void> {
    return writeFileAtomic(this.file, JSON.stringify(rec) + '\n');
  }
}
