// Original file: proto/freezeframe/v1/agent.proto


export interface ActivateBackupResponse {
  'entries'?: (string)[];
}

export interface ActivateBackupResponse__Output {
  'entries': (string)[];
}
