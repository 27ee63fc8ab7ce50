// Original file: proto/freezeframe/v1/agent.proto


export interface RemoveSnapshotRequest {
  'backup_id'?: (string);
  /**
   * the volume; empty: every volume of the node
   */
  'entry'?: (string);
}

export interface RemoveSnapshotRequest__Output {
  'backup_id': (string);
  /**
   * the volume; empty: every volume of the node
   */
  'entry': (string);
}
