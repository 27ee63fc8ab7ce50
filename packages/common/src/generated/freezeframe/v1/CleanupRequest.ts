// Original file: proto/freezeframe/v1/agent.proto


export interface CleanupRequest {
  /**
   * backup ids whose state must stay (the running one)
   */
  'keep'?: (string)[];
  'dry_run'?: (boolean);
}

export interface CleanupRequest__Output {
  /**
   * backup ids whose state must stay (the running one)
   */
  'keep': (string)[];
  'dry_run': (boolean);
}
