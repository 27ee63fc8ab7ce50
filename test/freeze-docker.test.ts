import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigSchema, type FreezeConfig } from '@freezeframe/common';
import { DockerFreeze } from '@freezeframe/agent/providers/freeze/docker.js';
import { createDockerApi } from '@freezeframe/agent/tools/docker-api.js';
import { startDockerd, type Dockerd } from './support/dockerd.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim('cgroup', 'docker', 'zfs');

const skip = needsRoot('private Docker engine', ['dockerd', 'docker']);

type DockerConfig = Extract<FreezeConfig, { kind: 'docker' }>;

function dockerConfig(socket: string, labels?: string[]): DockerConfig {
  const cfg = agentConfigSchema.parse({
    name: 'app-1',
    listen: '127.0.0.1:0',
    tls: { ca: 'ca', cert: 'c', key: 'k' },
    freeze: { kind: 'docker', socket, ...(labels ? { labels } : {}) },
  });
  return cfg.freeze as DockerConfig;
}

// a paused container's counter file stands still; the sleep spares the 2 cores for the rest
const COUNTER_LOOP = 'i=0; while :; do i=$((i+1)); echo $i > /data/c; sleep 0.005; done';

describe.skipIf(skip)('docker freeze against a private Docker engine', () => {
  let work = '';
  let engine: Dockerd | undefined;
  const counters = new Map<string, string>();
  // dockerd makes the parent of its containers' cgroups; the test's engine must not leave it
  const DOCKER_FREEZER = '/sys/fs/cgroup/freezer/docker';
  let hadDockerFreezer = false;

  beforeAll(async () => {
    work = await mkdtemp('/tmp/ffdk-');
    hadDockerFreezer = existsSync(DOCKER_FREEZER);
    engine = await startDockerd({ dir: join(work, 'd') });
    await engine.importImage('ff-skeleton');
  });

  afterEach(async () => {
    const ids = [...counters.keys()];
    counters.clear();
    if (ids.length > 0) await engine?.docker(['rm', '-f', ...ids]);
  });

  afterAll(async () => {
    try {
      await engine?.stop();
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  async function runCounter(name: string, labels: string[] = []): Promise<string> {
    const data = join(work, name);
    await mkdir(data);
    const id = await engine!.docker([
      'run', '-d', '--name', name, '--network', 'none',
      '-v', '/usr:/usr:ro', '-v', `${data}:/data`,
      ...labels.flatMap((l) => ['--label', l]),
      'ff-skeleton', '/usr/bin/sh', '-c', COUNTER_LOOP,
    ]);
    counters.set(id, join(data, 'c'));
    await waitAdvancing(id);
    return id;
  }

  /** The counter file's change time: the loop truncates and rewrites it, so its content is often empty. */
  function stamp(id: string): bigint {
    try {
      return statSync(counters.get(id)!, { bigint: true }).mtimeNs;
    } catch {
      return 0n;
    }
  }

  // At least `ms`, then keep watching (a loaded machine may not schedule a resumed writer at once):
  // a frozen container stays still for the whole window.
  async function advancing(ids: string[], ms = 300, maxMs = Math.max(ms, 1500)): Promise<boolean[]> {
    const before = ids.map(stamp);
    const started = Date.now();
    await sleep(ms);
    let moved = ids.map((id, i) => stamp(id) !== before[i]);
    while (moved.includes(false) && Date.now() - started < maxMs) {
      await sleep(50);
      moved = ids.map((id, i) => stamp(id) !== before[i]);
    }
    return moved;
  }

  async function waitAdvancing(id: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (stamp(id) > 0n && (await advancing([id], 50, 50))[0]) return;
      await sleep(20);
    }
    throw new Error(`container ${id} never started counting\n${engine!.logs().slice(-2000)}`);
  }

  it('pauses only the containers with all configured labels, and thaws exactly those', async () => {
    const plain = await runCounter('plain');
    const app = await runCounter('app', ['ff.test=app', 'tier']);
    const agent = await runCounter('agent', ['freezeframe.role=agent', 'ff.test=app', 'tier']);

    const byLabel = new DockerFreeze(dockerConfig(engine!.socket, ['ff.test=app', 'tier']));
    const frozen = await byLabel.freeze();
    try {
      expect(frozen).toEqual([app]);
      expect(await advancing([app, plain, agent])).toEqual([false, true, true]);
    } finally {
      expect(await byLabel.thaw(frozen)).toEqual([app]);
    }
    expect(await advancing([app])).toEqual([true]);

    // `key=value` must match the value, not only the key
    const wrongValue = new DockerFreeze(dockerConfig(engine!.socket, ['ff.test=other']));
    expect(await wrongValue.freeze()).toEqual([]);

    const all = new DockerFreeze(dockerConfig(engine!.socket));
    const frozenAll = await all.freeze();
    try {
      expect([...frozenAll].sort()).toEqual([plain, app].sort());
      expect(await advancing([plain, app, agent])).toEqual([false, false, true]);
    } finally {
      expect((await all.thaw(frozenAll)).sort()).toEqual([plain, app].sort());
    }
    expect(await advancing([plain, app])).toEqual([true, true]);
    // thawing again: nothing was paused, nothing is resumed, no error
    expect(await all.thaw(frozenAll)).toEqual([]);
  });

  it('leaves containers paused by someone else alone', async () => {
    const mine = await runCounter('mine');
    const theirs = await runCounter('theirs');
    await engine!.docker(['pause', theirs]);
    try {
      const provider = new DockerFreeze(dockerConfig(engine!.socket));
      const frozen = await provider.freeze();
      expect(frozen).not.toContain(theirs);
      expect(frozen).toContain(mine);
      expect(await provider.thaw(frozen)).toContain(mine);
      expect(await advancing([mine, theirs])).toEqual([true, false]);
    } finally {
      await engine!.docker(['unpause', theirs]);
    }
  });

  it('a container removed while paused does not break thaw', async () => {
    const doomed = await runCounter('doomed', ['ff.test=doomed']);
    const survivor = await runCounter('survivor', ['ff.test=doomed']);
    const provider = new DockerFreeze(dockerConfig(engine!.socket, ['ff.test=doomed']));
    const frozen = await provider.freeze();
    expect([...frozen].sort()).toEqual([doomed, survivor].sort());
    await engine!.docker(['rm', '-f', doomed]);
    counters.delete(doomed);
    expect(await provider.thaw(frozen)).toEqual([survivor]);
    expect(await advancing([survivor])).toEqual([true]);
  });

  it('the engine API reports state changes and errors by container and socket', async () => {
    const api = createDockerApi(engine!.socket);
    const id = await runCounter('api');
    expect(await api.pause(id)).toBe(true);
    expect(await api.pause(id)).toBe(false);
    expect((await api.inspect(id)).paused).toBe(true);
    expect(await api.unpause(id)).toBe(true);
    expect(await api.unpause(id)).toBe(false);
    expect(await api.stop(id, { timeoutSeconds: 0 })).toBe(true);
    expect(await api.stop(id, { timeoutSeconds: 0 })).toBe(false);
    expect(await api.start(id)).toBe(true);
    expect(await api.start(id)).toBe(false);
    await expect(api.pause('no-such-container')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(new RegExp(`${engine!.socket}.*no-such-container`)),
    });
    await expect(createDockerApi(join(work, 'nothing.sock')).listContainers()).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('nothing.sock'),
    });
  });

  // last: it stops the engine
  it('a stopped engine leaves no cgroup, mount or data of its own behind', async () => {
    await engine!.stop();
    if (!hadDockerFreezer) expect(existsSync(DOCKER_FREEZER), `${DOCKER_FREEZER} left by the engine`).toBe(false);
    expect(existsSync(join(work, 'd', 'docker')), 'its data root').toBe(false);
  });
});
