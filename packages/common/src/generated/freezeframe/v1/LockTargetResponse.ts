// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface LockTargetResponse {
  'since_unix_ms'?: (number | string | Long);
  'expires_unix_ms'?: (number | string | Long);
  'renewed'?: (boolean);
  /**
   * holder whose lock was taken over (expired or resumed)
   */
  'taken_over_from'?: (string);
}

export interface LockTargetResponse__Output {
  'since_unix_ms': (string);
  'expires_unix_ms': (string);
  'renewed': (boolean);
  /**
   * holder whose lock was taken over (expired or resumed)
   */
  'taken_over_from': (string);
}
