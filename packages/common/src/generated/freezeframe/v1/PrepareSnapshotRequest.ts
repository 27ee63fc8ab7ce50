// Original file: proto/freezeframe/v1/agent.proto


export interface PrepareSnapshotRequest {
  'backup_id'?: (string);
  /**
   * the volume (its entry, from Describe); empty: the node's only one
   */
  'entry'?: (string);
}

export interface PrepareSnapshotRequest__Output {
  'backup_id': (string);
  /**
   * the volume (its entry, from Describe); empty: the node's only one
   */
  'entry': (string);
}
