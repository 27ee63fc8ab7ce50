// Original file: proto/freezeframe/v1/agent.proto

import type { NotStored as _freezeframe_v1_NotStored, NotStored__Output as _freezeframe_v1_NotStored__Output } from '../../freezeframe/v1/NotStored.js';
import type { Long } from '@grpc/proto-loader';

export interface ReceiveResultResponse {
  /**
   * "done", "running" (still after wait_ms), "unused" (never presented), "unknown"
   */
  'state'?: (string);
  /**
   * the receiving rsync's exit status (state "done")
   */
  'exit_code'?: (number);
  /**
   * exit 0, or only allowed classes not stored
   */
  'ok'?: (boolean);
  /**
   * the exit and the last stderr lines when not ok
   */
  'message'?: (string);
  'not_stored'?: (_freezeframe_v1_NotStored)[];
  /**
   * not_stored is cut at 200 entries
   */
  'not_stored_total'?: (number | string | Long);
}

export interface ReceiveResultResponse__Output {
  /**
   * "done", "running" (still after wait_ms), "unused" (never presented), "unknown"
   */
  'state': (string);
  /**
   * the receiving rsync's exit status (state "done")
   */
  'exit_code': (number);
  /**
   * exit 0, or only allowed classes not stored
   */
  'ok': (boolean);
  /**
   * the exit and the last stderr lines when not ok
   */
  'message': (string);
  'not_stored': (_freezeframe_v1_NotStored__Output)[];
  /**
   * not_stored is cut at 200 entries
   */
  'not_stored_total': (string);
}
