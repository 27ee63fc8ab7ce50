// Original file: proto/freezeframe/v1/agent.proto


export interface DeactivateBackupRequest {
  'backup_id'?: (string);
  /**
   * the browse activation (`freezeframe umount`)
   */
  'browse'?: (boolean);
}

export interface DeactivateBackupRequest__Output {
  'backup_id': (string);
  /**
   * the browse activation (`freezeframe umount`)
   */
  'browse': (boolean);
}
