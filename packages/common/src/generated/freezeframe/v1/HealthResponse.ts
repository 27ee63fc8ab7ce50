// Original file: proto/freezeframe/v1/agent.proto

import type { HealthCheck as _freezeframe_v1_HealthCheck, HealthCheck__Output as _freezeframe_v1_HealthCheck__Output } from '../../freezeframe/v1/HealthCheck.js';
import type { ServiceState as _freezeframe_v1_ServiceState, ServiceState__Output as _freezeframe_v1_ServiceState__Output } from '../../freezeframe/v1/ServiceState.js';
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
  /**
   * each check made, passed or not (rsync, runDir, free space, pool, docker, cassandra)
   */
  'checks'?: (_freezeframe_v1_HealthCheck)[];
  /**
   * The configured services (`services:`) as they are now; action is "running", "not-running" or "gone".
   */
  'services'?: (_freezeframe_v1_ServiceState)[];
  /**
   * stopped by StopServices and not started again ("docker web")
   */
  'services_stopped'?: (string)[];
  /**
   * worth a look, never blocking (services left stopped, Cassandra stopped by freezeframe)
   */
  'warnings'?: (string)[];
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
  /**
   * each check made, passed or not (rsync, runDir, free space, pool, docker, cassandra)
   */
  'checks': (_freezeframe_v1_HealthCheck__Output)[];
  /**
   * The configured services (`services:`) as they are now; action is "running", "not-running" or "gone".
   */
  'services': (_freezeframe_v1_ServiceState__Output)[];
  /**
   * stopped by StopServices and not started again ("docker web")
   */
  'services_stopped': (string)[];
  /**
   * worth a look, never blocking (services left stopped, Cassandra stopped by freezeframe)
   */
  'warnings': (string)[];
}
