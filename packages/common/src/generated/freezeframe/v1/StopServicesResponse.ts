// Original file: proto/freezeframe/v1/agent.proto

import type { ServiceState as _freezeframe_v1_ServiceState, ServiceState__Output as _freezeframe_v1_ServiceState__Output } from '../../freezeframe/v1/ServiceState.js';
import type { Long } from '@grpc/proto-loader';

export interface StopServicesResponse {
  'services'?: (_freezeframe_v1_ServiceState)[];
  'recorded_unix_ms'?: (number | string | Long);
}

export interface StopServicesResponse__Output {
  'services': (_freezeframe_v1_ServiceState__Output)[];
  'recorded_unix_ms': (string);
}
