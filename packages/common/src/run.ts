import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, lstatSync } from 'node:fs';
import type { Socket } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { FfError } from './errors.js';
import { silentLogger, type Logger } from './log.js';

/**
 * The one way freezeframe starts a program: absolute path, argv array, no shell, a scrubbed
 * environment, a timeout and an abort signal that kill the whole process group, bounded
 * capture of stdout/stderr, and the stderr tail in the error.
 */
export interface RunOptions {
  /** Absolute path of the binary (see `findBinary`). */
  bin: string;
  args: readonly string[];
  /** Milliseconds until the process group is killed. Required: nothing runs forever. */
  timeoutMs: number;
  signal?: AbortSignal;
  cwd?: string;
  /** Extra environment on top of the scrubbed base (PATH, LANG=C). */
  env?: Record<string, string>;
  input?: string | Buffer;
  /** Called per line of stdout/stderr as it arrives ('\r' also ends a line: rsync progress). */
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Called with each chunk of stdout as it arrives: a long listing is parsed while the program still writes it. */
  onStdout?: (chunk: Buffer) => void;
  /** Exit codes that are not failures (default: [0]). */
  okExitCodes?: readonly number[];
  /** Bytes of stdout/stderr kept (default 1 MiB / 64 KiB). */
  maxStdout?: number;
  maxStderr?: number;
  logger?: Logger;
  /**
   * The child's stdin and stdout are this socket: it reads and writes the descriptor itself and
   * node does neither (the data channel's native byte path hands rsync its connection so).
   */
  inOut?: Socket;
  /**
   * Opens the child's descriptor 3 as a pipe: what this resolves to is written there and the
   * pipe closed (empty when it rejects). stunnel reads its configuration so (`-fd 3`), also as
   * the remote shell of an rsync, which passes the descriptor on.
   */
  fd3?: Promise<string>;
}

export interface RunResult {
  code: number;
  stdout: string;
  /** stdout as bytes: file names are bytes, not always UTF-8. */
  stdoutBytes: Buffer;
  stderr: string;
  durationMs: number;
  /** stdout was longer than maxStdout: its beginning is missing. */
  stdoutTruncated: boolean;
}

const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const binCache = new Map<string, string>();
let standInDir: string | undefined;

/**
 * Tests only: programs in `dir` are found before the system's (stand-ins for lvcreate, gluster,
 * mount on machines without them). Called once at agent start from the config key
 * `testStandIns`, which the config loader accepts only on loopback listen addresses; never from
 * the environment, so an inherited variable cannot redirect what root runs.
 */
export function useStandIns(dir: string): void {
  if (!isAbsolute(dir)) throw new Error(`stand-in folder must be absolute, got ${dir}`);
  // root runs what is in it: a folder others could fill (or a link to one) would be theirs to run
  const st = lstatSync(dir);
  if (!st.isDirectory() || (st.mode & 0o022) !== 0 || st.uid !== (process.getuid?.() ?? st.uid)) {
    throw new FfError('CONFIG_INVALID', `testStandIns: ${dir} must be a folder owned by this user and writable by nobody else`);
  }
  standInDir = dir;
  binCache.clear();
}

/** Absolute path of `name` on a fixed system PATH (never the caller's PATH). */
export function findBinary(name: string): string {
  if (isAbsolute(name)) return name;
  const cached = binCache.get(name);
  if (cached) return cached;
  for (const dir of standInDir ? [standInDir, ...SAFE_PATH.split(':')] : SAFE_PATH.split(':')) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      binCache.set(name, candidate);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new FfError('FAILED_PRECONDITION', `program '${name}' is not installed (searched ${SAFE_PATH})`, {
    hint: `install the package that provides ${name}`,
  });
}

export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: SAFE_PATH, LANG: 'C', LC_ALL: 'C', ...extra };
}

class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.max && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
      this.truncated = true;
    }
  }
  toBuffer(): Buffer {
    const b = Buffer.concat(this.chunks);
    return b.length > this.max ? b.subarray(b.length - this.max) : b;
  }
  toString(): string {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return s.length > this.max ? s.slice(s.length - this.max) : s;
  }
}

function lineSplitter(onLine: (line: string) => void): (b: Buffer) => void {
  let rest = '';
  return (b) => {
    const parts = (rest + b.toString('utf8')).split(/\r\n|\r|\n/);
    rest = parts.pop() ?? '';
    for (const p of parts) if (p.length > 0) onLine(p);
  };
}

