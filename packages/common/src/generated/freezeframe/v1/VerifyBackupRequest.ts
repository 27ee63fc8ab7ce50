// Original file: proto/freezeframe/v1/agent.proto


export interface VerifyBackupRequest {
  'backup_id'?: (string);
  /**
   * only these entries; all when empty
   */
  'entries'?: (string)[];
}

export interface VerifyBackupRequest__Output {
  'backup_id': (string);
  /**
   * only these entries; all when empty
   */
  'entries': (string)[];
}
