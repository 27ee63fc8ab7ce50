import { describe, expect, it } from 'vitest';
import { healthAndDescription } from './deployment.js';
import type { AgentNode, NodeDescription, NodeHealth } from './types.js';

const health: NodeHealth = { name: 'n1', version: '1', roles: ['source'], ok: true, problems: [], timeUnixMs: 1, frozen: [] };
const desc: NodeDescription = { name: 'n1', version: '1', roles: ['source'], dataPort: 7444, rsyncVersion: '3.2.7', features: [] };

/** A node that counts its calls; `oneTrip` gives it describeWithHealth. */
function node(oneTrip: boolean): { node: AgentNode; calls: string[] } {
  const calls: string[] = [];
  const n = {
    name: 'n1',
    host: '127.0.0.1',
    health: async () => (calls.push('health'), health),
    describe: async () => (calls.push('describe'), desc),
    ...(oneTrip ? { describeWithHealth: async () => (calls.push('describeWithHealth'), { health, desc }) } : {}),
  } as unknown as AgentNode;
  return { node: n, calls };
}

describe('healthAndDescription (preflight and `health`)', () => {
  it('asks once when the client can carry both answers in one round trip', async () => {
    const { node: n, calls } = node(true);
    expect(await healthAndDescription(n)).toEqual({ health, desc });
    expect(calls).toEqual(['describeWithHealth']);
  });

  it('falls back to Health and Describe for a client without it', async () => {
    const { node: n, calls } = node(false);
    expect(await healthAndDescription(n)).toEqual({ health, desc });
    expect(calls.sort()).toEqual(['describe', 'health']);
  });
});
