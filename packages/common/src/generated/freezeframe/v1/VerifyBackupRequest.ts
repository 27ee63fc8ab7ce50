// Original file: proto/freezeframe/v1/agent.proto


export interface VerifyBackupRequest {
  'backup_id'?: (string);
  /**
   * only these entries; all when empty
   */
  'entries'?: (string)[];
  /**
   * The check before a restore: where the target's file system proves the backup unchanged
   * since it was tagged and checksums every block it reads, a sample of the files is re-read
   * instead of every file. `freezeframe verify` leaves it unset (every file).
   */
  'for_restore'?: (boolean);
}

export interface VerifyBackupRequest__Output {
  'backup_id': (string);
  /**
   * only these entries; all when empty
   */
  'entries': (string)[];
  /**
   * The check before a restore: where the target's file system proves the backup unchanged
   * since it was tagged and checksums every block it reads, a sample of the files is re-read
   * instead of every file. `freezeframe verify` leaves it unset (every file).
   */
  'for_restore': (boolean);
}
