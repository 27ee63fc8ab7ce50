// Original file: proto/freezeframe/v1/agent.proto


export interface Manifest {
  'backup_id'?: (string);
  'deployment'?: (string);
  /**
   * the full manifest (sources, bytes, files, durations, versions)
   */
  'json'?: (string);
}

export interface Manifest__Output {
  'backup_id': (string);
  'deployment': (string);
  /**
   * the full manifest (sources, bytes, files, durations, versions)
   */
  'json': (string);
}
