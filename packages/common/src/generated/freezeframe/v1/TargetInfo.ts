// Original file: proto/freezeframe/v1/agent.proto

import type { TargetLimit as _freezeframe_v1_TargetLimit, TargetLimit__Output as _freezeframe_v1_TargetLimit__Output } from '../../freezeframe/v1/TargetLimit.js';
import type { Long } from '@grpc/proto-loader';

export interface TargetInfo {
  'kind'?: (string);
  'free_bytes'?: (number | string | Long);
  /**
   * What the target's file system cannot store, found by trying it (cached for 10 minutes).
   */
  'limits'?: (_freezeframe_v1_TargetLimit)[];
  /**
   * A remote target (target.replicaOf): the identity whose backups it receives as streams. Such
   * a target takes no backups from sources (its history must stay the sender's).
   */
  'replica_of'?: (string);
  /**
   * It can receive a cut stream where it stopped (OpenZFS `zfs recv -s`); zfs-fuse and btrfs cannot.
   */
  'resumable'?: (boolean);
}

export interface TargetInfo__Output {
  'kind': (string);
  'free_bytes': (string);
  /**
   * What the target's file system cannot store, found by trying it (cached for 10 minutes).
   */
  'limits': (_freezeframe_v1_TargetLimit__Output)[];
  /**
   * A remote target (target.replicaOf): the identity whose backups it receives as streams. Such
   * a target takes no backups from sources (its history must stay the sender's).
   */
  'replica_of': (string);
  /**
   * It can receive a cut stream where it stopped (OpenZFS `zfs recv -s`); zfs-fuse and btrfs cannot.
   */
  'resumable': (boolean);
}
