// Original file: proto/freezeframe/v1/agent.proto


export interface VolumeActivityRequest {
  /**
   * the volume (its entry, from Describe); empty: the node's only one
   */
  'entry'?: (string);
  /**
   * "lately": 1 to 3600, default 60
   */
  'recent_seconds'?: (number);
}

export interface VolumeActivityRequest__Output {
  /**
   * the volume (its entry, from Describe); empty: the node's only one
   */
  'entry': (string);
  /**
   * "lately": 1 to 3600, default 60
   */
  'recent_seconds': (number);
}