export interface Spawned {
  child: ChildProcess;
  /** Resolves when the process exits; rejects with an FfError on failure, timeout or abort. */
  done: Promise<RunResult>;
  /** Kills the process group. */
  kill(signal?: NodeJS.Signals): void;
}

function commandLine(opts: RunOptions): string {
  return [opts.bin, ...opts.args].join(' ');
}

/**
 * Starts the program; the caller may use `child.stdin`/`child.stdout` when `pipeStdio` is set
 * (the data channel pipes a socket into rsync), otherwise output is captured.
 */
export function spawnProcess(opts: RunOptions, pipeStdio = false): Spawned {
  if (!isAbsolute(opts.bin)) throw new Error(`runner: binary must be an absolute path, got ${opts.bin}`);
  const log = opts.logger ?? silentLogger;
  const started = Date.now();
  const child = spawn(opts.bin, [...opts.args], {
    cwd: opts.cwd ?? '/',
    env: baseEnv(opts.env),
    shell: false,
    detached: true, // own process group, so a kill reaches rsync's children too
    stdio: [...(opts.inOut ? [opts.inOut, opts.inOut] : ['pipe' as const, 'pipe' as const]), 'pipe', ...(opts.fd3 ? ['pipe' as const] : [])],
  });
  if (opts.fd3) {
    const fd3 = child.stdio[3] as Socket;
    fd3.on('error', () => undefined);
    // nothing comes back; reading lets the pipe close when the child (and whoever it passed it on to) ends
    fd3.resume();
    opts.fd3.then(
      (text) => fd3.end(text),
      () => fd3.end(),
    );
  }
  const stdout = new Tail(opts.maxStdout ?? 1 << 20);
  const stderr = new Tail(opts.maxStderr ?? 64 << 10);
  let killedFor: 'timeout' | 'abort' | undefined;

  const kill = (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    killedFor = 'timeout';
    kill();
  }, opts.timeoutMs);
  const onAbort = () => {
    killedFor ??= 'abort';
    kill();
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  if (!pipeStdio) {
    const outLine = opts.onStdoutLine ? lineSplitter(opts.onStdoutLine) : undefined;
    child.stdout?.on('data', (b: Buffer) => {
      stdout.push(b);
      outLine?.(b);
      opts.onStdout?.(b);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  }
  const errLine = opts.onStderrLine ? lineSplitter(opts.onStderrLine) : undefined;
  child.stderr!.on('data', (b: Buffer) => {
    stderr.push(b);
    errLine?.(b);
  });
  child.stdin?.on('error', () => {
    // EPIPE when the program exits before reading its input; the exit code tells the story
  });
  log.debug({ cmd: commandLine(opts) }, 'exec start');

  const done = new Promise<RunResult>((resolve, reject) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const durationMs = Date.now() - started;
      const result: RunResult = {
        code: code ?? -1,
        stdout: stdout.toString(),
        stdoutBytes: stdout.toBuffer(),
        stderr: stderr.toString(),
        durationMs,
        stdoutTruncated: stdout.truncated,
      };
      const cmd = commandLine(opts);
      log.debug({ cmd, code, signal, durationMs }, 'exec end');
      const errTail = result.stderr.trim().split('\n').slice(-5).join('\n');
      if (spawnError) {
        reject(new FfError('COMMAND_FAILED', `cannot start ${opts.bin}: ${spawnError.message}`, { cause: spawnError }));
      } else if (killedFor === 'timeout') {
        reject(
          new FfError('COMMAND_TIMEOUT', `${cmd} did not finish within ${opts.timeoutMs} ms and was killed`, {
            details: { stderr: result.stderr },
          }),
        );
      } else if (killedFor === 'abort') {
        reject(new FfError('CANCELLED', `${cmd} was cancelled`, { details: { stderr: result.stderr } }));
      } else if (!(opts.okExitCodes ?? [0]).includes(result.code)) {
        const how = signal ? `killed by ${signal}` : `exited with ${result.code}`;
        reject(
          new FfError('COMMAND_FAILED', `${cmd} ${how}${errTail ? `: ${errTail}` : ''}`, {
            details: { exitCode: result.code, signal, stderr: result.stderr, bin: opts.bin },
          }),
        );
      } else {
        resolve(result);
      }
    };
    child.once('error', (e) => finish(null, null, e));
    child.once('close', (code, signal) => finish(code, signal));
  });
  return { child, done, kill };
}

/** Runs a program to completion and returns its captured output (see RunOptions). */
export function run(opts: RunOptions): Promise<RunResult> {
  return spawnProcess(opts).done;
}
