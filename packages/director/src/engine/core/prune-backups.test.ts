import { describe, expect, it } from 'vitest';
import { FfError } from '@freezeframe/common';
import { pruneBackups } from './retention.js';
import type { AgentNode, BackupListing } from './types.js';

/** A target holding `ids` in memory; deleteBackup removes them (or fails for `refuse`). */
function target(list: BackupListing[], refuse = new Set<string>()) {
  const deleted: string[] = [];
  const node = {
    name: 'tgt',
    async listBackups() {
      return list.filter((b) => !deleted.includes(b.id));
    },
    async deleteBackup(id: string) {
      if (refuse.has(id)) throw new FfError('FAILED_PRECONDITION', `tgt: backup ${id} is activated`, { node: 'tgt' });
      deleted.push(id);
      return true;
    },
  } as unknown as AgentNode;
  return { node, deleted };
}

const b = (id: string, over: Partial<BackupListing> = {}): BackupListing => ({ id, createdMs: 0, entries: ['a@+data'], usedBytes: 100, manifest: { deployment: 'uat' }, complete: true, ...over });
const policy = { last: 2, daily: 0, weekly: 0, monthly: 0 };
const ids = ['20240101_000000', '20240102_000000', '20240103_000000', '20240104_000000'];

describe('pruneBackups', () => {
  it('deletes what the policy does not keep, oldest first, and says why', async () => {
    const t = target(ids.map((id) => b(id)));
    const r = await pruneBackups(t.node, { policy, deployment: 'uat' });
    expect(t.deleted).toEqual(['20240101_000000', '20240102_000000']);
    expect(r.pruned.map((p) => p.id)).toEqual(t.deleted);
    expect(r.pruned[0]!.why).toBe('not among the newest 2; no daily backups kept; no weekly backups kept; no monthly backups kept');
    expect(r.kept.map((k) => k.id)).toEqual(['20240104_000000', '20240103_000000']);
    // a second run finds nothing more
    const again = await pruneBackups(t.node, { policy, deployment: 'uat' });
    expect(again.pruned).toEqual([]);
  });

  it('a dry run deletes nothing and reports the same decision', async () => {
    const t = target(ids.map((id) => b(id)));
    const r = await pruneBackups(t.node, { policy, deployment: 'uat', dryRun: true });
    expect(t.deleted).toEqual([]);
    expect(r.dryRun).toBe(true);
    expect(r.pruned.map((p) => p.id)).toEqual(['20240101_000000', '20240102_000000']);
  });

  it('never prunes a protected backup, another deployment\'s, or an incomplete one', async () => {
    const t = target([b(ids[0]!), b(ids[1]!, { manifest: { deployment: 'prod' } }), b(ids[2]!), b(ids[3]!), b('20231231_000000', { complete: false })]);
    const r = await pruneBackups(t.node, { policy: { last: 1, daily: 0, weekly: 0, monthly: 0 }, deployment: 'uat', protect: [ids[0]!] });
    expect(t.deleted).toEqual([ids[2]]);
    expect(r.kept).toEqual(expect.arrayContaining([{ id: ids[0], reasons: ['this run'] }, { id: ids[1], reasons: ['deployment prod'] }]));
  });

  it('explains a daily bucket kept by a newer backup of the same day', async () => {
    const t = target(['20240105_010000', '20240105_020000', '20240104_230000'].map((id) => b(id)));
    const r = await pruneBackups(t.node, { policy: { last: 1, daily: 2, weekly: 0, monthly: 0 }, deployment: 'uat', dryRun: true });
    expect(r.pruned).toEqual([{ id: '20240105_010000', why: expect.stringContaining('day 2024-01-05 keeps 20240105_020000'), usedBytes: 100 }]);
  });

  it('reports a refused deletion and goes on with the rest', async () => {
    const t = target(ids.map((id) => b(id)), new Set([ids[0]!]));
    const r = await pruneBackups(t.node, { policy, deployment: 'uat' });
    expect(t.deleted).toEqual([ids[1]]);
    expect(r.failed).toEqual([{ id: ids[0], error: expect.stringContaining('is activated') }]);
  });
});
