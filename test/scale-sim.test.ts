import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSION, loadInventory, newBackupId } from '@freezeframe/common';
import { runBackupUntilThaw } from '@freezeframe/director/engine/backup.js';
import { certsInit } from '@freezeframe/director/engine/certs.js';
import { withDeployment } from '@freezeframe/director/engine/core/deployment.js';
import { newRunRecord } from '@freezeframe/director/engine/core/records.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimNodes, writeSimInventory, type SimNodes } from '../bench/lib/sim-nodes.mjs';
import { claim } from './support/claim.js';

await claim();

// The scale harness of `pnpm bench` (bench/lib/sim-nodes.mjs) in a small form: 50 simulated
// nodes in 2 processes, each a gRPC server with mutual TLS, its own certificate from a
// freezeframe CA and its own loopback address; the director's real backup phases up to thaw
// against them. Not timed: it proves the harness measures the real path.
const COUNT = 50;
/** Nodes answering as agents from before DescribeRequest.with_health. */
const LEGACY = [7, 31];
let root: string;
let sim: SimNodes | undefined;

describe('scale harness: the director against 50 simulated nodes', () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-scale-sim-'));
    await certsInit(join(root, 'pki'));
    sim = await startSimNodes({ pkiDir: join(root, 'pki'), count: COUNT, processes: 2, legacy: LEGACY });
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('runs preflight, freeze, snapshot and thaw on every node on one connection each, each node freezing before it thaws', async () => {
    const nodes = sim!.nodes;
    expect(nodes).toHaveLength(COUNT);
    expect(new Set(nodes.map((n) => n.address.replace(/:\d+$/, ''))).size).toBe(COUNT);
    const inv = loadInventory(writeSimInventory(join(root, 'inventory.yaml'), { pkiDir: join(root, 'pki'), nodes, stateDir: join(root, 'state') }));
    const backupId = newBackupId(new Date(), 'sim');
    const record = newRunRecord('backup', backupId, backupId, inv.deployment);
    await withDeployment(inv, ({ nodes: clients }) =>
      runBackupUntilThaw(clients, { deployment: inv.deployment, backupId, leaseMs: inv.freeze.lease, concurrency: 4, directorVersion: VERSION, record }),
    );
    expect(record.result).toBe('ok');
    expect(record.phases.map((p) => [p.phase, p.ok])).toEqual([
      ['preflight', true],
      ['freeze', true],
      ['snapshot', true],
      ['thaw', true],
      ['release', true],
    ]);
    expect(Object.keys(record.phases.find((p) => p.phase === 'thaw')!.nodes).sort()).toEqual(nodes.filter((n) => n.role === 'source').map((n) => n.name).sort());
    expect(record.freezeWindow?.hosts).toHaveLength(COUNT - 1);

    const calls = await sim!.calls();
    for (const [i, n] of nodes.entries()) {
      const c = calls[n.name]!;
      if (n.role === 'target') {
        expect(c, n.name).toEqual(['Describe', 'LockTarget', 'ListBackups', 'Cleanup', 'UnlockTarget']);
        continue;
      }
      // one round trip in preflight; an older agent that ignores with_health is asked Health after it
      const preflight = LEGACY.includes(i) ? ['Describe', 'Health'] : ['Describe'];
      expect(c, n.name).toEqual([...preflight, 'Cleanup', 'Freeze', 'PrepareSnapshot', 'Thaw', 'RemoveSnapshot']);
    }
    // one connection per node for the whole run: every call of a node came from one client address
    const peers = await sim!.peers();
    for (const n of nodes) expect(peers[n.name], n.name).toHaveLength(1);
  });
});
