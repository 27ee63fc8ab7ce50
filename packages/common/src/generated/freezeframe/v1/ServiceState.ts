// Original file: proto/freezeframe/v1/agent.proto


export interface ServiceState {
  /**
   * "docker" or "unit"
   */
  'kind'?: (string);
  'name'?: (string);
  /**
   * container id for docker
   */
  'id'?: (string);
  /**
   * stopped, started, not-running, already-running, gone
   */
  'action'?: (string);
}

export interface ServiceState__Output {
  /**
   * "docker" or "unit"
   */
  'kind': (string);
  'name': (string);
  /**
   * container id for docker
   */
  'id': (string);
  /**
   * stopped, started, not-running, already-running, gone
   */
  'action': (string);
}
