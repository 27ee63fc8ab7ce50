// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface SentChecksumsRequest {
  'backup_id'?: (string);
  /**
   * the volume's entry (as in PerformRsyncRequest)
   */
  'entry'?: (string);
  /**
   * where the page starts: 0, then next_offset
   */
  'offset'?: (number | string | Long);
}

export interface SentChecksumsRequest__Output {
  'backup_id': (string);
  /**
   * the volume's entry (as in PerformRsyncRequest)
   */
  'entry': (string);
  /**
   * where the page starts: 0, then next_offset
   */
  'offset': (string);
}
