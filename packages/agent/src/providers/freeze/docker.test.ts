import { describe, expect, it } from 'vitest';
import { FfError } from '@freezeframe/common';
import type { ContainerSummary, DockerApi } from '../../tools/docker-api.js';
import { DockerFreeze } from './docker.js';

const id = (c: string) => c.repeat(64);

/** An in-memory engine: the real one is exercised in test/freeze-docker.test.ts. */
function fakeEngine(containers: ContainerSummary[], failPause: Set<string>) {
  const paused = new Set<string>();
  const api: DockerApi = {
    socket: '/fake.sock',
    ping: async () => undefined,
    listContainers: async () => containers,
    inspect: async () => {
      throw new Error('unused');
    },
    pause: async (cid) => {
      if (failPause.has(cid)) throw new FfError('COMMAND_FAILED', `docker engine at /fake.sock: pause container ${cid}: freezer stuck`);
      paused.add(cid);
      return true;
    },
    unpause: async (cid) => {
      if (cid === id('9')) throw new FfError('NOT_FOUND', 'No such container');
      return paused.delete(cid);
    },
    stop: async () => true,
    start: async () => true,
  };
  return { api, paused };
}

const cfg = { kind: 'docker' as const, socket: '/fake.sock', labels: [] };

describe('DockerFreeze', () => {
  it('skips the agent container and unpauses everything when one pause fails', async () => {
    const containers: ContainerSummary[] = [
      { id: id('a'), names: ['app-a'], labels: {}, state: 'running' },
      { id: id('b'), names: ['app-b'], labels: {}, state: 'running' },
      { id: id('c'), names: ['agent'], labels: { 'freezeframe.role': 'agent' }, state: 'running' },
    ];
    const ok = fakeEngine(containers, new Set());
    expect((await new DockerFreeze(cfg, undefined, ok.api).freeze()).sort()).toEqual([id('a'), id('b')]);

    const bad = fakeEngine(containers, new Set([id('b')]));
    const err = await new DockerFreeze(cfg, undefined, bad.api).freeze().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'FREEZE_FAILED', message: expect.stringContaining('app-b') });
    expect(bad.paused.size).toBe(0);
  });

  it('thaw ignores containers that are gone and refuses ids that are not container ids', async () => {
    const { api } = fakeEngine([], new Set());
    const provider = new DockerFreeze(cfg, undefined, api);
    expect(await provider.thaw([id('9')])).toEqual([]);
    await expect(provider.thaw(['../../x'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
