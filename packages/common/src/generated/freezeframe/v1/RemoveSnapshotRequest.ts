// Original file: proto/freezeframe/v1/agent.proto


export interface RemoveSnapshotRequest {
  'backup_id'?: (string);
}

export interface RemoveSnapshotRequest__Output {
  'backup_id': (string);
}
