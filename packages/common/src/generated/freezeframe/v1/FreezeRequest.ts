// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface FreezeRequest {
  'backup_id'?: (string);
  'lease_ms'?: (number | string | Long);
}

export interface FreezeRequest__Output {
  'backup_id': (string);
  'lease_ms': (string);
}
