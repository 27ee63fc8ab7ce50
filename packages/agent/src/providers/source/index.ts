import type { SourceConfig } from '@freezeframe/common';
import type { Logger } from '@freezeframe/common';
import type { SourceProvider } from './types.js';
import { DirSource } from './dir.js';
import { BtrfsSource } from './btrfs.js';
import { ZfsSource } from './zfs.js';
import { CassandraSource } from './cassandra.js';
import { DumpSource } from './dump.js';
import { LvmSource } from './lvm.js';
import { GlusterSource } from './gluster.js';

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
    case 'cassandra':
      return new CassandraSource(cfg, log);
    case 'dump':
      return new DumpSource(cfg, log);
    case 'lvm':
      return new LvmSource(cfg, log);
    case 'gluster':
      return new GlusterSource(cfg, log);
    default:
      throw new Error(`source kind ${(cfg as { kind: string }).kind} is not implemented yet`);
  }
}
