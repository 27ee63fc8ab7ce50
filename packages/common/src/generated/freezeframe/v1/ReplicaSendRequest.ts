// Original file: proto/freezeframe/v1/agent.proto


export interface ReplicaSendRequest {
  'backup_id'?: (string);
  /**
   * as in OpenReplicaReceiveRequest
   */
  'base_id'?: (string);
  'ticket'?: (string);
  /**
   * expected certificate identity of the remote
   */
  'receiver_name'?: (string);
  /**
   * from the inventory's replicate: entry
   */
  'receiver_host'?: (string);
  'receiver_data_port'?: (number);
  /**
   * from OpenReplicaReceiveResponse
   */
  'resume_token'?: (string);
}

export interface ReplicaSendRequest__Output {
  'backup_id': (string);
  /**
   * as in OpenReplicaReceiveRequest
   */
  'base_id': (string);
  'ticket': (string);
  /**
   * expected certificate identity of the remote
   */
  'receiver_name': (string);
  /**
   * from the inventory's replicate: entry
   */
  'receiver_host': (string);
  'receiver_data_port': (number);
  /**
   * from OpenReplicaReceiveResponse
   */
  'resume_token': (string);
}
