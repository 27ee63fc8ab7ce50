import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FfError } from '@freezeframe/common';
import { connectionCause, connectionFailure } from './agent-client.js';
import { openInventory } from './inventory.js';
import { lowSpaceMessage, withReceiverCause } from './receiver-cause.js';
import { findTarget } from './deployment.js';
import { resolveBackup } from './resolve-backup.js';
import type { AgentNode, BackupListing, NodeDescription } from './types.js';

// Messages and lookups a newcomer meets first: `latest`, a node that is down, a wrong
// certificate name, a wrong inventory path, a full target.

const dir = mkdtempSync(join(tmpdir(), 'ff-newcomer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const backup = (id: string, complete = true): BackupListing => ({ id, createdMs: 0, entries: [], usedBytes: 0, manifest: undefined, complete });

function fakeNode(name: string, roles: NodeDescription['roles'], down?: FfError): AgentNode {
  return {
    name,
    host: name,
    async describe() {
      if (down) throw down;
      return { name, version: '0.1.0', roles, dataPort: 1, rsyncVersion: '3', ...(roles.includes('target') ? { target: { kind: 'dir', freeBytes: 1e9 } } : {}) };
    },
  } as unknown as AgentNode;
}

describe('latest', () => {
  it('is the newest complete backup, for every command', () => {
    const list = [backup('20260101_010000'), backup('20260103_010000', false), backup('20260102_010000')];
    expect(resolveBackup(list, 'latest', 'tgt').id).toBe('20260102_010000');
    expect(resolveBackup(list, '20260101_010000', 'tgt').id).toBe('20260101_010000');
    expect(() => resolveBackup([], 'latest', 'tgt')).toThrow(/tgt: there is no complete backup yet/);
    expect(() => resolveBackup(list, '20990101_000000', 'tgt')).toThrow(/tgt: no backup 20990101_000000/);
  });
});

describe('target-only commands', () => {
  it('find the target when another node is down, and name that node', async () => {
    const down = new FfError('UNAVAILABLE', 'src-2: 127.0.0.1:9 refused the connection: is freezeframe-agent running there?', { node: 'src-2' });
    const r = await findTarget([fakeNode('tgt', ['target']), fakeNode('src-1', ['source']), fakeNode('src-2', ['source'], down)]);
    expect(r.target.name).toBe('tgt');
    expect(r.warnings).toEqual([expect.stringContaining('src-2: 127.0.0.1:9 refused the connection')]);
  });

  it('fail, naming the nodes down, when no answering node is the target', async () => {
    const down = new FfError('UNAVAILABLE', 'tgt: 127.0.0.1:9 refused the connection: is freezeframe-agent running there?', { node: 'tgt' });
    await expect(findTarget([fakeNode('tgt', ['target'], down), fakeNode('src-1', ['source'])])).rejects.toThrow(/no reachable node has the target role:\n {2}tgt: 127.0.0.1:9 refused/);
  });
});

describe('connection failures', () => {
  // grpc-js 1.14's texts, as recorded
  const refused = 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7450 (2026-01-01T03:00:00.000Z). Resolution note: ';
  const altname =
    "No connection established. Last error: Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: db-1. is not in the cert's altnames: DNS:tgt, DNS:localhost, IP Address:127.0.0.1 (2026-01-01T03:00:00.000Z). Resolution note: ";

  it('strip grpc-js boilerplate and the empty resolution note', () => {
    expect(connectionCause(refused)).toBe('connect ECONNREFUSED 127.0.0.1:7450');
  });

  it('say a stopped agent refused the connection, naming node and address', () => {
    const f = connectionFailure('db-1', '10.0.0.2:7450', refused)!;
    expect(f.message).toBe('db-1: 10.0.0.2:7450 refused the connection: is freezeframe-agent running there?');
    expect(f.message).not.toContain('Resolution note');
    expect(f.hint).toContain('start freezeframe-agent on db-1');
  });

  it('say which name a wrong certificate was issued for', () => {
    const f = connectionFailure('db-1', '10.0.0.2:7450', altname)!;
    expect(f.message).toBe("db-1: the agent at 10.0.0.2:7450 presented a certificate for 'tgt', not for 'db-1': the inventory's name or the certificate is wrong");
    expect(f.hint).toContain('freezeframe certs issue --name db-1');
  });

  it("say so for the director's own identity check too", () => {
    const own = "No connection established. Last error: Error: certificate names 'tgt', expected node 'db-1' (2026-01-01T03:00:00.000Z). Resolution note: ";
    expect(connectionFailure('db-1', '10.0.0.2:7450', own)!.message).toContain("presented a certificate for 'tgt', not for 'db-1'");
  });

  it('leave other errors alone', () => {
    expect(connectionFailure('db-1', '10.0.0.2:7450', 'snapshot failed')).toBeUndefined();
  });
});

describe('inventory path', () => {
  it('a missing file is named, with where the name came from and what to do', () => {
    const file = join(dir, 'nope.yaml');
    const fromFlag = (() => {
      try {
        openInventory(file, undefined);
      } catch (e) {
        return e as FfError;
      }
    })()!;
    expect(fromFlag.code).toBe('CONFIG_INVALID');
    expect(fromFlag.message).toBe(`inventory ${file} (from -i) does not exist`);
    expect(fromFlag.hint).toContain('pass -i FILE or set FREEZEFRAME_INVENTORY');
    expect(() => openInventory(undefined, file)).toThrow(`inventory ${file} (from FREEZEFRAME_INVENTORY) does not exist`);
    expect(() => openInventory(undefined, file)).not.toThrow(/ENOENT/);
  });
});

describe('too little space', () => {
  it('says free and needed in binary units and where the threshold comes from', () => {
    const m = lowSpaceMessage('tgt', 'target', 12 * 1024 * 1024);
    expect(m.message).toBe("tgt: target has 12.0 MiB free, needs at least 64.0 MiB (the agent's fixed minimum free space, checked by its health check and by preflight)");
    expect(m.hint).toContain('freezeframe prune');
  });

  it('after a failed transfer, a nearly full target is named as the likely cause in those words', async () => {
    const receiver = {
      name: 'tgt',
      async describe() {
        return { name: 'tgt', version: '0.1.0', roles: ['target'], dataPort: 1, rsyncVersion: '3', target: { kind: 'dir', freeBytes: 1_000_000 } };
      },
    } as unknown as AgentNode;
    const e = await withReceiverCause(new FfError('TRANSFER_FAILED', 'src-1: rsync exited 11', { node: 'src-1' }), receiver, { backupId: 'b', source: 'src-1', direction: 'backup', checkTargetSpace: true });
    expect(e.message).toContain('tgt: target has 976.6 KiB free, needs at least 64.0 MiB');
    expect(e.message).not.toMatch(/\d{6,} bytes/);
  });
});
