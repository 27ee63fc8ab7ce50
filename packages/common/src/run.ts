import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, lstatSync, openSync, read, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
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
  /**
   * The child writes its stdout to this new file (created here, never through a symlink: put it
   * in a private folder), read every `everyMs` (every FIRST_READ_MS until the first bytes came,
   * for up to FIRST_READS_FOR_MS), its blocks given back as they are read (PUNCH_BYTES) and
   * removed at the end. A pipe wakes this
   * process for every write: rsync writes its progress once per file, ~10 µs of CPU each for the
   * agent (bench/PROFILE.md, seventeenth pass).
   */
  stdoutFile?: { path: string; everyMs: number };
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

/**
 * The last `max` bytes of a stream. Drops the oldest chunks in bulk, once twice `max` has
 * gathered, and copies no bytes until `toBuffer`: rsync writes a line at a time (a shift of the
 * oldest chunk per push copied the whole array: 5 s of CPU for 200 000 lines), and a copy of the
 * kept megabyte at each drop was most of what following a 200 000-file rsync's output cost
 * (bench/PROFILE.md, twenty-first pass).
 */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    if (this.size > 2 * this.max) {
      let drop = 0;
      while (drop < this.chunks.length && this.size - this.chunks[drop]!.length >= this.max) this.size -= this.chunks[drop++]!.length;
      this.chunks.splice(0, drop);
      this.dropped = true;
    }
  }
  /** Bytes were left out: the stream was longer than `max`. */
  get truncated(): boolean {
    return this.dropped || this.size > this.max;
  }
  toBuffer(): Buffer {
    const b = Buffer.concat(this.chunks, this.size);
    return b.length > this.max ? b.subarray(b.length - this.max) : b;
  }
  toString(): string {
    return this.toBuffer().toString('utf8');
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

/** How often a stdoutFile is read before its first bytes: a caller may wait on the first line (rsync's remote command). */
const FIRST_READ_MS = 2;
/**
 * For how long at most: a program that prints nothing until it ends (rsync asked for no progress)
 * would otherwise be read 500 times a second, ~35 ms of CPU per second here (bench/PROFILE.md,
 * twenty-sixth pass).
 */
const FIRST_READS_FOR_MS = 1_000;
/**
 * Bytes of a stdoutFile read before their blocks are given back (a hole punched where they were):
 * rsync writes ~150 bytes per file it sends, and the file may be on a small tmpfs (/run).
 */
const PUNCH_BYTES = 8 << 20;
const readFd = promisify(read);

/** Reads a file a program writes, as it grows, into `onChunk`; `end` reads the rest once the program is gone. */
function followFile(path: string, everyMs: number, onChunk: (b: Buffer) => void) {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  // 64 KiB reads: the line splitter joins and splits each read as one string, which cost 5x as much
  // per byte with 256 KiB reads (bench/PROFILE.md, twenty-first pass)
  const buf = Buffer.allocUnsafe(64 << 10);
  const started = Date.now();
  let seen = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let failed: unknown;
  let offset = 0;
  let punched = 0;
  const drain = async () => {
    for (;;) {
      const { bytesRead } = await readFd(fd, buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      seen = true;
      offset += bytesRead;
      onChunk(Buffer.from(buf.subarray(0, bytesRead)));
    }
  };
  // the writer's offset goes on past the hole: nothing it writes later is touched. A file system
  // without holes keeps the whole file, as before this existed (punched stays -1).
  const punch = async () => {
    if (punched < 0 || offset - punched < PUNCH_BYTES) return;
    const args = ['--punch-hole', '--offset', String(punched), '--length', String(offset - punched), path];
    try {
      await run({ bin: findBinary('fallocate'), args, timeoutMs: 30_000 });
      punched = offset;
    } catch {
      punched = -1;
    }
  };
  let reading = Promise.resolve();
  const tick = () => {
    reading = reading
      .then(drain)
      .then(punch)
      .catch((e: unknown) => void (failed ??= e))
      .then(() => {
        if (!stopped) timer = setTimeout(tick, seen || Date.now() - started >= FIRST_READS_FOR_MS ? everyMs : FIRST_READ_MS);
      });
  };
  tick();
  let ended: Promise<void> | undefined;
  const end = async () => {
    stopped = true;
    clearTimeout(timer);
    try {
      await reading;
      if (failed === undefined) await drain();
    } finally {
      closeSync(fd);
      rmSync(path, { force: true });
    }
    if (failed !== undefined) throw failed;
  };
  /** Reads what is left; rejects when any read failed (lines would be missing). Once. */
  return { end: () => (ended ??= end()) };
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
  const outFile = opts.stdoutFile && !opts.inOut && !pipeStdio ? opts.stdoutFile : undefined;
  const outFd = outFile ? openSync(outFile.path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600) : undefined;
  let child: ChildProcess;
  try {
    child = spawn(opts.bin, [...opts.args], {
      cwd: opts.cwd ?? '/',
      env: baseEnv(opts.env),
      shell: false,
      detached: true, // own process group, so a kill reaches rsync's children too
      stdio: [...(opts.inOut ? [opts.inOut, opts.inOut] : ['pipe' as const, outFd ?? ('pipe' as const)]), 'pipe', ...(opts.fd3 ? ['pipe' as const] : [])],
    });
  } catch (e) {
    if (outFile) rmSync(outFile.path, { force: true });
    throw e;
  } finally {
    // the child has its own copy
    if (outFd !== undefined) closeSync(outFd);
  }
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

  let follower: ReturnType<typeof followFile> | undefined;
  if (!pipeStdio) {
    const outLine = opts.onStdoutLine ? lineSplitter(opts.onStdoutLine) : undefined;
    const onOut = (b: Buffer) => {
      stdout.push(b);
      outLine?.(b);
      opts.onStdout?.(b);
    };
    if (outFile) follower = followFile(outFile.path, outFile.everyMs, onOut);
    else child.stdout?.on('data', onOut);
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
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error, readError?: unknown) => {
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
      } else if (readError !== undefined) {
        reject(new FfError('COMMAND_FAILED', `${cmd}: could not read its output in ${outFile?.path}: ${readError instanceof Error ? readError.message : String(readError)}`, { cause: readError }));
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
    child.once('error', (e) => {
      // never started: nothing writes the file
      void follower?.end().catch(() => undefined);
      finish(null, null, e);
    });
    child.once('close', (code, signal) => {
      if (!follower) return finish(code, signal);
      follower.end().then(
        () => finish(code, signal),
        (e: unknown) => finish(code, signal, undefined, e),
      );
    });
  });
  return { child, done, kill };
}

/** Runs a program to completion and returns its captured output (see RunOptions). */
export function run(opts: RunOptions): Promise<RunResult> {
  return spawnProcess(opts).done;
}
