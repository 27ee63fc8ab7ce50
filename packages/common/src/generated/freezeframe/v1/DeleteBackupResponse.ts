// Original file: proto/freezeframe/v1/agent.proto


export interface DeleteBackupResponse {
  /**
   * false when there was no such backup
   */
  'deleted'?: (boolean);
}

export interface DeleteBackupResponse__Output {
  /**
   * false when there was no such backup
   */
  'deleted': (boolean);
}
