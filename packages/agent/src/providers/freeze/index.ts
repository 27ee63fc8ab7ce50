import type { FreezeConfig, Logger } from '@freezeframe/common';
import type { FreezeProvider } from './types.js';
import { NoneFreeze } from './none.js';
import { DockerFreeze } from './docker.js';
import { CgroupFreeze } from './cgroup.js';
import { CommandFreeze } from './command.js';

export type { FreezeProvider } from './types.js';

/** One line per kind. */
export function createFreeze(cfg: FreezeConfig, log: Logger): FreezeProvider {
  switch (cfg.kind) {
    case 'none':
      return new NoneFreeze();
    case 'docker':
      return new DockerFreeze(cfg, log);
    case 'cgroup':
      return new CgroupFreeze(cfg, log);
    case 'command':
      return new CommandFreeze(cfg, log);
    default:
      throw new Error(`freeze kind ${(cfg as { kind: string }).kind} is not implemented yet`);
  }
}
