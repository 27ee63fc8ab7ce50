// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface OpenReplicaReceiveResponse {
  'ticket'?: (string);
  'data_port'?: (number);
  'expires_unix_ms'?: (number | string | Long);
  /**
   * Where a cut stream of backup_id stopped (OpenZFS receive_resume_token); the sender continues
   * from it (`zfs send -t`) after checking it names its own dataset and backup_id. Empty: send all.
   */
  'resume_token'?: (string);
}

export interface OpenReplicaReceiveResponse__Output {
  'ticket': (string);
  'data_port': (number);
  'expires_unix_ms': (string);
  /**
   * Where a cut stream of backup_id stopped (OpenZFS receive_resume_token); the sender continues
   * from it (`zfs send -t`) after checking it names its own dataset and backup_id. Empty: send all.
   */
  'resume_token': (string);
}
