import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FfError } from './errors.js';
import { findBinary, run } from './run.js';

describe('process runner', () => {
  it('runs an absolute binary with argv, no shell', async () => {
    const r = await run({ bin: findBinary('echo'), args: ['$(id)', ';', 'x'], timeoutMs: 5000 });
    expect(r.stdout).toBe('$(id) ; x\n');
  });
  it('refuses a relative binary', () => {
    expect(() => run({ bin: 'echo', args: [], timeoutMs: 1000 })).toThrow(/absolute/);
  });
  it('scrubs the environment', async () => {
    process.env.FF_SECRET_TEST = 'leak';
    const r = await run({ bin: findBinary('env'), args: [], timeoutMs: 5000, env: { ONLY: '1' } });
    expect(r.stdout).not.toContain('FF_SECRET_TEST');
    expect(r.stdout).toContain('ONLY=1');
    delete process.env.FF_SECRET_TEST;
  });
  it('puts the stderr tail and exit code into the error', async () => {
    const err = await run({ bin: findBinary('ls'), args: ['/nonexistent-ff'], timeoutMs: 5000 }).catch((e) => e);
    expect(err).toBeInstanceOf(FfError);
    expect(err.code).toBe('COMMAND_FAILED');
    expect(err.message).toMatch(/exited with 2: .*nonexistent-ff/);
    expect(err.details.exitCode).toBe(2);
  });
  it('kills the whole process group on timeout', async () => {
    // sh starts a grandchild sleep; both must be gone after the timeout
    const marker = `/tmp/ff-run-test-${process.pid}`;
    const err = await run({
      bin: findBinary('sh'),
      args: ['-c', `sleep 30 & echo $! > ${marker}; wait`],
      timeoutMs: 300,
    }).catch((e) => e);
    expect(err.code).toBe('COMMAND_TIMEOUT');
    const { readFileSync, rmSync } = await import('node:fs');
    const pid = readFileSync(marker, 'utf8').trim();
    rmSync(marker);
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')).toBe(false);
  });
  it('cancels on abort', async () => {
    const ac = new AbortController();
    const p = run({ bin: findBinary('sleep'), args: ['30'], timeoutMs: 10_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
  });
  it('streams lines split on \\r and \\n', async () => {
    const lines: string[] = [];
    await run({ bin: findBinary('printf'), args: ['a\\rb\\nc\\n'], timeoutMs: 5000, onStdoutLine: (l) => lines.push(l) });
    expect(lines).toEqual(['a', 'b', 'c']);
  });
  it('reports a missing program clearly', () => {
    expect(() => findBinary('no-such-program-ff')).toThrow(/'no-such-program-ff' is not installed/);
  });
});
