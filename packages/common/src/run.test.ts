import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FfError } from './errors.js';
import { findBinary, run, spawnProcess } from './run.js';

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
  it('keeps the last maxStdout bytes of a long output written a line at a time, and says it left the rest out', async () => {
    const lines: string[] = [];
    const script = 'i=0; while [ $i -lt 5000 ]; do echo line-$i; i=$((i+1)); done';
    const r = await run({ bin: findBinary('sh'), args: ['-c', script], timeoutMs: 20_000, maxStdout: 1000, onStdoutLine: (l) => lines.push(l) });
    const whole = Array.from({ length: 5000 }, (_, i) => `line-${i}\n`).join('');
    expect(r.stdoutBytes.toString()).toBe(whole.slice(-1000));
    expect(r.stdout).toBe(whole.slice(-1000));
    expect(r.stdoutTruncated).toBe(true);
    expect(lines).toHaveLength(5000);
    // maxStdout 0: every line to the callback, nothing kept (checksums.ts's listing)
    const none: string[] = [];
    const kept = await run({ bin: findBinary('sh'), args: ['-c', script], timeoutMs: 20_000, maxStdout: 0, onStdoutLine: (l) => none.push(l) });
    expect(kept.stdout).toBe('');
    expect(kept.stdoutTruncated).toBe(true);
    expect(none).toHaveLength(5000);
    const short = await run({ bin: findBinary('sh'), args: ['-c', 'echo a; echo b'], timeoutMs: 5000, maxStdout: 1000 });
    expect(short.stdout).toBe('a\nb\n');
    expect(short.stdoutTruncated).toBe(false);
  });
  describe('stdout through a file (stdoutFile)', () => {
    const dirs: string[] = [];
    const privateDir = () => {
      const d = mkdtempSync(join(tmpdir(), 'ff-run-test-'));
      dirs.push(d);
      return d;
    };
    afterAll(() => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('hands over each line while the program still runs, all of them in order, and removes the file', async () => {
      const path = join(privateDir(), 'stdout');
      const lines: string[] = [];
      let runningAtFirst: boolean | undefined;
      const script = 'echo first; sleep 0.5; i=0; while [ $i -lt 3000 ]; do printf "\\rline-$i"; i=$((i+1)); done; echo; echo last';
      const p = spawnProcess({
        bin: findBinary('sh'),
        args: ['-c', script],
        timeoutMs: 20_000,
        maxStdout: 1000,
        stdoutFile: { path, everyMs: 50 },
        onStdoutLine: (l) => {
          if (l === 'first') runningAtFirst = p.child.exitCode === null;
          lines.push(l);
        },
      });
      const r = await p.done;
      expect(runningAtFirst).toBe(true);
      expect(lines).toEqual(['first', ...Array.from({ length: 3000 }, (_, i) => `line-${i}`), 'last']);
      expect(r.stdout.endsWith('\rline-2999\nlast\n')).toBe(true);
      expect(r.stdoutBytes.length).toBe(1000);
      expect(r.stdoutTruncated).toBe(true);
      expect(existsSync(path)).toBe(false);
    });

    it('a program silent for longer than the first quick reads still hands over its lines while it runs', async () => {
      const path = join(privateDir(), 'stdout');
      let runningAtFirst: boolean | undefined;
      const lines: string[] = [];
      const p = spawnProcess({
        bin: findBinary('sh'),
        args: ['-c', 'sleep 1.3; echo late; sleep 0.5; echo last'],
        timeoutMs: 20_000,
        stdoutFile: { path, everyMs: 50 },
        onStdoutLine: (l) => {
          if (l === 'late') runningAtFirst = p.child.exitCode === null;
          lines.push(l);
        },
      });
      await p.done;
      expect(runningAtFirst).toBe(true);
      expect(lines).toEqual(['late', 'last']);
    });

    it('gives back the blocks of what it has read, so a long output does not fill the folder', async () => {
      const path = join(privateDir(), 'stdout');
      const mib = 32;
      // 1 MiB of 64-byte lines at a time, with pauses: the reader keeps up, as with rsync
      const script = `for i in $(seq ${mib}); do yes ${'x'.repeat(63)} | head -c 1048576; sleep 0.03; done`;
      let lines = 0;
      let maxAllocated = 0;
      const r = await run({
        bin: findBinary('sh'),
        args: ['-c', script],
        timeoutMs: 60_000,
        stdoutFile: { path, everyMs: 50 },
        onStdoutLine: () => {
          if (++lines % 4096 === 0) maxAllocated = Math.max(maxAllocated, statSync(path).blocks * 512);
        },
      });
      expect(lines).toBe((mib << 20) / 64);
      expect(r.stdoutTruncated).toBe(true);
      expect(maxAllocated).toBeGreaterThan(0);
      // holes are punched past 8 MiB read; without them the file holds all 32
      expect(maxAllocated).toBeLessThan(16 << 20);
    });

    it('refuses a file or a symlink already at the path, and starts nothing', () => {
      const dir = privateDir();
      const victim = join(dir, 'victim');
      writeFileSync(victim, 'keep');
      symlinkSync(victim, join(dir, 'link'));
      const marker = join(dir, 'started');
      for (const name of ['victim', 'link']) {
        expect(() => spawnProcess({ bin: findBinary('touch'), args: [marker], timeoutMs: 5000, stdoutFile: { path: join(dir, name), everyMs: 50 } })).toThrow(/EEXIST/);
      }
      expect(readFileSync(victim, 'utf8')).toBe('keep');
      expect(existsSync(marker)).toBe(false);
    });
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
