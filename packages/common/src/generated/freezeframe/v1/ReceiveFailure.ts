// Original file: proto/freezeframe/v1/agent.proto

import type { Direction as _freezeframe_v1_Direction, Direction__Output as _freezeframe_v1_Direction__Output } from '../../freezeframe/v1/Direction.js';
import type { Long } from '@grpc/proto-loader';

export interface ReceiveFailure {
  'backup_id'?: (string);
  'source'?: (string);
  'direction'?: (_freezeframe_v1_Direction);
  'at_unix_ms'?: (number | string | Long);
  /**
   * the receiving rsync's exit and last stderr lines
   */
  'message'?: (string);
}

export interface ReceiveFailure__Output {
  'backup_id': (string);
  'source': (string);
  'direction': (_freezeframe_v1_Direction__Output);
  'at_unix_ms': (string);
  /**
   * the receiving rsync's exit and last stderr lines
   */
  'message': (string);
}
