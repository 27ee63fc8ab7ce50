// Original file: proto/freezeframe/v1/agent.proto


export interface ThawRequest {
  'backup_id'?: (string);
}

export interface ThawRequest__Output {
  'backup_id': (string);
}
