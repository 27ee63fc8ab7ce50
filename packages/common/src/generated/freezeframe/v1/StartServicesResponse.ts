// Original file: proto/freezeframe/v1/agent.proto

import type { ServiceState as _freezeframe_v1_ServiceState, ServiceState__Output as _freezeframe_v1_ServiceState__Output } from '../../freezeframe/v1/ServiceState.js';

export interface StartServicesResponse {
  'services'?: (_freezeframe_v1_ServiceState)[];
}

export interface StartServicesResponse__Output {
  'services': (_freezeframe_v1_ServiceState__Output)[];
}
