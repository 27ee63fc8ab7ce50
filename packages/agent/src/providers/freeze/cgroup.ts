import { isAbsolute, normalize } from 'node:path';
import { FfError, errorMessage, silentLogger, type FreezeConfig, type Logger } from '@freezeframe/common';
import { freezeGroup, groupAt, locateGroup, thawGroup, type FreezerGroup } from '../../tools/cgroup-freezer.js';
import type { Check } from '../checks.js';
import type { FreezeProvider } from './types.js';

type CgroupFreezeConfig = Extract<FreezeConfig, { kind: 'cgroup' }>;

/** The cgroup paths (relative to a hierarchy) the config selects; units live under system.slice. */
export function configuredGroups(cfg: CgroupFreezeConfig): string[] {
  return [...cfg.cgroups, ...cfg.units.map((u) => `system.slice/${u}`)];
}

/** Freezes named cgroups and systemd units with the kernel freezer (v1 or v2). */
export class CgroupFreeze implements FreezeProvider {
  readonly kind = 'cgroup';

  constructor(
    private readonly cfg: CgroupFreezeConfig,
    private readonly log: Logger = silentLogger,
  ) {}

  async freeze(signal?: AbortSignal): Promise<string[]> {
    // every group is found before any is frozen: a typo must not leave the others paused
    let groups: FreezerGroup[];
    try {
      groups = configuredGroups(this.cfg).map((g) => locateGroup(this.cfg.root, g, this.cfg.version));
    } catch (e) {
      throw new FfError('FREEZE_FAILED', `cannot freeze: ${errorMessage(e)}`, { cause: e, ...(e instanceof FfError && e.hint ? { hint: e.hint } : {}) });
    }
    const frozen: string[] = [];
    const results = await Promise.allSettled(
      groups.map(async (g) => {
        await freezeGroup(g, signal ? { signal } : {});
        frozen.push(g.dir);
      }),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ dir: groups[i]!.dir, error: r.reason as unknown }] : []));
    if (failed.length === 0) return groups.map((g) => g.dir);

    await this.thaw(frozen).catch((e: unknown) => {
      this.log.error({ err: errorMessage(e), cgroups: frozen }, 'could not thaw after a failed freeze');
    });
    const first = failed[0]!;
    throw new FfError('FREEZE_FAILED', `cannot freeze cgroup ${failed.map((f) => f.dir).join(', ')}: ${errorMessage(first.error)}`, {
      cause: first.error,
      details: { cgroups: failed.map((f) => f.dir), thawed: frozen },
      ...(first.error instanceof FfError && first.error.hint ? { hint: first.error.hint } : {}),
    });
  }

  async thaw(ids: readonly string[]): Promise<string[]> {
    const root = normalize(this.cfg.root).replace(/\/$/, '');
    for (const id of ids) {
      // ids come back from the agent's records: never write outside the cgroup filesystem
      if (!isAbsolute(id) || normalize(id) !== id || id.split('/').includes('..') || !id.startsWith(`${root}/`)) {
        throw new FfError('INVALID_ARGUMENT', `cannot thaw '${id}': not a cgroup path under ${root}`);
      }
    }
    const resumed = new Set<string>();
    const failed: Array<{ dir: string; error: unknown }> = [];
    await Promise.all(
      ids.map(async (dir) => {
        const g = groupAt(dir);
        if (!g) return; // the group is gone, and its tasks with it
        try {
          if (await thawGroup(g)) resumed.add(dir);
        } catch (error) {
          failed.push({ dir, error });
        }
      }),
    );
    if (failed.length > 0) {
      const first = failed[0]!;
      throw new FfError('FREEZE_FAILED', `cannot thaw cgroup ${failed.map((f) => f.dir).join(', ')}: ${errorMessage(first.error)}`, {
        cause: first.error,
        details: { failed: failed.map((f) => f.dir), resumed: [...resumed] },
      });
    }
    return ids.filter((id) => resumed.has(id));
  }

  /** Every configured group exists in a freezer hierarchy under `root` (one check per group). */
  async checks(): Promise<Check[]> {
    const groups = [...this.cfg.cgroups.map((g) => ({ key: 'freeze.cgroups', group: g, shown: g })), ...this.cfg.units.map((u) => ({ key: 'freeze.units', group: `system.slice/${u}`, shown: u }))];
    if (groups.length === 0) return [{ name: 'freeze-group', ok: false, warnOnly: true, detail: 'freeze: kind cgroup names no cgroups and no units: nothing would be frozen' }];
    return groups.map(({ key, group, shown }) => {
      try {
        const g = locateGroup(this.cfg.root, group, this.cfg.version);
        return { name: 'freeze-group', ok: true, detail: `${key}: ${shown} is ${g.dir} (${g.version})` };
      } catch (e) {
        // a group exists while its application runs: missing, the application is down (a backup
        // cannot freeze it; a restore into a stopped application is what maintenance looks like);
        // no freezer hierarchy at all is the node's problem
        const down = e instanceof FfError && e.code === 'NOT_FOUND';
        return { name: 'freeze-group', ok: false, ...(down ? { application: true } : {}), detail: `${key}: ${shown}: ${errorMessage(e)}${down ? ' (is the application running?)' : ''}` };
      }
    });
  }
}
