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
  /**
   * Restores (`restore --to-dir`): receive into <to_dir>/<restore_id>/<entry>, folders this agent
   * makes (<restore_id> mode 0700), instead of its live volume; to_dir must lie inside one of the
   * agent's restoreDirs, with no '..' and no symbolic link on its path. Needs no allowRestore.
   */
  'to_dir'?: (string);
  /**
   * restore_YYYYMMDD_HHMMSS: the restore's run id, with to_dir
   */
  'restore_id'?: (string);
  /**
   * Restores into the live volume: this node's own volume (its entry) to write into, when the
   * backup's entry is another node's (`restore --map`); empty: the volume of `entry`, else the
   * one with the same volume path, else the node's only one.
   */
  'into_entry'?: (string);
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
  /**
   * Restores (`restore --to-dir`): receive into <to_dir>/<restore_id>/<entry>, folders this agent
   * makes (<restore_id> mode 0700), instead of its live volume; to_dir must lie inside one of the
   * agent's restoreDirs, with no '..' and no symbolic link on its path. Needs no allowRestore.
   */
  'to_dir': (string);
  /**
   * restore_YYYYMMDD_HHMMSS: the restore's run id, with to_dir
   */
  'restore_id': (string);
  /**
   * Restores into the live volume: this node's own volume (its entry) to write into, when the
   * backup's entry is another node's (`restore --map`); empty: the volume of `entry`, else the
   * one with the same volume path, else the node's only one.
   */
  'into_entry': (string);
}
