// Original file: proto/freezeframe/v1/agent.proto


export interface UnlockTargetResponse {
  'unlocked'?: (boolean);
}

export interface UnlockTargetResponse__Output {
  'unlocked': (boolean);
}
