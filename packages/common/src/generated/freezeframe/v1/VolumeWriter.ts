// Original file: proto/freezeframe/v1/agent.proto


export interface VolumeWriter {
  'pid'?: (number);
  /**
   * proc/<pid>/comm, as the process set it
   */
  'command'?: (string);
  'uid'?: (number);
  /**
   * its descriptors open for writing under the volume
   */
  'files'?: (number);
}

export interface VolumeWriter__Output {
  'pid': (number);
  /**
   * proc/<pid>/comm, as the process set it
   */
  'command': (string);
  'uid': (number);
  /**
   * its descriptors open for writing under the volume
   */
  'files': (number);
}
