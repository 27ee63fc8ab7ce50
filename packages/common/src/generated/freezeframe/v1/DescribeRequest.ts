// Original file: proto/freezeframe/v1/agent.proto


export interface DescribeRequest {
}

export interface DescribeRequest__Output {
}
