// Original file: proto/freezeframe/v1/agent.proto


export interface ActivateBackupRequest {
  'backup_id'?: (string);
  /**
   * For a person to browse (`freezeframe mount`): kept apart from a restore's activation (ZFS:
   * its own clone), so a restore's deactivation never takes it away; it stays until umount.
   */
  'browse'?: (boolean);
}

export interface ActivateBackupRequest__Output {
  'backup_id': (string);
  /**
   * For a person to browse (`freezeframe mount`): kept apart from a restore's activation (ZFS:
   * its own clone), so a restore's deactivation never takes it away; it stays until umount.
   */
  'browse': (boolean);
}
