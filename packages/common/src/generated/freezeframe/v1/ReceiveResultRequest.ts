// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface ReceiveResultRequest {
  'ticket'?: (string);
  /**
   * how long to wait for a running session (at most 60 s)
   */
  'wait_ms'?: (number | string | Long);
}

export interface ReceiveResultRequest__Output {
  'ticket': (string);
  /**
   * how long to wait for a running session (at most 60 s)
   */
  'wait_ms': (string);
}
