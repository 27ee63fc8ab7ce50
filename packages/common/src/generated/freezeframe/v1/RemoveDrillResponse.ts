// Original file: proto/freezeframe/v1/agent.proto


export interface RemoveDrillResponse {
  /**
   * folders deleted
   */
  'removed'?: (string)[];
}

export interface RemoveDrillResponse__Output {
  /**
   * folders deleted
   */
  'removed': (string)[];
}
