// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface PrepareSnapshotResponse {
  'entry'?: (string);
  'duration_ms'?: (number | string | Long);
  'taken_at_unix_ms'?: (number | string | Long);
}

export interface PrepareSnapshotResponse__Output {
  'entry': (string);
  'duration_ms': (string);
  'taken_at_unix_ms': (string);
}
