// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface HealthResponse {
  'name'?: (string);
  'version'?: (string);
  /**
   * "source", "freeze", "target"
   */
  'roles'?: (string)[];
  'ok'?: (boolean);
  /**
   * human-readable, each names what is wrong
   */
  'problems'?: (string)[];
  /**
   * backup id holding the target lock, if any
   */
  'target_locked_by'?: (string);
  /**
   * ISO time
   */
  'target_locked_since'?: (string);
  /**
   * for clock-skew checks
   */
  'time_unix_ms'?: (number | string | Long);
  /**
   * backup ids currently holding a freeze
   */
  'frozen'?: (string)[];
  /**
   * "backup", "restore", "cleanup", "verify" or "receive"
   */
  'target_lock_purpose'?: (string);
  /**
   * 0 when the lock has no lease (held while receiving)
   */
  'target_lock_expires_unix_ms'?: (number | string | Long);
}

export interface HealthResponse__Output {
  'name': (string);
  'version': (string);
  /**
   * "source", "freeze", "target"
   */
  'roles': (string)[];
  'ok': (boolean);
  /**
   * human-readable, each names what is wrong
   */
  'problems': (string)[];
  /**
   * backup id holding the target lock, if any
   */
  'target_locked_by': (string);
  /**
   * ISO time
   */
  'target_locked_since': (string);
  /**
   * for clock-skew checks
   */
  'time_unix_ms': (string);
  /**
   * backup ids currently holding a freeze
   */
  'frozen': (string)[];
  /**
   * "backup", "restore", "cleanup", "verify" or "receive"
   */
  'target_lock_purpose': (string);
  /**
   * 0 when the lock has no lease (held while receiving)
   */
  'target_lock_expires_unix_ms': (string);
}
