// Original file: proto/freezeframe/v1/agent.proto


export interface NotStored {
  /**
   * relative to the receive folder, non-printable bytes escaped as rsync does (\#ooo)
   */
  'path'?: (string);
  /**
   * xattrs, acls, owners, times, permissions, hardlinks, specials, other
   */
  'class'?: (string);
  /**
   * the receiving rsync's line
   */
  'message'?: (string);
  /**
   * the receiver's config lists the class as unsupported on purpose
   */
  'allowed'?: (boolean);
}

export interface NotStored__Output {
  /**
   * relative to the receive folder, non-printable bytes escaped as rsync does (\#ooo)
   */
  'path': (string);
  /**
   * xattrs, acls, owners, times, permissions, hardlinks, specials, other
   */
  'class': (string);
  /**
   * the receiving rsync's line
   */
  'message': (string);
  /**
   * the receiver's config lists the class as unsupported on purpose
   */
  'allowed': (boolean);
}
