// Original file: proto/freezeframe/v1/agent.proto


export interface HealthRequest {
}

export interface HealthRequest__Output {
}
