// Original file: proto/freezeframe/v1/agent.proto

import type { Direction as _freezeframe_v1_Direction, Direction__Output as _freezeframe_v1_Direction__Output } from '../../freezeframe/v1/Direction.js';

export interface OpenReceiveRequest {
  'backup_id'?: (string);
  /**
   * source node name (entry is derived from it on the target)
   */
  'source'?: (string);
  'direction'?: (_freezeframe_v1_Direction);
  /**
   * certificate identity allowed to present the ticket
   */
  'peer'?: (string);
  /**
   * for backups: the entry name the source reported
   */
  'entry'?: (string);
  /**
   * Compare every file sent by content, not by size and mtime (rsync --ignore-times): the second
   * pass of a backup, and a backup with no earlier one to compare with.
   */
  'recheck'?: (boolean);
}

export interface OpenReceiveRequest__Output {
  'backup_id': (string);
  /**
   * source node name (entry is derived from it on the target)
   */
  'source': (string);
  'direction': (_freezeframe_v1_Direction__Output);
  /**
   * certificate identity allowed to present the ticket
   */
  'peer': (string);
  /**
   * for backups: the entry name the source reported
   */
  'entry': (string);
  /**
   * Compare every file sent by content, not by size and mtime (rsync --ignore-times): the second
   * pass of a backup, and a backup with no earlier one to compare with.
   */
  'recheck': (boolean);
}
