// Original file: proto/freezeframe/v1/agent.proto


export interface PrepareSnapshotRequest {
  'backup_id'?: (string);
}

export interface PrepareSnapshotRequest__Output {
  'backup_id': (string);
}
