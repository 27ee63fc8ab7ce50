import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { agentConfigSchema, spawnProcess, type FreezeConfig, type Spawned } from '@freezeframe/common';
import { CgroupFreeze } from '@freezeframe/agent/providers/freeze/cgroup.js';
import { detectHierarchies } from '@freezeframe/agent/tools/cgroup-freezer.js';
import { removeCgroupDir } from './support/cgroup.js';
import { lacks, needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim('cgroup');

const ROOT = '/sys/fs/cgroup';
const skip = needsRoot('cgroup freezer');
const hier = skip ? {} : detectHierarchies(ROOT);

type CgroupConfig = Extract<FreezeConfig, { kind: 'cgroup' }>;

/** The freeze section as the agent would load it (defaults applied by the real schema). */
function cgroupConfig(freeze: Record<string, unknown>): CgroupConfig {
  const cfg = agentConfigSchema.parse({
    name: 'app-1',
    listen: '127.0.0.1:0',
    tls: { ca: 'ca', cert: 'c', key: 'k' },
    freeze: { kind: 'cgroup', ...freeze },
  });
  return cfg.freeze as CgroupConfig;
}

interface Busy {
  proc: Spawned;
  counter: string;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  const errors: unknown[] = [];
  for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => errors.push(e));
  if (errors.length > 0) throw errors[0];
});

/** A cgroup of our own in `hierarchy`, removed after the test (its tasks thawed and killed first). */
async function makeGroup(hierarchy: string, version: 'v1' | 'v2'): Promise<{ name: string; dir: string }> {
  const name = `fftest-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const dir = join(hierarchy, name);
  await mkdir(dir);
  cleanups.push(async () => {
    if (!existsSync(dir)) return;
    // a frozen task cannot die: thaw before killing
    await writeFile(join(dir, version === 'v1' ? 'freezer.state' : 'cgroup.freeze'), version === 'v1' ? 'THAWED' : '0').catch(() => undefined);
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await removeCgroupDir(dir);
  });
  return { name, dir };
}

/** A process that rewrites a counter file every 2 ms, moved into the group. */
async function busyIn(groupDir: string): Promise<Busy> {
  const work = await mkdtemp(join(tmpdir(), 'ff-cg-'));
  const counter = join(work, 'c');
  const script = `const fs=require('fs');let i=0;setInterval(()=>fs.writeFileSync(${JSON.stringify(counter)},String(++i)),2);`;
  const proc = spawnProcess({ bin: process.execPath, args: ['-e', script], timeoutMs: 120_000 });
  proc.done.catch(() => undefined);
  cleanups.push(async () => {
    proc.kill('SIGKILL');
    await proc.done.catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });
  await writeFile(join(groupDir, 'cgroup.procs'), String(proc.child.pid));
  const busy = { proc, counter };
  await waitAdvancing(busy);
  return busy;
}

function readCounter(b: Busy): number {
  try {
    return Number(readFileSync(b.counter, 'utf8')) || 0;
  } catch {
    return 0;
  }
}

async function advances(b: Busy, ms = 300): Promise<boolean> {
  const before = readCounter(b);
  await sleep(ms);
  return readCounter(b) !== before;
}

/** Thawed processes may wait for a CPU on a loaded machine: poll instead of one fixed window. */
async function resumes(b: Busy, withinMs = 5000): Promise<boolean> {
  const before = readCounter(b);
  for (const end = Date.now() + withinMs; Date.now() < end; ) {
    await sleep(50);
    if (readCounter(b) !== before) return true;
  }
  return false;
}

async function waitAdvancing(b: Busy): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (readCounter(b) > 0 && (await advances(b, 50))) return;
    await sleep(20);
  }
  throw new Error('the busy process never started counting');
}

function procState(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[0]!;
}

describe.skipIf(skip)('cgroup freezer on the real kernel', () => {
  for (const version of ['v1', 'v2'] as const) {
    describe.skipIf(skip || lacks(`the cgroup ${version} freezer under ${ROOT}`, !hier[version]))(`${version}`, () => {
      it('freezes the configured group: its process stops advancing until thawed', async () => {
        const g = await makeGroup(hier[version]!, version);
        const other = await makeGroup(hier[version]!, version);
        const busy = await busyIn(g.dir);
        const bystander = await busyIn(other.dir);
        const provider = new CgroupFreeze(cgroupConfig({ cgroups: [g.name], version }));

        const frozen = await provider.freeze();
        try {
          expect(frozen).toEqual([g.dir]);
          expect(await advances(busy)).toBe(false);
          expect(await resumes(bystander)).toBe(true);
          if (version === 'v1') expect(procState(busy.proc.child.pid!)).toBe('D');
        } finally {
          expect(await provider.thaw(frozen)).toEqual([g.dir]);
        }
        expect(await resumes(busy)).toBe(true);
        // thawing again: nothing to resume, not an error
        expect(await provider.thaw(frozen)).toEqual([]);
      });

      it('auto-detects the version when the group exists only in that hierarchy', async () => {
        const g = await makeGroup(hier[version]!, version);
        const busy = await busyIn(g.dir);
        const provider = new CgroupFreeze(cgroupConfig({ cgroups: [g.name] }));
        const frozen = await provider.freeze();
        try {
          expect(frozen).toEqual([g.dir]);
          expect(await advances(busy)).toBe(false);
        } finally {
          await provider.thaw(frozen);
        }
        expect(await resumes(busy)).toBe(true);
      });

      it('a group removed while frozen does not break thaw', async () => {
        const g = await makeGroup(hier[version]!, version);
        const provider = new CgroupFreeze(cgroupConfig({ cgroups: [g.name], version }));
        const frozen = await provider.freeze(); // empty group: frozen at once
        await rmdir(g.dir);
        expect(await provider.thaw(frozen)).toEqual([]);
      });

      it('a missing group fails the freeze by name and leaves the others running', async () => {
        const g = await makeGroup(hier[version]!, version);
        const busy = await busyIn(g.dir);
        const provider = new CgroupFreeze(cgroupConfig({ cgroups: [g.name, 'fftest-does-not-exist'], version }));
        await expect(provider.freeze()).rejects.toMatchObject({ code: 'FREEZE_FAILED', message: expect.stringContaining('fftest-does-not-exist') });
        expect(await resumes(busy)).toBe(true);
      });
    });
  }

  it('systemd units map to system.slice/<unit>', async () => {
    const h = (hier.v1 ?? hier.v2)!;
    const version = hier.v1 ? 'v1' : 'v2';
    const slice = join(h, 'system.slice');
    const madeSlice = !existsSync(slice);
    if (madeSlice) {
      await mkdir(slice);
      cleanups.push(() => rmdir(slice).catch(() => undefined));
    }
    const unit = `fftest-${process.pid}.service`;
    await mkdir(join(slice, unit));
    cleanups.push(() => rmdir(join(slice, unit)));
    const provider = new CgroupFreeze(cgroupConfig({ units: [unit], version }));
    const frozen = await provider.freeze();
    expect(frozen).toEqual([join(slice, unit)]);
    expect(await provider.thaw(frozen)).toEqual([join(slice, unit)]);
  });

  it('refuses groups that would leave the hierarchy, and thaw ids outside the root', async () => {
    const provider = new CgroupFreeze(cgroupConfig({ cgroups: ['a/../../../etc'] }));
    await expect(provider.freeze()).rejects.toMatchObject({ code: 'FREEZE_FAILED', message: expect.stringContaining("'..'") });
    await expect(provider.thaw(['/etc/passwd'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(provider.thaw([`${ROOT}/freezer/../../../etc`])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
