// Original file: proto/freezeframe/v1/agent.proto


export interface HealthCheck {
  /**
   * rsync, run-dir, source-space, target-space, pool, docker, cassandra, services
   */
  'name'?: (string);
  'ok'?: (boolean);
  /**
   * when not ok: the same text as the entry in `problems` (or `warnings`)
   */
  'detail'?: (string);
  /**
   * An application's reachability (docker, cassandra): a backup needs it, a restore does not
   * (it stops the application anyway), so the director's restore preflight tolerates it.
   */
  'application'?: (boolean);
}

export interface HealthCheck__Output {
  /**
   * rsync, run-dir, source-space, target-space, pool, docker, cassandra, services
   */
  'name': (string);
  'ok': (boolean);
  /**
   * when not ok: the same text as the entry in `problems` (or `warnings`)
   */
  'detail': (string);
  /**
   * An application's reachability (docker, cassandra): a backup needs it, a restore does not
   * (it stops the application anyway), so the director's restore preflight tolerates it.
   */
  'application': (boolean);
}
