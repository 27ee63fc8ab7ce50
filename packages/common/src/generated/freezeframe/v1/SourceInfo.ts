// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface SourceInfo {
  'kind'?: (string);
  /**
   * as configured, for the entry name
   */
  'volume'?: (string);
  /**
   * "<name>@+<volume>"
   */
  'entry'?: (string);
  /**
   * false for "dir": consistency needs the freeze held
   */
  'point_in_time'?: (boolean);
  'free_bytes'?: (number | string | Long);
  /**
   * the volume's name under `sources:`; empty for `source:`
   */
  'name'?: (string);
  /**
   * What this volume's backups leave out (its config's leaveOut: "acls", "xattrs"): the sender
   * compares them only when PerformRsyncRequest.compare_left_out says so.
   */
  'leave_out'?: (string)[];
}

export interface SourceInfo__Output {
  'kind': (string);
  /**
   * as configured, for the entry name
   */
  'volume': (string);
  /**
   * "<name>@+<volume>"
   */
  'entry': (string);
  /**
   * false for "dir": consistency needs the freeze held
   */
  'point_in_time': (boolean);
  'free_bytes': (string);
  /**
   * the volume's name under `sources:`; empty for `source:`
   */
  'name': (string);
  /**
   * What this volume's backups leave out (its config's leaveOut: "acls", "xattrs"): the sender
   * compares them only when PerformRsyncRequest.compare_left_out says so.
   */
  'leave_out': (string)[];
}
