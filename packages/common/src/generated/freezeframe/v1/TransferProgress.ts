// Original file: proto/freezeframe/v1/agent.proto

import type { TransferStats as _freezeframe_v1_TransferStats, TransferStats__Output as _freezeframe_v1_TransferStats__Output } from '../../freezeframe/v1/TransferStats.js';
import type { Long } from '@grpc/proto-loader';

export interface TransferProgress {
  /**
   * bytes done so far (rsync's progress2 count)
   */
  'bytes'?: (number | string | Long);
  'percent'?: (number);
  /**
   * as rsync prints it, e.g. "12.34MB/s"
   */
  'rate'?: (string);
  'files_checked'?: (number | string | Long);
  /**
   * set on the last message only
   */
  'done'?: (_freezeframe_v1_TransferStats | null);
}

export interface TransferProgress__Output {
  /**
   * bytes done so far (rsync's progress2 count)
   */
  'bytes': (string);
  'percent': (number);
  /**
   * as rsync prints it, e.g. "12.34MB/s"
   */
  'rate': (string);
  'files_checked': (string);
  /**
   * set on the last message only
   */
  'done': (_freezeframe_v1_TransferStats__Output | null);
}
