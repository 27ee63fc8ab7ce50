// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface AddSentChecksumsResponse {
  /**
   * the list's length now
   */
  'bytes'?: (number | string | Long);
}

export interface AddSentChecksumsResponse__Output {
  /**
   * the list's length now
   */
  'bytes': (string);
}
