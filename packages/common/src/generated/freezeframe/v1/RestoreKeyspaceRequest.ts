// Original file: proto/freezeframe/v1/agent.proto


export interface RestoreKeyspaceRequest {
  'backup_id'?: (string);
  /**
   * Restored in this order with one stop and start of Cassandra; empty: every keyspace staged.
   */
  'keyspaces'?: (string)[];
}

export interface RestoreKeyspaceRequest__Output {
  'backup_id': (string);
  /**
   * Restored in this order with one stop and start of Cassandra; empty: every keyspace staged.
   */
  'keyspaces': (string)[];
}
