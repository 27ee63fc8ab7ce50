// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface SentChecksumsResponse {
  /**
   * whole lines "<hex checksum> <escaped name>\n", at most 1 MiB
   */
  'chunk'?: (Buffer | Uint8Array | string);
  'next_offset'?: (number | string | Long);
  'eof'?: (boolean);
  /**
   * rsync's checksum name, e.g. "xxh128"
   */
  'algorithm'?: (string);
}

export interface SentChecksumsResponse__Output {
  /**
   * whole lines "<hex checksum> <escaped name>\n", at most 1 MiB
   */
  'chunk': (Buffer);
  'next_offset': (string);
  'eof': (boolean);
  /**
   * rsync's checksum name, e.g. "xxh128"
   */
  'algorithm': (string);
}
