// Original file: proto/freezeframe/v1/agent.proto


export interface UnlockTargetRequest {
  'backup_id'?: (string);
  'holder'?: (string);
}

export interface UnlockTargetRequest__Output {
  'backup_id': (string);
  'holder': (string);
}
