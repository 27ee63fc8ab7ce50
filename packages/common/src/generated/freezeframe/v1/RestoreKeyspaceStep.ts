// Original file: proto/freezeframe/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface RestoreKeyspaceStep {
  /**
   * check, drain, stop, clear-commitlog, delete, place, start, wait, repair, cleanup
   */
  'step'?: (string);
  'keyspace'?: (string);
  'table'?: (string);
  'detail'?: (string);
  'files'?: (number | string | Long);
  'bytes'?: (number | string | Long);
  'duration_ms'?: (number | string | Long);
  /**
   * set on the last message only
   */
  'done'?: (boolean);
}

export interface RestoreKeyspaceStep__Output {
  /**
   * check, drain, stop, clear-commitlog, delete, place, start, wait, repair, cleanup
   */
  'step': (string);
  'keyspace': (string);
  'table': (string);
  'detail': (string);
  'files': (string);
  'bytes': (string);
  'duration_ms': (string);
  /**
   * set on the last message only
   */
  'done': (boolean);
}
