// Original file: proto/freezeframe/v1/agent.proto


export interface ActivateBackupRequest {
  'backup_id'?: (string);
}

export interface ActivateBackupRequest__Output {
  'backup_id': (string);
}
