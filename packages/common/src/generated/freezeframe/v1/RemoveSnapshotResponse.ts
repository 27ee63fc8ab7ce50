// Original file: proto/freezeframe/v1/agent.proto


export interface RemoveSnapshotResponse {
  'removed'?: (boolean);
}

export interface RemoveSnapshotResponse__Output {
  'removed': (boolean);
}
