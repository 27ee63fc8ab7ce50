// Original file: proto/freezeframe/v1/agent.proto

import type { Manifest as _freezeframe_v1_Manifest, Manifest__Output as _freezeframe_v1_Manifest__Output } from '../../freezeframe/v1/Manifest.js';

export interface ZfsTagRequest {
  'backup_id'?: (string);
  'manifest'?: (_freezeframe_v1_Manifest | null);
  /**
   * entries that must be present (all-or-nothing)
   */
  'entries'?: (string)[];
  /**
   * Every entry must have a complete sender's list (AddSentChecksums with eof); without it the
   * tag compares the lists that did arrive.
   */
  'require_sent_checksums'?: (boolean);
}

export interface ZfsTagRequest__Output {
  'backup_id': (string);
  'manifest': (_freezeframe_v1_Manifest__Output | null);
  /**
   * entries that must be present (all-or-nothing)
   */
  'entries': (string)[];
  /**
   * Every entry must have a complete sender's list (AddSentChecksums with eof); without it the
   * tag compares the lists that did arrive.
   */
  'require_sent_checksums': (boolean);
}
