// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface ThawResponse {
  'thawed'?: (string)[];
  'thawed_at_unix_ms'?: (number | string | Long);
  'was_frozen'?: (boolean);
}

export interface ThawResponse__Output {
  'thawed': (string)[];
  'thawed_at_unix_ms': (string);
  'was_frozen': (boolean);
}
