// Original file: proto/freezeframe/v1/agent.proto


export interface DeactivateBackupRequest {
  'backup_id'?: (string);
}

export interface DeactivateBackupRequest__Output {
  'backup_id': (string);
}
