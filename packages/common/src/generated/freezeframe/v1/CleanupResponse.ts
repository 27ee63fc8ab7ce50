// Original file: proto/freezeframe/v1/agent.proto


export interface CleanupResponse {
  /**
   * e.g. "snapshot 20220906_082043", "freeze 20220906_082043"
   */
  'removed'?: (string)[];
  /**
   * what could not be removed, and why
   */
  'problems'?: (string)[];
}

export interface CleanupResponse__Output {
  /**
   * e.g. "snapshot 20220906_082043", "freeze 20220906_082043"
   */
  'removed': (string)[];
  /**
   * what could not be removed, and why
   */
  'problems': (string)[];
}
