import type { FreezeConfig, Logger } from '@freezeframe/common';
import type { FreezeProvider } from './types.js';
import { NoneFreeze } from './none.js';

export type { FreezeProvider } from './types.js';

/** One line per kind. */
export function createFreeze(cfg: FreezeConfig, log: Logger): FreezeProvider {
  switch (cfg.kind) {
    case 'none':
      return new NoneFreeze();
    default:
      throw new Error(`freeze kind ${cfg.kind} is not implemented yet`);
  }
}
