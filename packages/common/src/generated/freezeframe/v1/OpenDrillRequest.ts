// Original file: proto/freezeframe/v1/agent.proto


export interface OpenDrillRequest {
  /**
   * drill_YYYYMMDD_HHMMSS: the folder made in dir
   */
  'drill_id'?: (string);
  /**
   * the inventory's drill.dir; checked against the agent's restoreDirs
   */
  'dir'?: (string);
  'backup_id'?: (string);
  /**
   * certificate identity of the target that will send
   */
  'peer'?: (string);
}

export interface OpenDrillRequest__Output {
  /**
   * drill_YYYYMMDD_HHMMSS: the folder made in dir
   */
  'drill_id': (string);
  /**
   * the inventory's drill.dir; checked against the agent's restoreDirs
   */
  'dir': (string);
  'backup_id': (string);
  /**
   * certificate identity of the target that will send
   */
  'peer': (string);
}
