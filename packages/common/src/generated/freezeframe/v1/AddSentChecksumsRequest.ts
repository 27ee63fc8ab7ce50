// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface AddSentChecksumsRequest {
  'backup_id'?: (string);
  /**
   * the entry on the target
   */
  'entry'?: (string);
  /**
   * as SentChecksumsRequest.offset: a retried page overwrites
   */
  'offset'?: (number | string | Long);
  'chunk'?: (Buffer | Uint8Array | string);
  /**
   * the last page: the list is complete
   */
  'eof'?: (boolean);
  /**
   * must be the target's (xxh128)
   */
  'algorithm'?: (string);
}

export interface AddSentChecksumsRequest__Output {
  'backup_id': (string);
  /**
   * the entry on the target
   */
  'entry': (string);
  /**
   * as SentChecksumsRequest.offset: a retried page overwrites
   */
  'offset': (string);
  'chunk': (Buffer);
  /**
   * the last page: the list is complete
   */
  'eof': (boolean);
  /**
   * must be the target's (xxh128)
   */
  'algorithm': (string);
}
