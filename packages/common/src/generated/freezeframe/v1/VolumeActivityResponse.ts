// Original file: proto/freezeframe/v1/agent.proto

import type { VolumeWriter as _freezeframe_v1_VolumeWriter, VolumeWriter__Output as _freezeframe_v1_VolumeWriter__Output } from '../../freezeframe/v1/VolumeWriter.js';
import type { Long } from '@grpc/proto-loader';

export interface VolumeActivityResponse {
  /**
   * the live folder a restore writes into
   */
  'path'?: (string);
  /**
   * at most 20; writers_total counts them all
   */
  'writers'?: (_freezeframe_v1_VolumeWriter)[];
  'writers_total'?: (number);
  /**
   * files and folders whose ctime is within recent_seconds
   */
  'recently_changed'?: (number | string | Long);
  /**
   * false: the walk did not finish in time (recently_changed is 0)
   */
  'changed_counted'?: (boolean);
}

export interface VolumeActivityResponse__Output {
  /**
   * the live folder a restore writes into
   */
  'path': (string);
  /**
   * at most 20; writers_total counts them all
   */
  'writers': (_freezeframe_v1_VolumeWriter__Output)[];
  'writers_total': (number);
  /**
   * files and folders whose ctime is within recent_seconds
   */
  'recently_changed': (string);
  /**
   * false: the walk did not finish in time (recently_changed is 0)
   */
  'changed_counted': (boolean);
}
