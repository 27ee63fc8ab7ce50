// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface LockTargetRequest {
  'backup_id'?: (string);
  'lease_ms'?: (number | string | Long);
  /**
   * "backup", "restore", "cleanup", "verify"
   */
  'purpose'?: (string);
  /**
   * the run holding it (director host, pid, random), renewals match on it
   */
  'holder'?: (string);
  /**
   * a resumed run may take over the lock of its own backup id
   */
  'takeover'?: (boolean);
}

export interface LockTargetRequest__Output {
  'backup_id': (string);
  'lease_ms': (string);
  /**
   * "backup", "restore", "cleanup", "verify"
   */
  'purpose': (string);
  /**
   * the run holding it (director host, pid, random), renewals match on it
   */
  'holder': (string);
  /**
   * a resumed run may take over the lock of its own backup id
   */
  'takeover': (boolean);
}
