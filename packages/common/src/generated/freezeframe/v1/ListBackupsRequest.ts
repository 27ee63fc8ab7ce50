// Original file: proto/freezeframe/v1/agent.proto


export interface ListBackupsRequest {
}

export interface ListBackupsRequest__Output {
}
