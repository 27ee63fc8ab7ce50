// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface OpenReceiveResponse {
  'ticket'?: (string);
  'data_port'?: (number);
  'expires_unix_ms'?: (number | string | Long);
}

export interface OpenReceiveResponse__Output {
  'ticket': (string);
  'data_port': (number);
  'expires_unix_ms': (string);
}
