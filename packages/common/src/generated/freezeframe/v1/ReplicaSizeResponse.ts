// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface ReplicaSizeResponse {
  'bytes'?: (number | string | Long);
  /**
   * how it was found, e.g. "zfs send -nP", "written@base", "referenced"
   */
  'how'?: (string);
}

export interface ReplicaSizeResponse__Output {
  'bytes': (string);
  /**
   * how it was found, e.g. "zfs send -nP", "written@base", "referenced"
   */
  'how': (string);
}
