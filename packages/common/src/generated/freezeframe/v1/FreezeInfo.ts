// Original file: proto/freezeframe/v1/agent.proto


export interface FreezeInfo {
  'kind'?: (string);
}

export interface FreezeInfo__Output {
  'kind': (string);
}
