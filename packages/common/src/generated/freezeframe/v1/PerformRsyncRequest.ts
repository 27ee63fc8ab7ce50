// Original file: proto/freezeframe/v1/agent.proto


export interface PerformRsyncRequest {
  'backup_id'?: (string);
  'ticket'?: (string);
  /**
   * expected certificate identity of the receiver
   */
  'receiver_name'?: (string);
  /**
   * host or IP of the receiver (from the inventory)
   */
  'receiver_host'?: (string);
  'receiver_data_port'?: (number);
  /**
   * from OpenReceiveResponse.inplace
   */
  'inplace'?: (boolean);
}

export interface PerformRsyncRequest__Output {
  'backup_id': (string);
  'ticket': (string);
  /**
   * expected certificate identity of the receiver
   */
  'receiver_name': (string);
  /**
   * host or IP of the receiver (from the inventory)
   */
  'receiver_host': (string);
  'receiver_data_port': (number);
  /**
   * from OpenReceiveResponse.inplace
   */
  'inplace': (boolean);
}
