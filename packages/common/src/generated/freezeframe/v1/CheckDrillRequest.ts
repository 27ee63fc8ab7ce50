// Original file: proto/freezeframe/v1/agent.proto


export interface CheckDrillRequest {
  'drill_id'?: (string);
  'dir'?: (string);
  'backup_id'?: (string);
  /**
   * the same sample as DrillSource's
   */
  'sample_percent'?: (number | string);
  'sample_seed'?: (string);
}

export interface CheckDrillRequest__Output {
  'drill_id': (string);
  'dir': (string);
  'backup_id': (string);
  /**
   * the same sample as DrillSource's
   */
  'sample_percent': (number);
  'sample_seed': (string);
}
