// Original file: proto/freezeframe/v1/agent.proto


export interface ActivateBackupResponse {
  'entries'?: (string)[];
  /**
   * the folder holding the entries, on the target
   */
  'root'?: (string);
}

export interface ActivateBackupResponse__Output {
  'entries': (string)[];
  /**
   * the folder holding the entries, on the target
   */
  'root': (string);
}
