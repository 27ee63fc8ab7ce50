// Original file: proto/freezeframe/v1/agent.proto

import type { SourceInfo as _freezeframe_v1_SourceInfo, SourceInfo__Output as _freezeframe_v1_SourceInfo__Output } from '../../freezeframe/v1/SourceInfo.js';
import type { FreezeInfo as _freezeframe_v1_FreezeInfo, FreezeInfo__Output as _freezeframe_v1_FreezeInfo__Output } from '../../freezeframe/v1/FreezeInfo.js';
import type { TargetInfo as _freezeframe_v1_TargetInfo, TargetInfo__Output as _freezeframe_v1_TargetInfo__Output } from '../../freezeframe/v1/TargetInfo.js';
import type { ReceiveFailure as _freezeframe_v1_ReceiveFailure, ReceiveFailure__Output as _freezeframe_v1_ReceiveFailure__Output } from '../../freezeframe/v1/ReceiveFailure.js';
import type { HealthResponse as _freezeframe_v1_HealthResponse, HealthResponse__Output as _freezeframe_v1_HealthResponse__Output } from '../../freezeframe/v1/HealthResponse.js';

export interface DescribeResponse {
  'name'?: (string);
  'version'?: (string);
  'roles'?: (string)[];
  'source'?: (_freezeframe_v1_SourceInfo | null);
  'freeze'?: (_freezeframe_v1_FreezeInfo | null);
  'target'?: (_freezeframe_v1_TargetInfo | null);
  /**
   * the data channel's TLS port
   */
  'data_port'?: (number);
  'rsync_version'?: (string);
  /**
   * this node's receiving rsync failures of the last hour, newest last: the sender only sees
   * a broken pipe, the cause (e.g. no space left) is in the receiver's stderr
   */
  'receive_failures'?: (_freezeframe_v1_ReceiveFailure)[];
  /**
   * Every source volume of the node (`source:` gives one, `sources:` several); `source` is the first.
   */
  'sources'?: (_freezeframe_v1_SourceInfo)[];
  /**
   * Request fields this agent acts on beyond the first protocol, so that a director never sends one
   * to an agent that would ignore it (and restore a whole volume, or into the live one):
   * "restore-paths" (RestoreSource.paths), "restore-to-dir" (OpenReceive.to_dir, restore_id),
   * "restore-into-entry" (OpenReceive.into_entry).
   */
  'features'?: (string)[];
  /**
   * Set when the request asked with_health: the node's Health answer, taken at the same time.
   */
  'health'?: (_freezeframe_v1_HealthResponse | null);
}

export interface DescribeResponse__Output {
  'name': (string);
  'version': (string);
  'roles': (string)[];
  'source': (_freezeframe_v1_SourceInfo__Output | null);
  'freeze': (_freezeframe_v1_FreezeInfo__Output | null);
  'target': (_freezeframe_v1_TargetInfo__Output | null);
  /**
   * the data channel's TLS port
   */
  'data_port': (number);
  'rsync_version': (string);
  /**
   * this node's receiving rsync failures of the last hour, newest last: the sender only sees
   * a broken pipe, the cause (e.g. no space left) is in the receiver's stderr
   */
  'receive_failures': (_freezeframe_v1_ReceiveFailure__Output)[];
  /**
   * Every source volume of the node (`source:` gives one, `sources:` several); `source` is the first.
   */
  'sources': (_freezeframe_v1_SourceInfo__Output)[];
  /**
   * Request fields this agent acts on beyond the first protocol, so that a director never sends one
   * to an agent that would ignore it (and restore a whole volume, or into the live one):
   * "restore-paths" (RestoreSource.paths), "restore-to-dir" (OpenReceive.to_dir, restore_id),
   * "restore-into-entry" (OpenReceive.into_entry).
   */
  'features': (string)[];
  /**
   * Set when the request asked with_health: the node's Health answer, taken at the same time.
   */
  'health': (_freezeframe_v1_HealthResponse__Output | null);
}
