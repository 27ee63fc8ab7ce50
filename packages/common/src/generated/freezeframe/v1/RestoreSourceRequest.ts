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
}
