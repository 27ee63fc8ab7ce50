// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface VerifyBackupResponse {
  'ok'?: (boolean);
  'files_checked'?: (number | string | Long);
  /**
   * "<entry>/<path>: checksum differs"
   */
  'bad'?: (string)[];
  /**
   * files recorded but absent
   */
  'missing'?: (string)[];
  /**
   * false for backups tagged before checksums were recorded
   */
  'has_checksums'?: (boolean);
  /**
   * ZFS targets: zpool health and errors line
   */
  'pool_state'?: (string);
  'problems'?: (string)[];
  /**
   * How the files were checked: "every file", or the sample and what the file system proved.
   */
  'method'?: (string);
}

export interface VerifyBackupResponse__Output {
  'ok': (boolean);
  'files_checked': (string);
  /**
   * "<entry>/<path>: checksum differs"
   */
  'bad': (string)[];
  /**
   * files recorded but absent
   */
  'missing': (string)[];
  /**
   * false for backups tagged before checksums were recorded
   */
  'has_checksums': (boolean);
  /**
   * ZFS targets: zpool health and errors line
   */
  'pool_state': (string);
  'problems': (string)[];
  /**
   * How the files were checked: "every file", or the sample and what the file system proved.
   */
  'method': (string);
}
