// Original file: proto/freezeframe/v1/agent.proto


export interface DeactivateBackupResponse {
  'deactivated'?: (boolean);
}

export interface DeactivateBackupResponse__Output {
  'deactivated': (boolean);
}
