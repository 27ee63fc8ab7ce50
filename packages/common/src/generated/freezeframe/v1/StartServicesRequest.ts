// Original file: proto/freezeframe/v1/agent.proto


export interface StartServicesRequest {
}

export interface StartServicesRequest__Output {
}
