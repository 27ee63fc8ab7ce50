import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerFilters, createDockerApi } from './docker-api.js';

// The real engine is exercised in test/freeze-docker.test.ts; here a unix-socket HTTP server
// replays the engine's recorded answers (20.10: 'is not paused' comes back as 500).
const ANSWERS: Record<string, [number, string]> = {
  'POST /containers/aaa/pause': [204, ''],
  'POST /containers/bbb/pause': [409, '{"message":"Container bbb is already paused"}'],
  'POST /containers/bbb/unpause': [500, '{"message":"Container bbb is not paused"}'],
  'POST /containers/ccc/pause': [409, '{"message":"Container ccc is not running"}'],
  'POST /containers/ddd/pause': [404, '{"message":"No such container: ddd"}'],
  'POST /containers/eee/stop?t=3': [304, ''],
};

describe('docker engine API client', () => {
  let dir = '';
  let socket = '';
  let server: Server;
  const seen: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ff-dapi-'));
    socket = join(dir, 'engine.sock');
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url?.startsWith('/containers/slow/')) return; // never answers
      const [status, body] = ANSWERS[`${req.method} ${req.url}`] ?? [500, '{"message":"unexpected"}'];
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
    });
    await new Promise<void>((r) => server.listen(socket, r));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('builds label filters that the engine ANDs', () => {
    expect(JSON.parse(containerFilters({ running: true, labels: ['a', 'b=c'] }))).toEqual({ status: ['running'], label: ['a', 'b=c'] });
    expect(containerFilters({})).toBe('{}');
  });

  it('tells "did it" from "was already so"', async () => {
    const api = createDockerApi(socket);
    expect(await api.pause('aaa')).toBe(true);
    expect(await api.pause('bbb')).toBe(false);
    expect(await api.unpause('bbb')).toBe(false);
    expect(await api.stop('eee', { timeoutSeconds: 3 })).toBe(false);
    expect(seen).toContain('POST /containers/eee/stop?t=3');
  });

  it('names the socket, the container and the engine message in errors', async () => {
    const api = createDockerApi(socket);
    await expect(api.pause('ccc')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/engine\.sock: pause container ccc: Container ccc is not running \(HTTP 409\)/) });
    await expect(api.pause('ddd')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('No such container: ddd') });
    await expect(api.pause('../x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('times out and reports an unreachable socket', async () => {
    await expect(createDockerApi(socket, { timeoutMs: 100 }).pause('slow')).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', message: expect.stringContaining('100 ms') });
    await expect(createDockerApi(join(dir, 'none.sock')).ping()).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('none.sock'), hint: expect.stringContaining('dockerd') });
  });

  it('stops waiting when aborted', async () => {
    const ac = new AbortController();
    const p = createDockerApi(socket).pause('slow', ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
