import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { agentConfigSchema, silentLogger } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { main } from '@freezeframe/director/cli/program.js';
import { ServiceList } from '@freezeframe/agent/services.js';
import { startAgent, stopAgent, writeAgentConfig, type TestAgent } from './support/agents.js';
import { mountTargetTmpfs } from './support/mounts.js';
import { startDockerd, type Dockerd } from './support/dockerd.js';
import { writeFakeCassandra, type FakeCassandra } from './support/fake-cassandra.js';
import { makePki, type Pki } from './support/pki.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim('docker', 'zfs');

// stop-services / start-services against a private Docker engine (real containers stopped and
// started through the Engine API) plus a systemd unit (systemctl stand-in: no systemd here).

const skip = needsRoot('private Docker engine', ['dockerd', 'docker']);

describe.skipIf(skip)('stop-services and start-services', () => {
  let work = '';
  let unmountTarget: (() => Promise<void>) | undefined;
  let engine: Dockerd | undefined;
  let pki: Pki;
  let agent: TestAgent | undefined;
  let fake: FakeCassandra;
  let inventory = '';

  const state = async (name: string) => engine!.docker(['inspect', '-f', '{{.State.Status}}', name]);
  async function run(name: string, labels: string[] = []): Promise<void> {
    await engine!.docker(['run', '-d', '--name', name, '--network', 'none', '--stop-signal', 'KILL', '-v', '/usr:/usr:ro', ...labels.flatMap((l) => ['--label', l]), 'ff-skeleton', '/usr/bin/sleep', '600']);
  }
  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(['node', 'freezeframe', '-i', inventory, ...args], { stdout: { write: (s: string) => void (out += s) }, stderr: { write: (s: string) => void (err += s) }, env: {} });
    return { code, out, err };
  }

  beforeAll(async () => {
    work = mkdtempSync('/tmp/ffsv-');
    engine = await startDockerd({ dir: join(work, 'd') });
    await engine.importImage('ff-skeleton');
    for (const n of ['web', 'worker', 'cache', 'other']) await run(n);
    await run('ff-agent', ['freezeframe.role=agent']);
    await engine.docker(['stop', '-t', '0', 'worker']);
    pki = await makePki(join(work, 'pki'), ['director', 'app-1']);
    await mkdir(join(work, 'cass', 'commitlog'), { recursive: true });
    await mkdir(join(work, 'src'));
    unmountTarget = await mountTargetTmpfs(join(work, 'backups'));
    writeFileSync(join(work, 'src', 'data.txt'), 'backed up\n');
    fake = writeFakeCassandra(join(work, 'cass'), join(work, 'cass', 'data'), join(work, 'cass', 'commitlog'));
    writeFileSync(fake.stateFile, 'running\n');
    const cfg = writeAgentConfig(
      work,
      pki,
      'app-1',
      `allowRestore: true\nsource: { kind: dir, volume: ${join(work, 'src')} }\ntarget: { kind: dir, path: ${join(work, 'backups')} }\n` +
        `services:\n  socket: ${engine.socket}\n  docker: [web, worker, cache, missing]\n  units: [cassandra.service]\n  systemctl: ${fake.systemctl}\n  stopTimeout: 1s\n`,
    );
    agent = await startAgent('app-1', cfg);
    const d = pki.files('director');
    inventory = join(work, 'inventory.yaml');
    writeFileSync(inventory, `deployment: svc\ntls: { ca: ${d.ca}, cert: ${d.cert}, key: ${d.key} }\nstateDir: ${join(work, 'state')}\nnodes:\n  - { name: app-1, address: 127.0.0.1:${agent.port} }\n`);
  });

  afterAll(async () => {
    try {
      if (agent) await stopAgent(agent);
      await engine?.stop();
      await unmountTarget?.();
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('stops what runs, in order, records it, and starts exactly that again in reverse order', async () => {
    onTestFailed(() => console.error(agent?.stderr.slice(-30).join('\n')));
    const stop = await cli('stop-services', '--json');
    expect(stop.code, stop.err).toBe(0);
    const stopped = JSON.parse(stop.out).nodes[0].services.map((s: { kind: string; name: string; action: string }) => `${s.kind} ${s.name} ${s.action}`);
    expect(stopped).toEqual(['docker worker not-running', 'docker missing gone', 'docker web stopped', 'docker cache stopped', 'unit cassandra.service stopped']);
    expect(await state('web')).toBe('exited');
    expect(await state('cache')).toBe('exited');
    expect(await state('other')).toBe('running');
    expect(await state('ff-agent')).toBe('running');
    const record = JSON.parse(readFileSync(join(work, 'app-1', 'run', 'stopped-services.json'), 'utf8'));
    expect(record.services.map((s: { name: string }) => s.name)).toEqual(['web', 'cache', 'cassandra.service']);
    expect(readFileSync(fake.stateFile, 'utf8').trim()).toBe('stopped');

    // a second stop finds nothing more to stop and keeps the record
    const again = await cli('stop-services', '--json');
    expect(JSON.parse(again.out).nodes[0].services.filter((s: { action: string }) => s.action === 'stopped')).toEqual([]);

    writeFileSync(fake.callsFile, '');
    const start = await cli('start-services');
    expect(start.code, start.err).toBe(0);
    expect(start.out).toBe('app-1: unit cassandra.service started, docker cache started, docker web started\n');
    expect(await state('web')).toBe('running');
    expect(await state('cache')).toBe('running');
    // worker was not running before stop-services: it stays stopped
    expect(await state('worker')).toBe('exited');
    expect(readFileSync(fake.callsFile, 'utf8')).toMatch(/"start","cassandra.service"/);
    expect(existsSync(join(work, 'app-1', 'run', 'stopped-services.json'))).toBe(false);

    const nothing = await cli('start-services');
    expect(nothing.out).toBe('nothing to start\n');
    expect((await cli('stop-services', '--node', 'nope')).code).toBe(2);
  });

  it('restore --stop-services stops the services, restores, and starts them again', async () => {
    onTestFailed(() => console.error(agent?.stderr.slice(-30).join('\n')));
    const b = await cli('backup', '--json');
    expect(b.code, b.err).toBe(0);
    writeFileSync(join(work, 'src', 'data.txt'), 'damaged\n');

    // maintenance mode: refused while the services run, before anything moves
    const refused = await cli('restore', 'latest');
    expect(refused.code, refused.err).toBe(1);
    expect(refused.err).toMatch(/services are running on the nodes to restore; nothing was restored:\n {2}app-1: container web, container cache, cassandra.service/);
    expect(refused.err).toMatch(/--stop-services/);
    expect(readFileSync(join(work, 'src', 'data.txt'), 'utf8')).toBe('damaged\n');
    const h = JSON.parse((await cli('health', '--json')).out) as { nodes: Array<{ services: Array<{ name: string; state: string }>; checks: Array<{ name: string; ok: boolean }> }> };
    expect(h.nodes[0]!.services.map((x) => `${x.name} ${x.state}`)).toEqual(['web running', 'worker not-running', 'cache running', 'missing gone', 'cassandra.service running']);
    expect(h.nodes[0]!.checks.filter((c) => c.name === 'docker' || c.name === 'services').map((c) => `${c.name} ${c.ok}`)).toEqual(['docker true', 'services true']);

    writeFileSync(fake.callsFile, '');
    const r = await cli('restore', 'latest', '--stop-services', '--json');
    expect(r.code, r.err + r.out).toBe(0);
    const res = JSON.parse(r.out);
    expect(res.servicesStopped.nodes[0].services.filter((x: { action: string }) => x.action === 'stopped').map((x: { name: string }) => x.name)).toEqual(['web', 'cache', 'cassandra.service']);
    expect(res.servicesStarted.nodes[0].services.map((x: { name: string }) => x.name)).toEqual(['cassandra.service', 'cache', 'web']);
    expect(readFileSync(join(work, 'src', 'data.txt'), 'utf8')).toBe('backed up\n');
    expect(await state('web')).toBe('running');
    const verbs = readFileSync(fake.callsFile, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { argv: string[] }).argv[0]);
    // is-active: the health checks before, during and after the restore
    expect(verbs.filter((v) => v !== 'is-active')).toEqual(['stop', 'start']);
    expect(res.stability.before.ok && res.stability.after.ok).toBe(true);
  });

  it('health --nagios warns about services left stopped; restore --force runs under running services with a warning', async () => {
    const stop = await cli('stop-services');
    expect(stop.code, stop.err).toBe(0);
    const warn = await cli('health', '--nagios');
    expect(warn.code, warn.out).toBe(1);
    expect(warn.out).toMatch(/^FREEZEFRAME WARNING - app-1: left stopped by stop-services: docker web, docker cache, unit cassandra.service/);
    expect((await cli('start-services')).code).toBe(0);
    const ok = await cli('health', '--nagios');
    expect(ok.code, ok.out).toBe(0);

    const forced = await cli('restore', 'latest', '--force', '--json');
    expect(forced.code, forced.err).toBe(0);
    expect(JSON.parse(forced.out).warnings.join('\n')).toMatch(/restoring while services run \(--force\): app-1: container web/);
  });

  it('allContainers stops every running container except the agent, and brings them back', async () => {
    const cfg = agentConfigSchema.parse({ name: 'x', listen: '127.0.0.1:0', tls: { ca: 'a', cert: 'b', key: 'c' }, services: { socket: engine!.socket, allContainers: true, stopTimeout: '1s' } });
    const list = new ServiceList(cfg.services!, join(work, 'all-run'), silentLogger);
    const r = await list.stop();
    expect(r.services.map((s) => `${s.name} ${s.action}`).sort()).toEqual(['cache stopped', 'other stopped', 'web stopped']);
    expect(await state('ff-agent')).toBe('running');
    expect(await list.stopped()).toHaveLength(3);
    expect((await list.start()).map((s) => s.action)).toEqual(['started', 'started', 'started']);
    for (const n of ['web', 'cache', 'other']) expect(await state(n)).toBe('running');
    expect(await state('worker')).toBe('exited');
  });
});
