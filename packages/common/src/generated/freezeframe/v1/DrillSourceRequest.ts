// Original file: proto/freezeframe/v1/agent.proto


export interface DrillSourceRequest {
  'backup_id'?: (string);
  /**
   * from OpenDrill
   */
  'ticket'?: (string);
  'receiver_name'?: (string);
  'receiver_host'?: (string);
  'receiver_data_port'?: (number);
  'inplace'?: (boolean);
  /**
   * Send only about this share of the recorded files (0 < percent < 100, at least one file),
   * chosen by sample_seed; 0: every entry whole.
   */
  'sample_percent'?: (number | string);
  /**
   * 16 to 64 lower-case hex characters
   */
  'sample_seed'?: (string);
  /**
   * from OpenDrill's answer (OpenReceiveResponse.native)
   */
  'receiver_native'?: (boolean);
}

export interface DrillSourceRequest__Output {
  'backup_id': (string);
  /**
   * from OpenDrill
   */
  'ticket': (string);
  'receiver_name': (string);
  'receiver_host': (string);
  'receiver_data_port': (number);
  'inplace': (boolean);
  /**
   * Send only about this share of the recorded files (0 < percent < 100, at least one file),
   * chosen by sample_seed; 0: every entry whole.
   */
  'sample_percent': (number);
  /**
   * 16 to 64 lower-case hex characters
   */
  'sample_seed': (string);
  /**
   * from OpenDrill's answer (OpenReceiveResponse.native)
   */
  'receiver_native': (boolean);
}
