import type { SourceConfig } from '@freezeframe/common';
import type { Logger } from '@freezeframe/common';
import type { SourceProvider } from './types.js';
import { DirSource } from './dir.js';

export type { SourceProvider } from './types.js';

/** One line per kind. */
export function createSource(cfg: SourceConfig, log: Logger): SourceProvider {
  switch (cfg.kind) {
    case 'dir':
      return new DirSource(cfg, log);
    default:
      throw new Error(`source kind ${cfg.kind} is not implemented yet`);
  }
}
