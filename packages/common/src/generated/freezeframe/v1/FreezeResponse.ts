// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface FreezeResponse {
  /**
   * what was paused (container names, cgroups)
   */
  'frozen'?: (string)[];
  'paused_at_unix_ms'?: (number | string | Long);
  'lease_expires_unix_ms'?: (number | string | Long);
  'renewed'?: (boolean);
}

export interface FreezeResponse__Output {
  /**
   * what was paused (container names, cgroups)
   */
  'frozen': (string)[];
  'paused_at_unix_ms': (string);
  'lease_expires_unix_ms': (string);
  'renewed': (boolean);
}
