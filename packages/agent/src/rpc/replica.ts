import { FfError } from '@freezeframe/common';

/** Replication RPCs: the contract is in agent.proto; the agent does not implement them yet. */
export function replicaNotYet(): never {
  throw new FfError('FAILED_PRECONDITION', 'this agent cannot replicate yet');
}
