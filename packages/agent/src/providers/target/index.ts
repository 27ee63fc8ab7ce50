import type { Logger, TargetConfig } from '@freezeframe/common';
import type { TargetProvider } from './types.js';
import { BtrfsTarget } from './btrfs.js';
import { DirTarget } from './dir.js';
import { ZfsTarget } from './zfs.js';

export type { TargetProvider, TargetBackup } from './types.js';

/** One line per kind. */
export function createTarget(cfg: TargetConfig, log: Logger): TargetProvider {
  switch (cfg.kind) {
    case 'dir':
      return new DirTarget(cfg, log);
    case 'zfs':
      return new ZfsTarget(cfg, log);
    case 'btrfs':
      return new BtrfsTarget(cfg, log);
    default:
      throw new Error(`target kind ${(cfg as { kind: string }).kind} is not implemented yet`);
  }
}
