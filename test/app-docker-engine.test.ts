import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentConfigSchema } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startRig, type Rig } from './support/fault-rig.js';
import { writeFakeSystemctl, type FakeSystemctl } from './support/fake-systemctl.js';
import { claim } from './support/claim.js';

await claim();

// `services: { dockerEngine: true }` on a Docker Swarm node: the engine itself is stopped for a
// restore (`systemctl stop docker.socket docker.service`, after the units) and started before
// them afterwards. No systemd runs here, so a recording stand-in systemctl takes the calls;
// real agents on loopback, a dir source and target, the real director CLI.

describe('services.dockerEngine: stopping and starting the Docker engine around a restore', () => {
  let rig: Rig;
  let sc: FakeSystemctl;
  const ENGINE = ['docker.socket', 'docker.service'];
  const node = () => rig.root;
  const services = (out: string) => (JSON.parse(out) as { nodes: Array<{ services: Array<{ kind: string; name: string; action: string }> }> }).nodes[0]!.services.map((s) => `${s.kind} ${s.name} ${s.action}`);
  const health = async () => {
    const h = await rig.director(['health', '--json']);
    return JSON.parse(h.stdout) as { nodes: Array<{ services: Array<{ name: string; state: string }>; checks: Array<{ name: string; ok: boolean; detail: string }>; warnings: string[] }> };
  };

  beforeAll(async () => {
    rig = await startRig(
      (root) => {
        mkdirSync(join(root, 'app-1', 'data'), { recursive: true });
        mkdirSync(join(root, 'app-1', 'backups'), { recursive: true });
        writeFileSync(join(root, 'app-1', 'data', 'f.txt'), 'backed up\n');
        mkdirSync(join(root, 'sc'));
        sc = writeFakeSystemctl(join(root, 'sc'));
        for (const u of [...ENGINE, 'app.service']) sc.set(u, 'active');
        return [
          {
            name: 'app-1',
            roles:
              `source: { kind: dir, volume: ${join(root, 'app-1', 'data')} }\ntarget: { kind: dir, path: ${join(root, 'app-1', 'backups')} }\n` +
              `services: { units: [app.service], dockerEngine: true, systemctl: ${sc.bin}, stopTimeout: 5s }\n`,
          },
        ];
      },
      { prefix: 'ff-engine-' },
    );
  }, 120_000);
  afterAll(async () => {
    await rig?.stop();
  });

  it('stop-services stops the units, then the engine and its socket in one call; start-services starts the engine first', async () => {
    onTestFailed(() => console.error(rig.logs()));
    sc.clearCalls();
    const stop = await rig.director(['stop-services', '--json']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(services(stop.stdout)).toEqual(['unit app.service stopped', 'unit docker.service stopped']);
    expect(sc.calls()).toEqual([['is-active', 'app.service'], ['stop', 'app.service'], ['is-active', 'docker.service'], ['stop', 'docker.socket', 'docker.service']]);
    for (const u of [...ENGINE, 'app.service']) expect(sc.state(u)).toBe('inactive');
    const record = JSON.parse(readFileSync(join(node(), 'app-1', 'run', 'stopped-services.json'), 'utf8'));
    expect(record.services).toEqual([{ kind: 'unit', name: 'app.service' }, { kind: 'unit', name: 'docker.service', engine: true }]);

    // Health: the engine's state among the services, and left stopped is a warning
    const h = (await health()).nodes[0]!;
    expect(h.services.map((s) => `${s.name} ${s.state}`)).toEqual(['app.service not-running', 'docker.service not-running']);
    expect(h.checks.find((c) => c.name === 'services')).toMatchObject({ ok: true, detail: '0 of 2 configured services running' });
    expect(h.warnings.join('\n')).toContain('left stopped by stop-services: unit app.service, unit docker.service');

    // a second stop finds the engine down: nothing stopped, and the socket is not touched
    sc.clearCalls();
    const again = await rig.director(['stop-services', '--json']);
    expect(services(again.stdout)).toEqual(['unit app.service not-running', 'unit docker.service not-running']);
    expect(sc.calls()).toEqual([['is-active', 'app.service'], ['is-active', 'docker.service'], ['is-active', 'docker.socket']]);

    sc.clearCalls();
    const start = await rig.director(['start-services']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toBe('app-1: unit docker.service started, unit app.service started\n');
    expect(sc.calls()).toEqual([['start', 'docker.socket', 'docker.service'], ['start', 'app.service']]);
    for (const u of [...ENGINE, 'app.service']) expect(sc.state(u)).toBe('active');
    expect(existsSync(join(node(), 'app-1', 'run', 'stopped-services.json'))).toBe(false);
    expect((await health()).nodes[0]!.services.map((s) => `${s.name} ${s.state}`)).toEqual(['app.service running', 'docker.service running']);
  });

  it('an engine idle behind its socket is stopped too (the next client would start it); one already down stays down', async () => {
    sc.set('docker.service', 'inactive');
    sc.set('app.service', 'inactive');
    sc.clearCalls();
    const stop = await rig.director(['stop-services', '--json']);
    expect(services(stop.stdout)).toEqual(['unit app.service not-running', 'unit docker.service stopped']);
    expect(sc.calls()).toEqual([['is-active', 'app.service'], ['is-active', 'docker.service'], ['is-active', 'docker.socket'], ['stop', 'docker.socket', 'docker.service']]);
    sc.clearCalls();
    expect((await rig.director(['start-services'])).stdout).toBe('app-1: unit docker.service started\n');
    expect(sc.calls()).toEqual([['start', 'docker.socket', 'docker.service']]);
    expect(sc.state('app.service')).toBe('inactive');
    sc.set('app.service', 'active');
  });

  it('restore refuses while the engine runs; restore --stop-services stops units then engine, restores, starts engine then units', async () => {
    onTestFailed(() => console.error(rig.logs()));
    const b = await rig.director(['backup', '--json']);
    expect(b.code, `${b.stdout}\n${b.stderr}`).toBe(0);
    writeFileSync(join(node(), 'app-1', 'data', 'f.txt'), 'damaged\n');

    const refused = await rig.director(['restore', 'latest']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/services are running on the nodes to restore; nothing was restored:\n {2}app-1: app.service, docker.service/);

    sc.clearCalls();
    const r = await rig.director(['restore', 'latest', '--stop-services', '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.servicesStopped.nodes[0].services.map((x: { name: string; action: string }) => `${x.name} ${x.action}`)).toEqual(['app.service stopped', 'docker.service stopped']);
    expect(res.servicesStarted.nodes[0].services.map((x: { name: string; action: string }) => `${x.name} ${x.action}`)).toEqual(['docker.service started', 'app.service started']);
    expect(readFileSync(join(node(), 'app-1', 'data', 'f.txt'), 'utf8')).toBe('backed up\n');
    // is-active: the health checks before, during and after the restore
    expect(sc.calls().filter((c) => c[0] !== 'is-active')).toEqual([['stop', 'app.service'], ['stop', 'docker.socket', 'docker.service'], ['start', 'docker.socket', 'docker.service'], ['start', 'app.service']]);
    expect(res.stability.before.ok && res.stability.after.ok).toBe(true);
  });

  it('the config refuses containers beside dockerEngine, and the engine units among units, naming the key', () => {
    const base = { name: 'x', listen: '127.0.0.1:0', tls: { ca: 'a', cert: 'b', key: 'c' } };
    const errs = (services: object) => {
      const r = agentConfigSchema.safeParse({ ...base, services });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(errs({ dockerEngine: true, docker: ['web'] })).toEqual(['services.dockerEngine: dockerEngine stops every container with the engine: leave out docker and allContainers']);
    expect(errs({ dockerEngine: true, allContainers: true })).toHaveLength(1);
    expect(errs({ dockerEngine: true, units: ['docker.service'] })).toEqual(['services.units: docker.service is stopped by dockerEngine: leave it out of units']);
    expect(errs({ dockerEngine: true, units: ['app.service'] })).toEqual([]);
  });
});
