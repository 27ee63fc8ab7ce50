#!/usr/bin/env node
// One real agent (dir source, freeze none) and the director's own client on one channel:
// the agent's CPU per call for Freeze + Thaw pairs, or for Describe with health (preflight's one
// call), 3 rounds.   node bench/tools/agent-calls.mjs [calls=1000] [freeze|describe]
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentPid, closeAll, connectInventory, makeCerts, startAgents, writeInventory } from '../lib/agents.mjs';
import { procCpuMs, undoList } from '../lib/util.mjs';

const n = Number(process.argv[2] ?? 1000);
const which = process.argv[3] ?? 'freeze';
if (!['freeze', 'describe'].includes(which)) throw new Error(`unknown call ${which}: freeze or describe`);
const root = mkdtempSync(join(tmpdir(), 'ff-agent-calls-'));
const pki = join(root, 'pki');
await makeCerts(pki, ['n1']);
mkdirSync(join(root, 'data'));
const cleanup = undoList();
try {
  const agents = await startAgents(root, pki, [{ name: 'n1', extra: { source: { kind: 'dir', volume: join(root, 'data') }, freeze: { kind: 'none' } } }], cleanup);
  const { inv } = writeInventory(root, pki, agents);
  const [node] = connectInventory(inv);
  const cpuMs = () => procCpuMs(agentPid(agents[0])).own;
  await node.describe();
  for (let round = 0; round < 3; round++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    const calls = which === 'freeze' ? 2 * n : n;
    for (let i = 0; i < n; i++) {
      if (which === 'describe') {
        await node.describeWithHealth();
        continue;
      }
      await node.freeze('20260101_000000-calls', 60_000);
      await node.thaw('20260101_000000-calls');
    }
    console.log(`${which}: agent CPU per call ${((cpuMs() - c0) / calls).toFixed(3)} ms, wall per call ${((performance.now() - t0) / calls).toFixed(3)} ms`);
  }
  closeAll([node]);
} finally {
  await cleanup.run();
  rmSync(root, { recursive: true, force: true });
}
