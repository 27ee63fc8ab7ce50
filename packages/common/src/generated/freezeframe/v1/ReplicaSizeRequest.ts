// Original file: proto/freezeframe/v1/agent.proto


export interface ReplicaSizeRequest {
  'backup_id'?: (string);
  'base_id'?: (string);
}

export interface ReplicaSizeRequest__Output {
  'backup_id': (string);
  'base_id': (string);
}
