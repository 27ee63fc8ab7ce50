// Original file: proto/freezeframe/v1/agent.proto


export interface OpenReplicaReceiveRequest {
  /**
   * the backup the stream carries
   */
  'backup_id'?: (string);
  /**
   * the newest backup both targets hold (incremental); empty: a full stream
   */
  'base_id'?: (string);
  /**
   * certificate identity of the sending target; must equal target.replicaOf
   */
  'peer'?: (string);
}

export interface OpenReplicaReceiveRequest__Output {
  /**
   * the backup the stream carries
   */
  'backup_id': (string);
  /**
   * the newest backup both targets hold (incremental); empty: a full stream
   */
  'base_id': (string);
  /**
   * certificate identity of the sending target; must equal target.replicaOf
   */
  'peer': (string);
}
