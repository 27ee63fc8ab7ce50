// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface ZfsTagResponse {
  /**
   * e.g. "backup/current@20220906_082043"
   */
  'snapshot'?: (string);
  'duration_ms'?: (number | string | Long);
  /**
   * files the senders' lists named, compared with what landed
   */
  'sent_checked'?: (number | string | Long);
}

export interface ZfsTagResponse__Output {
  /**
   * e.g. "backup/current@20220906_082043"
   */
  'snapshot': (string);
  'duration_ms': (string);
  /**
   * files the senders' lists named, compared with what landed
   */
  'sent_checked': (string);
}
