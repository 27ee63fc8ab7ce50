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
}

export interface TargetInfo__Output {
  'kind': (string);
  'free_bytes': (string);
  /**
   * What the target's file system cannot store, found by trying it (cached for 10 minutes).
   */
  'limits': (_freezeframe_v1_TargetLimit__Output)[];
}
