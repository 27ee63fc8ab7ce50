// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface OpenReceiveResponse {
  'ticket'?: (string);
  'data_port'?: (number);
  'expires_unix_ms'?: (number | string | Long);
  /**
   * The receiver writes changed files in place (ZFS/btrfs targets); the sender must know,
   * because rsync's delta matching differs for in-place updates.
   */
  'inplace'?: (boolean);
  /**
   * The receiver takes this session to stunnel (the native byte path): a sender with stunnel may
   * then do the data channel's handshake itself and give rsync stunnel as its remote shell.
   */
  'native'?: (boolean);
}

export interface OpenReceiveResponse__Output {
  'ticket': (string);
  'data_port': (number);
  'expires_unix_ms': (string);
  /**
   * The receiver writes changed files in place (ZFS/btrfs targets); the sender must know,
   * because rsync's delta matching differs for in-place updates.
   */
  'inplace': (boolean);
  /**
   * The receiver takes this session to stunnel (the native byte path): a sender with stunnel may
   * then do the data channel's handshake itself and give rsync stunnel as its remote shell.
   */
  'native': (boolean);
}
