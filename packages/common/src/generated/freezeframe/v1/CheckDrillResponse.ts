// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface CheckDrillResponse {
  /**
   * every expected file present with its recorded size and checksum, nothing extra, no problem
   */
  'ok'?: (boolean);
  /**
   * files in the backup's checksum record
   */
  'files_recorded'?: (number | string | Long);
  /**
   * of those, the ones this drill restored (all, or the sample)
   */
  'files_expected'?: (number | string | Long);
  /**
   * expected files found and hashed
   */
  'files_checked'?: (number | string | Long);
  'bytes_checked'?: (number | string | Long);
  /**
   * Each list is cut at 100 names (escaped as in the checksum record); the totals count them all.
   */
  'different'?: (string)[];
  /**
   * recorded (and expected) but not restored as a regular file
   */
  'missing'?: (string)[];
  /**
   * restored regular files the record does not list
   */
  'extra'?: (string)[];
  'different_total'?: (number | string | Long);
  'missing_total'?: (number | string | Long);
  'extra_total'?: (number | string | Long);
  /**
   * e.g. no checksum record
   */
  'problems'?: (string)[];
  'duration_ms'?: (number | string | Long);
  /**
   * entries found in the drill's folder
   */
  'entries'?: (string)[];
}

export interface CheckDrillResponse__Output {
  /**
   * every expected file present with its recorded size and checksum, nothing extra, no problem
   */
  'ok': (boolean);
  /**
   * files in the backup's checksum record
   */
  'files_recorded': (string);
  /**
   * of those, the ones this drill restored (all, or the sample)
   */
  'files_expected': (string);
  /**
   * expected files found and hashed
   */
  'files_checked': (string);
  'bytes_checked': (string);
  /**
   * Each list is cut at 100 names (escaped as in the checksum record); the totals count them all.
   */
  'different': (string)[];
  /**
   * recorded (and expected) but not restored as a regular file
   */
  'missing': (string)[];
  /**
   * restored regular files the record does not list
   */
  'extra': (string)[];
  'different_total': (string);
  'missing_total': (string);
  'extra_total': (string);
  /**
   * e.g. no checksum record
   */
  'problems': (string)[];
  'duration_ms': (string);
  /**
   * entries found in the drill's folder
   */
  'entries': (string)[];
}
