import { describe, expect, it } from 'vitest';
import { FfError } from '@freezeframe/common';
import { planReplication, previewRetention, replicaLag, replicable } from './replica-plan.js';
import type { BackupListing } from './types.js';

const names = { deployment: 'prod', main: 'backup-target', remote: 'offsite' };
const b = (id: string, o: { deployment?: string; complete?: boolean } = {}): BackupListing => ({
  id,
  createdMs: Date.parse(`${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:${id.slice(13, 15)}Z`),
  entries: ['a@+data'],
  usedBytes: 1,
  manifest: { deployment: o.deployment ?? 'prod' },
  complete: o.complete ?? true,
});
const ids = (...x: string[]) => x.map((i) => b(i));
const D1 = '20260101_020000';
const D2 = '20260102_020000';
const D3 = '20260103_020000';
const D4 = '20260104_020000';

function refusal(fn: () => unknown): FfError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FfError) return e;
    throw e;
  }
  throw new Error('not refused');
}

describe('planReplication', () => {
  it('sends everything to an empty remote: the oldest full, then each incremental from the one before, oldest first', () => {
    const p = planReplication(ids(D3, D1, D2), [], names);
    expect(p.steps).toEqual([
      { backupId: D1, baseId: '' },
      { backupId: D2, baseId: D1 },
      { backupId: D3, baseId: D2 },
    ]);
    expect(p.common).toBeUndefined();
  });

  it('sends only what the remote lacks, incremental from the newest backup both hold', () => {
    const p = planReplication(ids(D1, D2, D3, D4), ids(D1, D2), names);
    expect(p.common).toBe(D2);
    expect(p.steps).toEqual([
      { backupId: D3, baseId: D2 },
      { backupId: D4, baseId: D3 },
    ]);
  });

  it('sends nothing to a remote that is up to date, also when the main target pruned older backups the remote keeps', () => {
    expect(planReplication(ids(D3, D4), ids(D1, D2, D3, D4), names).steps).toEqual([]);
    // the remote keeps longer: D1 is gone from the main target, D3 is the newest common base
    expect(planReplication(ids(D3, D4), ids(D1, D3), names)).toEqual({ steps: [{ backupId: D4, baseId: D3 }], common: D3, skipped: [] });
  });

  it('never sends a backup under the newest common one (a stream applies only on top of it): skipped and said', () => {
    // the remote's D2 was deleted there (its retention), D1 and D3 are held: D2 cannot go back in
    const p = planReplication(ids(D1, D2, D3, D4), ids(D1, D3), names);
    expect(p.skipped).toEqual([D2]);
    expect(p.steps).toEqual([{ backupId: D4, baseId: D3 }]);
  });

  it('refuses a remote that holds backups but none in common (diverged history), naming both, and sends nothing', () => {
    const e = refusal(() => planReplication(ids(D3, D4), ids(D1, D2), names));
    expect(e.code).toBe('FAILED_PRECONDITION');
    expect(e.message).toContain('offsite holds 2 backup(s) (newest 20260102_020000) but none that backup-target holds');
    expect(e.message).toContain('nothing on offsite was overwritten');
    expect(e.node).toBe('offsite');
  });

  it('refuses a remote holding a backup newer than the newest common one that the main target lacks', () => {
    const e = refusal(() => planReplication(ids(D1, D2, D4), ids(D1, D2, D3), names));
    expect(e.code).toBe('FAILED_PRECONDITION');
    expect(e.message).toContain(`offsite holds ${D3}, newer than ${D2}`);
    expect(e.details).toMatchObject({ common: D2, foreign: [D3] });
  });

  it("ignores incomplete backups on either side and other deployments' backups on the main target", () => {
    const main = [b(D1), b(D2, { deployment: 'staging' }), b(D3, { complete: false }), b(D4)];
    expect(replicable(main, 'prod')).toEqual([D1, D4]);
    const p = planReplication(main, [b(D1), b(D2, { complete: false })], names);
    expect(p.steps).toEqual([{ backupId: D4, baseId: D1 }]);
  });
});

describe('replicaLag', () => {
  it('counts what replicate would send and names the newest backup of the remote; a diverged remote says why', () => {
    expect(replicaLag(ids(D1, D2, D3), ids(D1), names)).toEqual({ behind: 2, newest: { id: D1, createdMs: Date.parse('2026-01-01T02:00:00Z') } });
    expect(replicaLag(ids(D1), [], names)).toEqual({ behind: 1 });
    const d = replicaLag(ids(D3), ids(D1), names);
    expect(d.behind).toBe(0);
    expect(d.diverged).toContain('diverged');
  });
});

describe('previewRetention', () => {
  it('deletes by the policy over what the remote holds plus what arrives, never the next base', () => {
    const p = previewRetention(ids(D1, D2), [D3, D4], { last: 1, daily: 0, weekly: 0, monthly: 0 }, { deployment: 'prod', protect: D4 });
    expect(p.keep).toEqual([D4]);
    expect(p.prune.map((x) => x.id).sort()).toEqual([D1, D2, D3]);
  });

  it('keeps the protected base even where the policy alone would prune it', () => {
    // an older backup protected (the newest common one when nothing newer arrived and ids sort oddly)
    const p = previewRetention(ids(D1, D2, D3), [], { last: 1, daily: 0, weekly: 0, monthly: 0 }, { deployment: 'prod', protect: D2 });
    expect(p.keep.sort()).toEqual([D2, D3]);
    expect(p.prune.map((x) => x.id)).toEqual([D1]);
  });

  it("leaves other deployments' backups on the remote out, as prune does", () => {
    const p = previewRetention([b(D1, { deployment: 'staging' }), b(D2)], [D3], { last: 1, daily: 0, weekly: 0, monthly: 0 }, { deployment: 'prod', protect: D3 });
    expect(p.prune.map((x) => x.id)).toEqual([D2]);
  });
});
