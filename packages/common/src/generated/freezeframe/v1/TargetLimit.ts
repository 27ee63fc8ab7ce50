// Original file: proto/freezeframe/v1/agent.proto


export interface TargetLimit {
  /**
   * xattrs, acls, owners, times, hardlinks, sparse, mtime-ns
   */
  'class'?: (string);
  'detail'?: (string);
  /**
   * listed in the target's target.unsupported
   */
  'allowed'?: (boolean);
}

export interface TargetLimit__Output {
  /**
   * xattrs, acls, owners, times, hardlinks, sparse, mtime-ns
   */
  'class': (string);
  'detail': (string);
  /**
   * listed in the target's target.unsupported
   */
  'allowed': (boolean);
}
