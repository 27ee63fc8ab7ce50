// Original file: proto/freezeframe/v1/agent.proto


export interface DeleteBackupRequest {
  'backup_id'?: (string);
}

export interface DeleteBackupRequest__Output {
  'backup_id': (string);
}
