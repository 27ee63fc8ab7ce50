import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentConfigSchema, isFfError, type FreezeConfig } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandFreeze } from '@freezeframe/agent/providers/freeze/command.js';
import { call, client, sleep, startAgent, stopAgent, writeAgentConfig, type TestAgent } from './support/agents.js';
import { makePki, type Pki } from './support/pki.js';
import { claim } from './support/claim.js';

await claim();

// The `command` freeze kind: operator hooks from the agent config. The post hook must run in
// every way a freeze can end: thaw, failed pre hook, timed-out pre hook, lease expiry.

type CommandConfig = Extract<FreezeConfig, { kind: 'command' }>;
const SH = '/usr/bin/sh';

function commandConfig(pre: string[] | undefined, post: string[] | undefined, preTimeout = '5s'): CommandConfig {
  const cfg = agentConfigSchema.parse({
    name: 'app-1',
    listen: '127.0.0.1:0',
    tls: { ca: 'ca', cert: 'c', key: 'k' },
    freeze: { kind: 'command', ...(pre ? { pre: { argv: pre, timeout: preTimeout } } : {}), ...(post ? { post: { argv: post } } : {}) },
  });
  return cfg.freeze as CommandConfig;
}

describe('command freeze hooks', () => {
  let root: string;
  const log = () => join(root, 'hooks.log');
  const lines = () => (existsSync(log()) ? readFileSync(log(), 'utf8').trim().split('\n') : []);
  const append = (what: string) => [SH, '-c', `echo ${what} >> ${log()}`];

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ff-hooks-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs pre at freeze and post at thaw', async () => {
    rmSync(log(), { force: true });
    const f = new CommandFreeze(commandConfig(append('pre'), append('post')));
    const ids = await f.freeze();
    expect(ids).toEqual(['command:sh']);
    expect(lines()).toEqual(['pre']);
    expect(await f.thaw()).toEqual(ids);
    expect(lines()).toEqual(['pre', 'post']);
  });

  it('runs post after a failing pre hook and reports both', async () => {
    rmSync(log(), { force: true });
    const f = new CommandFreeze(commandConfig([SH, '-c', `echo pre >> ${log()}; echo cannot lock tables >&2; exit 3`], append('post')));
    const err = await f.freeze().catch((e: unknown) => e);
    expect(isFfError(err, 'FREEZE_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/pre hook .* exited with 3: cannot lock tables; the post hook ran/);
    expect(lines()).toEqual(['pre', 'post']);
  });

  it('runs post after a pre hook that times out (its process group is killed)', async () => {
    rmSync(log(), { force: true });
    const marker = join(root, 'late');
    const f = new CommandFreeze(commandConfig([SH, '-c', `echo pre >> ${log()}; sleep 3; touch ${marker}`], append('post'), '300ms'));
    const t0 = Date.now();
    const err = await f.freeze().catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect((err as Error).message).toMatch(/did not finish within 300 ms and was killed; the post hook ran/);
    expect(lines()).toEqual(['pre', 'post']);
    await sleep(3_200);
    expect(existsSync(marker)).toBe(false);
  });

  it('says so when the post hook fails too', async () => {
    const f = new CommandFreeze(commandConfig([SH, '-c', 'exit 1'], [SH, '-c', 'echo no >&2; exit 2']));
    await expect(f.freeze()).rejects.toThrow(/the post hook failed too: .*exited with 2: no/);
    await expect(f.thaw()).rejects.toMatchObject({ code: 'FREEZE_FAILED', message: expect.stringMatching(/post hook .* failed/) });
  });

  it('refuses a config without hooks or with a relative program', () => {
    const parse = (freeze: object) => agentConfigSchema.safeParse({ name: 'a', listen: '127.0.0.1:0', tls: { ca: 'c', cert: 'c', key: 'k' }, freeze });
    const none = parse({ kind: 'command' });
    expect(none.success).toBe(false);
    expect(JSON.stringify(none.error?.issues)).toMatch(/needs a pre or a post hook/);
    const rel = parse({ kind: 'command', pre: { argv: ['sh', '-c', 'x'] } });
    expect(JSON.stringify(rel.error?.issues)).toMatch(/absolute path of a program/);
  });
});

describe('command freeze on a real agent: lease expiry runs the post hook', () => {
  let root: string;
  let pki: Pki;
  let agent: TestAgent | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-hooks-agent-'));
    pki = await makePki(join(root, 'pki'), ['director', 'app-1']);
  });
  afterAll(async () => {
    if (agent) await stopAgent(agent);
    rmSync(root, { recursive: true, force: true });
  });

  it('freezes with the pre hook, then the lease runs out and the post hook runs; a failed pre thaws at once', async () => {
    const log = join(root, 'hooks.log');
    const flag = join(root, 'fail-pre');
    const cfg = writeAgentConfig(
      root,
      pki,
      'app-1',
      `freeze:\n  kind: command\n  pre: { argv: [${SH}, -c, 'echo pre >> ${log}; test ! -e ${flag}'], timeout: 5s }\n  post: { argv: [${SH}, -c, 'echo post >> ${log}'] }\n`,
    );
    agent = await startAgent('app-1', cfg);
    const c = client(pki, 'director', agent);
    try {
      const f = await call(c, 'Freeze', { backup_id: '20240101_000000', lease_ms: 400 });
      expect(f.frozen).toEqual(['command:sh']);
      expect(readFileSync(log, 'utf8')).toBe('pre\n');
      expect((await call(c, 'Health', {})).frozen).toEqual(['20240101_000000']);
      await sleep(1_000);
      expect(readFileSync(log, 'utf8')).toBe('pre\npost\n');
      expect((await call(c, 'Health', {})).frozen).toEqual([]);
      expect(agent.stderr.join('\n')).toMatch(/lease expired/);

      rmSync(log);
      writeFileSync(flag, ''); // makes the pre hook fail
      await expect(call(c, 'Freeze', { backup_id: '20240101_000001', lease_ms: 60_000 })).rejects.toMatchObject({
        details: expect.stringMatching(/pre hook .* exited with 1; the post hook ran/),
      });
      expect(readFileSync(log, 'utf8')).toBe('pre\npost\n');
      expect((await call(c, 'Health', {})).frozen).toEqual([]);
    } finally {
      c.close();
    }
  });
});
