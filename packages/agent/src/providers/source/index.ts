import type { SourceConfig } from '@freezeframe/common';
import type { Logger } from '@freezeframe/common';
import type { SourceProvider } from './types.js';
import { DirSource } from './dir.js';
import { BtrfsSource } from './btrfs.js';
import { ZfsSource } from './zfs.js';

export type { SourceProvider } from './types.js';

/** One line per kind. */
export function createSource(cfg: SourceConfig, log: Logger): SourceProvider {
  switch (cfg.kind) {
    case 'dir':
      return new DirSource(cfg, log);
    case 'btrfs':
      return new BtrfsSource(cfg, log);
    case 'zfs':
      return new ZfsSource(cfg, log);
    default:
      throw new Error(`source kind ${(cfg as { kind: string }).kind} is not implemented yet`);
  }
}
