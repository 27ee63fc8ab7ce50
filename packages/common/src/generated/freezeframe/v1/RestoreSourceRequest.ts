// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface RestoreSourceRequest {
  'backup_id'?: (string);
  /**
   * which entry of the backup to send
   */
  'entry'?: (string);
  'ticket'?: (string);
  'receiver_name'?: (string);
  'receiver_host'?: (string);
  'receiver_data_port'?: (number);
  /**
   * from OpenReceiveResponse.inplace
   */
  'inplace'?: (boolean);
  /**
   * Partial restore (`restore --path`): send only these subtrees of the entry (relative paths, no
   * '.', '..' or control characters, at most 64; each must be in the backup with no symbolic
   * link on the way), and let the receiver delete only inside them. Empty: the whole entry.
   */
  'paths'?: (string)[];
  /**
   * from OpenReceiveResponse.native
   */
  'receiver_native'?: (boolean);
  /**
   * The entry's size in bytes by the backup's manifest, for a whole entry (no paths). Set, the
   * agent takes the progress from the bytes its rsync has read (the kernel's count), where rsync
   * would print a line per file the agent reads: a restore sends every file. 0: rsync's lines.
   */
  'expected_bytes'?: (number | string | Long);
}

export interface RestoreSourceRequest__Output {
  'backup_id': (string);
  /**
   * which entry of the backup to send
   */
  'entry': (string);
  'ticket': (string);
  'receiver_name': (string);
  'receiver_host': (string);
  'receiver_data_port': (number);
  /**
   * from OpenReceiveResponse.inplace
   */
  'inplace': (boolean);
  /**
   * Partial restore (`restore --path`): send only these subtrees of the entry (relative paths, no
   * '.', '..' or control characters, at most 64; each must be in the backup with no symbolic
   * link on the way), and let the receiver delete only inside them. Empty: the whole entry.
   */
  'paths': (string)[];
  /**
   * from OpenReceiveResponse.native
   */
  'receiver_native': (boolean);
  /**
   * The entry's size in bytes by the backup's manifest, for a whole entry (no paths). Set, the
   * agent takes the progress from the bytes its rsync has read (the kernel's count), where rsync
   * would print a line per file the agent reads: a restore sends every file. 0: rsync's lines.
   */
  'expected_bytes': (string);
}
