import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBed, type Bed, type CliResult } from './support/bed.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim('docker', 'zfs');

// Application consistency through the director CLI on the multi-host bed: src-a's agent has a
// `services:` section naming its app container (a real container of the bed's Docker engine) and
// freezes it through Docker; src-b has neither. Maintenance mode, stop/start-services, health
// and --nagios are checked against the real containers, agents and ZFS pool.

const skip = needsRoot('multi-host bed', ['dockerd', 'btrfs', 'zfs-fuse']);

function describeRun(r: CliResult, bed: Bed): string {
  return `exit ${r.code}\nstdout: ${r.stdout.slice(-4000)}\nstderr: ${r.stderr.slice(-4000)}\n${bed.agentLogs()}`;
}

interface HealthView {
  ok: boolean;
  nodes: Array<{ node: string; checks: Array<{ name: string; ok: boolean; detail: string }>; services: Array<{ name: string; state: string }>; warnings: string[]; clockSkewMs?: number }>;
}

describe.skipIf(skip)('services, maintenance mode and health through the director CLI on the bed', () => {
  let bed: Bed;
  const appState = async () => bed.docker(['inspect', '-f', '{{.State.Status}}', bed.source('src-a').app!.id]);
  const hello = (src: string) => join(bed.source(src).volume, 'sample', 'hello.txt');

  beforeAll(async () => {
    bed = await startBed({
      subnet: '10.79.0',
      sources: [
        { name: 'src-a', freeze: 'docker', writer: 'solo', services: { docker: ['app'] } },
        { name: 'src-b', freeze: 'none' },
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await bed?.stop();
  });

  it('health checks Docker, the pool, the services, versions and clocks; --nagios says OK', async () => {
    const r = await bed.cli(['health', '--json']);
    expect(r.code, describeRun(r, bed)).toBe(0);
    const h = r.json as HealthView;
    const node = (n: string) => h.nodes.find((x) => x.node === n)!;
    const a = node('src-a');
    expect(a.checks.find((c) => c.name === 'docker')).toMatchObject({ ok: true, detail: expect.stringMatching(/docker engine at \/var\/run\/docker.sock answers \(freeze, services\)/) });
    expect(a.services).toEqual([{ kind: 'docker', name: bed.source('src-a').app!.name, id: bed.source('src-a').app!.id, state: 'running' }]);
    expect(node('backup-target').checks.find((c) => c.name === 'pool')).toMatchObject({ ok: true, detail: expect.stringMatching(/^pool ffbed\w+ ONLINE, No known data errors/) });
    for (const n of h.nodes) {
      expect(Math.abs(n.clockSkewMs ?? Infinity), `clock of ${n.node}`).toBeLessThan(5_000);
      expect(n.warnings, `warnings of ${n.node}`).toEqual([]);
    }
    const human = await bed.cli(['health']);
    expect(human.stdout).toMatch(/src-a ok {6}docker: docker engine at/);
    // the backup age is checked by default (26 h): no backup yet is CRITICAL, with every node healthy
    const none = await bed.cli(['health', '--nagios']);
    expect(none.code, describeRun(none, bed)).toBe(2);
    expect(none.stdout).toMatch(/^FREEZEFRAME CRITICAL - no complete backup on the target \| nodes=3 healthy=3 warning=0 critical=0\n$/);
    const n = await bed.cli(['health', '--nagios', '--max-age', '0']);
    expect(n.code, describeRun(n, bed)).toBe(0);
    expect(n.stdout).toMatch(/^FREEZEFRAME OK - 3 nodes healthy \| nodes=3 healthy=3 warning=0 critical=0\n$/);
  });

  it('restore refuses while the services run; --only a node without services runs, with the partial warning', async () => {
    const b = await bed.cli(['backup', '--json']);
    expect(b.code, describeRun(b, bed)).toBe(0);
    writeFileSync(hello('src-a'), 'damaged a\n');
    writeFileSync(hello('src-b'), 'damaged b\n');

    const refused = await bed.cli(['restore', 'latest']);
    expect(refused.code, describeRun(refused, bed)).toBe(1);
    expect(refused.stderr).toMatch(/services are running on the nodes to restore; nothing was restored:\n\s+src-a: container ffbed-\w+-app-src-a/);
    expect(readFileSync(hello('src-a'), 'utf8')).toBe('damaged a\n');
    expect(await appState()).toBe('running');

    const onlyB = await bed.cli(['restore', 'latest', '--only', 'src-b', '--json']);
    expect(onlyB.code, describeRun(onlyB, bed)).toBe(0);
    const res = onlyB.json as { restored: string[]; maintenanceNodes: string[]; warnings: string[]; stability: { before: { ok: boolean }; after: { ok: boolean } } };
    expect(res.restored).toEqual(['src-b']);
    expect(res.maintenanceNodes).toEqual(['src-b']);
    expect(res.warnings.join('\n')).toMatch(/partial restore: 1 of 2 sources; src-a keep/);
    expect(res.stability.before.ok && res.stability.after.ok).toBe(true);
    expect(readFileSync(hello('src-b'), 'utf8')).toBe('hello from src-b\n');
    expect(readFileSync(hello('src-a'), 'utf8')).toBe('damaged a\n');
  });

  it('stop-services stops the real container and health --nagios warns until start-services brings it back', async () => {
    const stop = await bed.cli(['stop-services', '--node', 'src-a', '--json']);
    expect(stop.code, describeRun(stop, bed)).toBe(0);
    expect(await appState()).toBe('exited');
    const warn = await bed.cli(['health', '--nagios']);
    expect(warn.code, describeRun(warn, bed)).toBe(1);
    expect(warn.stdout).toMatch(/^FREEZEFRAME WARNING - src-a: left stopped by stop-services: docker ffbed-\w+-app-src-a/);
    const start = await bed.cli(['start-services']);
    expect(start.code, describeRun(start, bed)).toBe(0);
    expect(start.stdout).toMatch(/^src-a: docker ffbed-\w+-app-src-a started\n$/);
    expect(await appState()).toBe('running');
  });

  it('restore --stop-services stops the app, restores, starts it again; stable before and after', async () => {
    const r = await bed.cli(['restore', 'latest', '--stop-services', '--json'], { timeoutMs: 180_000 });
    expect(r.code, describeRun(r, bed)).toBe(0);
    const res = r.json as {
      restored: string[];
      servicesStopped: { nodes: Array<{ node: string; services: Array<{ action: string }> }> };
      servicesStarted: { nodes: Array<{ node: string; services: Array<{ action: string }> }> };
      stability: { before: { ok: boolean }; after: { ok: boolean } };
    };
    expect(res.restored.sort()).toEqual(['src-a', 'src-b']);
    expect(res.servicesStopped.nodes.find((n) => n.node === 'src-a')!.services.map((s) => s.action)).toEqual(['stopped']);
    expect(res.servicesStarted.nodes.find((n) => n.node === 'src-a')!.services.map((s) => s.action)).toEqual(['started']);
    expect(res.stability.before.ok && res.stability.after.ok).toBe(true);
    expect(readFileSync(hello('src-a'), 'utf8')).toBe('hello from src-a\n');
    expect(await appState()).toBe('running');
    const n = await bed.cli(['health', '--nagios']);
    expect(n.code, describeRun(n, bed)).toBe(0);
  });
});
