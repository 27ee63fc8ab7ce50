// Original file: proto/freezeframe/v1/agent.proto


export interface DescribeRequest {
  /**
   * Also answer what Health answers (DescribeResponse.health): preflight needs both, and one
   * round trip per node instead of two matters at hundreds of nodes. Agents before this field
   * ignore it and leave health unset; the director then calls Health.
   */
  'with_health'?: (boolean);
}

export interface DescribeRequest__Output {
  /**
   * Also answer what Health answers (DescribeResponse.health): preflight needs both, and one
   * round trip per node instead of two matters at hundreds of nodes. Agents before this field
   * ignore it and leave health unset; the director then calls Health.
   */
  'with_health': (boolean);
}
