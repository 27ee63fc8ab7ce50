// Original file: proto/freezeframe/v1/agent.proto


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
}
