// Original file: proto/freezeframe/v1/agent.proto


export interface StopServicesRequest {
}

export interface StopServicesRequest__Output {
}
