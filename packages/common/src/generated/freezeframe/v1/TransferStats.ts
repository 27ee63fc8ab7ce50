// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface TransferStats {
  'files_total'?: (number | string | Long);
  'files_transferred'?: (number | string | Long);
  /**
   * total size of the tree
   */
  'bytes_total'?: (number | string | Long);
  /**
   * literal data sent
   */
  'bytes_transferred'?: (number | string | Long);
  /**
   * on the wire
   */
  'bytes_sent'?: (number | string | Long);
  'duration_ms'?: (number | string | Long);
  'exit_code'?: (number);
  /**
   * files the second pass must compare by content (see PerformRsyncRequest)
   */
  'recheck_files'?: (number | string | Long);
  /**
   * files this pass recorded with their checksum (SentChecksums)
   */
  'sent_checksums'?: (number | string | Long);
  /**
   * deep: files sent because their content differed though size and mtime were equal
   */
  'content_only'?: (number | string | Long);
  /**
   * compare_left_out: files whose ACLs or xattrs (those SourceInfo.leave_out names) the stored copy did not match
   */
  'left_out_differed'?: (number | string | Long);
}

export interface TransferStats__Output {
  'files_total': (string);
  'files_transferred': (string);
  /**
   * total size of the tree
   */
  'bytes_total': (string);
  /**
   * literal data sent
   */
  'bytes_transferred': (string);
  /**
   * on the wire
   */
  'bytes_sent': (string);
  'duration_ms': (string);
  'exit_code': (number);
  /**
   * files the second pass must compare by content (see PerformRsyncRequest)
   */
  'recheck_files': (string);
  /**
   * files this pass recorded with their checksum (SentChecksums)
   */
  'sent_checksums': (string);
  /**
   * deep: files sent because their content differed though size and mtime were equal
   */
  'content_only': (string);
  /**
   * compare_left_out: files whose ACLs or xattrs (those SourceInfo.leave_out names) the stored copy did not match
   */
  'left_out_differed': (string);
}
