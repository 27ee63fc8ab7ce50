// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface TargetInfo {
  'kind'?: (string);
  'free_bytes'?: (number | string | Long);
}

export interface TargetInfo__Output {
  'kind': (string);
  'free_bytes': (string);
}
