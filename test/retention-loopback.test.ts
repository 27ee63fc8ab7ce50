import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { entryName } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { readRecord, startRig, type Rig } from './support/fault-rig.js';
import { claim } from './support/claim.js';

await claim();

// Retention through the real director CLI and real agents on loopback (no root): a `dir` target,
// one `dir` source. Phase 8 prunes after each backup; `prune` does the same on demand.

describe('retention and prune on a dir target', () => {
  let rig: Rig;
  const backups = () => join(rig.root, 'tgt', 'backups');
  const tagged = () => readdirSync(backups()).filter((n) => /^\d{8}_\d{6}/.test(n)).sort();
  const data = () => join(rig.root, 'src-1', 'data');
  const setRetention = (last: number) => {
    const inv = readFileSync(rig.inventory, 'utf8').replace(/^retention:.*\n/m, '');
    writeFileSync(rig.inventory, `${inv}retention: { last: ${last}, daily: 0, weekly: 0, monthly: 0 }\n`);
  };
  const backup = async () => {
    await sleep(1100); // backup ids have one-second resolution
    const r = await rig.director(['backup', '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout).backupId as string;
  };

  beforeAll(async () => {
    rig = await startRig((root) => {
      mkdirSync(join(root, 'src-1', 'data'), { recursive: true });
      writeFileSync(join(root, 'src-1', 'data', 'same.txt'), 'never changes\n');
      mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
      return [
        { name: 'tgt', roles: `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n` },
        { name: 'src-1', roles: `source: { kind: dir, volume: ${join(root, 'src-1', 'data')} }\n` },
      ];
    }, { prefix: 'ff-retention-' });
    setRetention(2);
  }, 60_000);
  afterAll(async () => {
    await rig?.stop();
  });

  it('a backup prunes what the policy no longer keeps, never itself, and records why', async () => {
    onTestFailed(() => console.error(rig.logs()));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(data(), 'changes.txt'), `version ${i}\n`);
      ids.push(await backup());
    }
    expect(tagged()).toEqual(ids.slice(1));
    const rec = readRecord(rig, ids[2]!);
    expect(rec.result).toBe('ok');
    expect(rec.retention.pruned).toEqual([{ id: ids[0], why: expect.stringContaining('not among the newest 2'), usedBytes: expect.any(Number) }]);
    expect(rec.retention.kept.map((k: { id: string }) => k.id)).toEqual([ids[2], ids[1]]);
    expect(rec.phases.map((p: { phase: string }) => p.phase)).toContain('retention');
    // the kept backups are whole: the shared file is still there in both
    const entry = entryName('src-1', data());
    for (const id of ids.slice(1)) expect(readFileSync(join(backups(), id, entry, 'same.txt'), 'utf8')).toBe('never changes\n');
    const shown = await rig.director(['show', ids[2]!]);
    expect(shown.stdout).toContain(`retention: kept 2, pruned ${ids[0]}`);
  });

  it('prune --dry-run prints the decision and deletes nothing; prune deletes; a second prune finds nothing', async () => {
    setRetention(1);
    const before = tagged();
    const dry = await rig.director(['prune', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const d = JSON.parse(dry.stdout);
    expect(d.dryRun).toBe(true);
    expect(d.pruned.map((p: { id: string }) => p.id)).toEqual([before[0]]);
    expect(tagged()).toEqual(before);
    const human = await rig.director(['prune', '--dry-run']);
    expect(human.stdout).toContain(`would delete ${before[0]}`);
    expect(human.stdout).toContain(`keep   ${before[1]}  last`);

    const real = await rig.director(['prune', '--json']);
    expect(real.code, real.stderr).toBe(0);
    expect(JSON.parse(real.stdout).pruned.map((p: { id: string }) => p.id)).toEqual([before[0]]);
    expect(tagged()).toEqual([before[1]]);
    expect(existsSync(join(backups(), '.deleting', before[0]!))).toBe(false);

    const again = await rig.director(['prune']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to delete');
    expect(tagged()).toEqual([before[1]]);
  });
});
