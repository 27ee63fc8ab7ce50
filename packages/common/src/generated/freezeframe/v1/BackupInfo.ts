// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface BackupInfo {
  'backup_id'?: (string);
  'created_unix_ms'?: (number | string | Long);
  'entries'?: (string)[];
  'used_bytes'?: (number | string | Long);
  'manifest_json'?: (string);
  'complete'?: (boolean);
}

export interface BackupInfo__Output {
  'backup_id': (string);
  'created_unix_ms': (string);
  'entries': (string)[];
  'used_bytes': (string);
  'manifest_json': (string);
  'complete': (boolean);
}
