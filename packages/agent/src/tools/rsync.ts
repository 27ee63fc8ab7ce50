import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import { FfError, findBinary, formatBytes, run, spawnProcess, type LeaveOutClass, type Logger } from '@freezeframe/common';

/** One `--info=progress2` update: bytes so far, percent of the whole transfer, rate as rsync prints it. */
export interface RsyncProgress {
  bytes: number;
  percent: number;
  rate: string;
  /** Files checked so far (from `to-chk=R/T`: T - R), 0 when rsync did not say. */
  filesChecked: number;
}

/**
 * progress2 lines as they come, the callback only with the last of those that arrived together:
 * rsync prints a line per file sent, each counting from the start, so the ones before it say
 * nothing more. Parsing each was ~1.5 s of the sending agent's CPU for 200 000 files
 * (bench/PROFILE.md, eighteenth pass).
 */
export function latestProgress(onProgress: (p: RsyncProgress) => void): (line: string) => void {
  let last: string | undefined;
  const report = () => {
    const p = parseProgressLine(last!);
    last = undefined;
    if (p) onProgress(p);
  };
  return (line) => {
    if (!PROGRESS_START_RE.test(line)) return;
    if (last === undefined) queueMicrotask(report);
    last = line;
  };
}

/** How often a transfer of a known size reads how much its rsync has read (RsyncPushOptions.expectedBytes). */
const READS_EVERY_MS = 250;

/**
 * Bytes process `pid` has read so far (`rchar` of /proc/<pid>/io, the kernel's count of what its
 * reads returned); undefined once it is gone.
 */
export async function bytesRead(pid: number): Promise<number | undefined> {
  try {
    const m = /^rchar: (\d+)$/m.exec(await readFile(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Progress of a transfer of `total` bytes from what its sending rsync `pid` has read, every
 * READS_EVERY_MS: rsync reads each file it sends once, whole, so this counts what a progress2
 * line would, plus the little the receiver answers; so the percent stays below 100 until rsync
 * is done.
 */
export function progressFromReads(pid: number, total: number, onProgress: (p: RsyncProgress) => void, everyMs = READS_EVERY_MS): { stop(): void } {
  let stopped = false;
  let last = { at: Date.now(), bytes: 0 };
  const timer = setInterval(() => {
    void bytesRead(pid).then((bytes) => {
      if (stopped || bytes === undefined) return;
      const at = Date.now();
      const perSecond = ((bytes - last.bytes) * 1000) / Math.max(1, at - last.at);
      last = { at, bytes };
      onProgress({ bytes, percent: Math.min(99, Math.floor((bytes * 100) / total)), rate: `${formatBytes(Math.round(perSecond))}/s`, filesChecked: 0 });
    });
  }, everyMs);
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** The `--stats` block of a finished rsync. */
export interface RsyncStats {
  filesTotal: number;
  filesTransferred: number;
  /** "Total file size": the size of the whole tree. */
  bytesTotal: number;
  /** "Literal data": bytes of file data actually sent (the delta). */
  bytesTransferred: number;
  /** "Total bytes sent": on the wire, including protocol overhead. */
  bytesSent: number;
}

const num = (s: string) => Number(s.replaceAll(',', ''));

/** How a progress2 line begins (the byte count, the percent): tells it from item lines and stats without parsing it. */
const PROGRESS_START_RE = /^ *[\d,]+ +\d+%/;
const PROGRESS_RE = /^ *([\d,]+) +(\d+)%\s+(\S+\/s)\s+\d+:\d{2}:\d{2}(?:\s+\(xfr#\d+, (?:to|ir)-chk=(\d+)\/(\d+)\))?/;

/** Parses one progress2 line (rsync ends them with '\r'); undefined for any other line. */
export function parseProgressLine(line: string): RsyncProgress | undefined {
  const m = PROGRESS_RE.exec(line);
  if (!m) return undefined;
  const remaining = m[4] === undefined ? undefined : Number(m[4]);
  const total = m[5] === undefined ? undefined : Number(m[5]);
  return {
    bytes: num(m[1]!),
    percent: Number(m[2]),
    rate: m[3]!,
    filesChecked: remaining !== undefined && total !== undefined ? total - remaining : 0,
  };
}

/** Parses the `--stats` block out of rsync's stdout; missing lines are an error (the output format changed). */
export function parseStats(stdout: string): RsyncStats {
  const field = (label: string): number => {
    const m = new RegExp(`^${label}: ([\\d,]+)`, 'm').exec(stdout);
    if (!m) throw new FfError('INTERNAL', `rsync --stats output has no "${label}" line`, { details: { stdout: stdout.slice(-2000) } });
    return num(m[1]!);
  };
  return {
    filesTotal: field('Number of files'),
    filesTransferred: field('Number of regular files transferred'),
    bytesTotal: field('Total file size'),
    bytesTransferred: field('Literal data'),
    bytesSent: field('Total bytes sent'),
  };
}

/** `rsync --version`'s first line, e.g. "3.5.0 protocol 32". */
export function parseVersion(stdout: string): string {
  const m = /rsync\s+version\s+(\S+)\s+protocol version (\d+)/.exec(stdout);
  return m ? `${m[1]} protocol ${m[2]}` : (stdout.split('\n')[0] ?? '').trim();
}

let knownVersion: Promise<string> | undefined;

/**
 * The installed rsync's version, asked once per agent process: Describe runs at every preflight,
 * and starting rsync each time cost 20-30 ms of CPU per call (x 100 agents on 2 cores).
 */
export function rsyncVersion(): Promise<string> {
  knownVersion ??= run({ bin: findBinary('rsync'), args: ['--version'], timeoutMs: 10_000 }).then(
    (r) => parseVersion(r.stdout),
    (e: unknown) => {
      knownVersion = undefined;
      throw e;
    },
  );
  return knownVersion;
}

/** Keeps the `rsync --version` output the agent already ran at start (its version check). */
export function rememberRsyncVersion(stdout: string): void {
  knownVersion = Promise.resolve(parseVersion(stdout));
}

/**
 * The first argument after the executable that makes a single executable (a package's
 * /usr/bin/freezeframe-agent, built by scripts/package.mjs) run the tunnel instead of the agent.
 */
export const SEA_TUNNEL_ARG = '--data-tunnel';

/** Where the tunnel program lives: dist/tunnel.js next to dist/tools/; in a single executable, SEA_TUNNEL_ARG. */
export function tunnelScript(): string {
  if (isSea()) return SEA_TUNNEL_ARG;
  return join(dirname(dirname(fileURLToPath(import.meta.url))), 'tunnel.js');
}

/** Environment the tunnel reads (never argv: argv is visible to every user in ps). */
export interface TunnelEnv {
  host: string;
  port: number;
  ticket: string;
  /** Expected certificate identity of the receiver. */
  peer: string;
  direction: 'backup' | 'restore';
  /** `crl`: the receiver's certificate must not be in it. */
  tls: { ca: string; cert: string; key: string; crl?: string | undefined };
  /** stunnel's path: ask the receiver for the native byte path. */
  stunnel?: string | undefined;
  /** With stunnel: the transfer's own folder for the tunnel's files (rsyncPush makes it in `tunnelDir`). */
  dir?: string | undefined;
}

export function tunnelEnvVars(t: TunnelEnv): Record<string, string> {
  return {
    FF_TUNNEL_HOST: t.host,
    FF_TUNNEL_PORT: String(t.port),
    FF_TUNNEL_TICKET: t.ticket,
    FF_TUNNEL_PEER: t.peer,
    FF_TUNNEL_DIRECTION: t.direction,
    FF_TLS_CA: t.tls.ca,
    FF_TLS_CERT: t.tls.cert,
    FF_TLS_KEY: t.tls.key,
    ...(t.tls.crl !== undefined ? { FF_TLS_CRL: t.tls.crl } : {}),
    ...(t.stunnel ? { FF_TUNNEL_STUNNEL: t.stunnel } : {}),
    ...(t.dir ? { FF_TUNNEL_DIR: t.dir } : {}),
  };
}

export interface RsyncPushOptions {
  /** Folder whose contents are sent (a trailing '/' is added). */
  from: string;
  /** The receiver writes in place (ZFS/btrfs targets): the sender must match. */
  inplace: boolean;
  /**
   * 'delete' for backups; 'delete-after' for restores, so a failed restore never leaves half a tree
   * deleted first. Not 'delete-delay', although it keeps incremental recursion and needs ~70 bytes
   * less per file: when it cannot make its temp file in the receiver's root (immutable, full), rsync
   * 3.5 skips every deletion and still exits 0 (bench/PROFILE.md, twentieth pass).
   */
  deleteMode: 'delete' | 'delete-after';
  /**
   * Send only what this `--include-from` list (NUL-separated) selects, and delete nothing: the
   * second pass of a backup (see recheck.ts).
   */
  only?: string;
  /**
   * With `only`: delete (`deleteMode`) on the receiver what the sent tree lacks, inside what the
   * list selects. rsync never deletes what the rules exclude (no --delete-excluded, which the
   * receiver refuses anyway): a partial restore.
   */
  deleteSelected?: boolean;
  /** Symlinks stored munged by a receiver (`/rsyncd-munged/...`, dir targets) are sent back as they were. */
  unmungeLinks?: boolean;
  tunnel: TunnelEnv;
  /**
   * With tunnel.stunnel: a private folder (under runDir) in which each transfer gets one for the
   * tunnel's files, removed when rsync ends, also when it was killed.
   */
  tunnelDir?: string;
  onProgress?: (p: RsyncProgress) => void;
  /**
   * The size of what is sent, known beforehand (a restore of a whole entry: its manifest's).
   * onProgress then counts the bytes rsync has read (progressFromReads) instead of asking rsync
   * for a progress line per file, which cost a 200 000-file restore ~1.5 s (bench/PROFILE.md,
   * twenty-sixth pass); files checked are not counted.
   */
  expectedBytes?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
  logger?: Logger;
  /** The tunnel program (default: dist/tunnel.js of this package). */
  tunnelScript?: string;
  /** Compare every file by content (`--checksum`): `backup --deep`. */
  checksum?: boolean;
  /** Print every changed item (`--out-format`): needed by onSent and by the `contentOnly` and `leftOutDiffered` counts. */
  itemize?: boolean;
  /** Send without these (no `-A`, no `-X`): the source's `leaveOut`. */
  leaveOut?: readonly LeaveOutClass[];
  /** Count the files whose ACLs or xattrs of these classes differed on the receiver (with `itemize`): `leftOutDiffered`. */
  countDiffering?: readonly LeaveOutClass[];
  /** Called for every regular file sent, with its whole-file checksum (FILE_CHECKSUM) as the sender computed it (with `itemize`). */
  onSent?: (name: Buffer, sum: string) => void;
  /**
   * The receiver takes the session to stunnel, and this node has it (with `tunnelDir`): rsync's
   * remote shell is stunnel itself instead of the tunnel program. `open` makes the data channel's
   * handshake with rsync's remote command and returns stunnel's configuration, which stunnel
   * waits for on descriptor 3 (datachannel/send-native.ts).
   */
  native?: { stunnel: string; open: (args: string[], dir: string) => Promise<{ config: string; close(): void }> };
}

export interface RsyncPushResult extends RsyncStats {
  durationMs: number;
  exitCode: number;
  /** Files sent because their content differed although size and mtime were equal (only with `checksum` and `itemize`). */
  contentOnly: number;
  /** Items whose ACLs or xattrs (of `countDiffering`) differed on the receiver (only with `itemize`). */
  leftOutDiffered: number;
}

/**
 * The whole-file checksum both ends of the data channel use, pinned rather than negotiated: the
 * target recomputes it over what landed (fidelity.ts), so a peer that negotiated another one
 * must fail the transfer, not every comparison. Unsalted (rsync >= 3.2), so `%C` can print it.
 */
export const FILE_CHECKSUM = 'xxh128';
/** Hex digits of a FILE_CHECKSUM. */
export const FILE_CHECKSUM_HEX = 32;

/** Marks the per-file lines of `--out-format` among progress and stats on stdout. */
const ITEM_MARK = 'FFI';
const ITEM_FORMAT = `${ITEM_MARK} %i %C %n`;
const ITEM_RE = new RegExp(`^${ITEM_MARK} (.{11}) ([0-9a-f]{${FILE_CHECKSUM_HEX}}| {${FILE_CHECKSUM_HEX}}) (.+)$`);

/** One `--out-format` line: rsync's itemized changes, the sender's checksum (when rsync knows it) and the name as bytes. */
export interface RsyncItem {
  itemize: string;
  sum: string | undefined;
  name: Buffer;
}

/**
 * Decodes a name as rsync prints it in the C locale: every control and non-ASCII byte, and a
 * literal backslash-hash-three-digits, is `\#ooo` (octal), so the text maps back to exactly one name.
 */
export function decodeRsyncName(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === '#' && /^[0-7]{3}$/.test(s.slice(i + 2, i + 5))) {
      out.push(parseInt(s.slice(i + 2, i + 5), 8));
      i += 4;
    } else {
      out.push(s.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** Parses one of rsyncPush's `--out-format` lines; undefined for any other line. */
export function parseItemLine(line: string): RsyncItem | undefined {
  const m = ITEM_RE.exec(line);
  if (!m) return undefined;
  return { itemize: m[1]!, sum: m[2]!.startsWith(' ') ? undefined : m[2]!, name: decodeRsyncName(m[3]!) };
}

/** A regular file whose data was sent: '<' (pushed) or '>' (a local copy), then 'f'. */
export const isSentFile = (i: RsyncItem) => (i.itemize[0] === '<' || i.itemize[0] === '>') && i.itemize[1] === 'f' && i.sum !== undefined;

/**
 * A file `--checksum` found different although its size and mtime were equal: the quick check
 * alone would have skipped it. Itemized as `<fc.......`: 'c' set, 's' and 't'/'T' not.
 */
export const isContentOnlyChange = (i: RsyncItem) => isSentFile(i) && i.itemize[2] === 'c' && i.itemize[3] !== 's' && i.itemize[4] !== 't' && i.itemize[4] !== 'T';

/** Where rsync's itemized changes (`YXcstpoguax`) mark a changed ACL ('a') and changed xattrs ('x'). */
const ITEMIZE_AT: Record<LeaveOutClass, [number, string]> = { acls: [9, 'a'], xattrs: [10, 'x'] };

/** Whether an item's ACLs or xattrs, of `classes`, differed on the receiver (an existing item: a new one is all '+'). */
export const differsIn = (i: RsyncItem, classes: readonly LeaveOutClass[]) => classes.some((c) => i.itemize[ITEMIZE_AT[c][0]] === ITEMIZE_AT[c][1]);

/** rsync's short options for a transfer: archive and hard links, and ACLs and xattrs unless left out. */
export const archiveFlags = (leaveOut: readonly LeaveOutClass[] = []) => `-aH${leaveOut.includes('acls') ? '' : 'A'}${leaveOut.includes('xattrs') ? '' : 'X'}`;

/** Pins FILE_CHECKSUM for both the transfer and `--checksum` without an option the receiver would have to accept. */
export const CHECKSUM_ENV = { RSYNC_CHECKSUM_LIST: FILE_CHECKSUM, LC_ALL: 'C' };

function rshQuote(s: string): string {
  // rsync splits --rsh on spaces and honours quotes
  return /[\s'"]/.test(s) ? `'${s.replaceAll("'", '')}'` : s;
}

/** The host rsync names to its remote shell: a placeholder, the receiver is the tunnel's or stunnel's. */
const REMOTE_HOST = 'ff';
/** Words of the remote shell `<stunnel> -fd 3` before the host in rsync's remote command. */
const STUNNEL_RSH_WORDS = 3;
/**
 * How often the agent reads rsync's stdout (progress and the files sent), written to a file: a
 * pipe would wake it once per file sent (RunOptions.stdoutFile).
 */
const STDOUT_READ_MS = 50;
/** How long rsync may take to name its remote command (native: stunnel waits for its configuration until then). */
const REMOTE_COMMAND_WAIT_MS = 30_000;

/**
 * The remote command in rsync's `--debug=CMD2` line (`cmd[0]=<rsh> ... cmd[n]=<arg> `): the
 * arguments after the host, `rsync --server ...`. rsync's server arguments never hold " cmd[".
 */
export function parseRemoteCommand(line: string, rshWords: number): string[] | undefined {
  const words: string[] = [];
  let at = 0;
  for (let i = 0; line.startsWith(`cmd[${i}]=`, at); i++) {
    const start = at + `cmd[${i}]=`.length;
    const next = line.indexOf(` cmd[${i + 1}]=`, start);
    words.push(next < 0 ? line.slice(start).replace(/ $/, '') : line.slice(start, next));
    at = next < 0 ? line.length : next + 1;
  }
  const args = words.slice(rshWords + 1);
  return words[rshWords] === REMOTE_HOST && args[0] === 'rsync' && args[1] === '--server' ? args : undefined;
}

export function rsyncPushArgs(
  o: Pick<RsyncPushOptions, 'from' | 'inplace' | 'deleteMode' | 'tunnelScript' | 'only' | 'deleteSelected' | 'unmungeLinks' | 'checksum' | 'itemize' | 'expectedBytes' | 'leaveOut'> & { stunnel?: string },
): string[] {
  const rsh = o.stunnel ? `${rshQuote(o.stunnel)} -fd 3` : `${rshQuote(process.execPath)} ${rshQuote(o.tunnelScript ?? tunnelScript())}`;
  return [
    archiveFlags(o.leaveOut),
    '--numeric-ids',
    // --from0 before --include-from: rsync reads the list while it parses its options
    ...(o.only ? ['--from0', `--include-from=${o.only}`, '--exclude=*'] : []),
    ...(!o.only || o.deleteSelected ? [`--${o.deleteMode}`] : []),
    ...(o.inplace ? ['--inplace'] : []),
    ...(o.unmungeLinks ? ['--munge-links'] : []),
    ...(o.checksum ? ['--checksum'] : []),
    ...(o.expectedBytes ? [] : ['--info=progress2']),
    '--stats',
    // one line per changed item with the sender's whole-file checksum (fidelity.ts); rsync then
    // passes the receiver --log-format=%i, which receivers older than the feature refuse
    ...(o.itemize ? [`--out-format=${ITEM_FORMAT}`] : []),
    // names the remote command on stdout before it starts the remote shell (not passed on to it)
    ...(o.stunnel ? ['--debug=CMD2'] : []),
    '--rsh',
    rsh,
    `${o.from.replace(/\/+$/, '')}/`,
    // the receiver ignores the path: it writes where its ticket says
    `${REMOTE_HOST}:.`,
  ];
}

/** Runs the local rsync client sending `from` through the data-channel tunnel. */
export async function rsyncPush(o: RsyncPushOptions): Promise<RsyncPushResult> {
  // the transfer's private folder: rsync's stdout, and the tunnel's files (the tunnel removes its
  // own, except when a cancel kills rsync's process group)
  const work = o.tunnelDir ? await mkdtemp(join(o.tunnelDir, 'send-')) : undefined;
  const dir = o.tunnel.stunnel ? work : undefined;
  const native = dir ? o.native : undefined;
  let session: { close(): void } | undefined;
  let ended = false;
  try {
    let contentOnly = 0;
    let leftOutDiffered = 0;
    const countDiffering = o.countDiffering ?? [];
    const progress = o.onProgress && !o.expectedBytes ? latestProgress(o.onProgress) : undefined;
    let named: ((args: string[] | undefined) => void) | undefined;
    const config = native
      ? new Promise<string[] | undefined>((resolve, reject) => {
          named = resolve;
          setTimeout(() => reject(new FfError('TRANSFER_FAILED', `rsync did not name its remote command within ${REMOTE_COMMAND_WAIT_MS} ms`)), REMOTE_COMMAND_WAIT_MS).unref();
        }).then(async (args) => {
          if (!args) throw new FfError('TRANSFER_FAILED', 'rsync named a remote command that is not rsync --server');
          const s = await native.open(args, dir!);
          if (ended) s.close();
          else session = s;
          return s.config;
        })
      : undefined;
    config?.catch(() => undefined);
    const proc = spawnProcess({
      bin: findBinary('rsync'),
      args: rsyncPushArgs({ ...o, ...(native ? { stunnel: native.stunnel } : {}) }),
      env: { ...(native ? {} : tunnelEnvVars(dir ? { ...o.tunnel, dir } : o.tunnel)), ...(o.itemize ? CHECKSUM_ENV : {}) },
      timeoutMs: o.timeoutMs ?? 24 * 3_600_000,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
      ...(config ? { fd3: config } : {}),
      ...(work ? { stdoutFile: { path: join(work, 'stdout'), everyMs: STDOUT_READ_MS } } : {}),
      onStdoutLine: (line) => {
        if (named && line.startsWith('cmd[0]=')) {
          named(parseRemoteCommand(line, STUNNEL_RSH_WORDS));
          named = undefined;
          return;
        }
        const item = line.startsWith(ITEM_MARK) ? parseItemLine(line) : undefined;
        if (item) {
          if (countDiffering.length > 0 && differsIn(item, countDiffering)) leftOutDiffered++;
          if (!isSentFile(item)) return;
          o.onSent?.(item.name, item.sum!);
          if (isContentOnlyChange(item)) contentOnly++;
          return;
        }
        progress?.(line);
      },
    });
    const reads = o.onProgress && o.expectedBytes && proc.child.pid !== undefined ? progressFromReads(proc.child.pid, o.expectedBytes, o.onProgress) : undefined;
    void proc.done.catch(() => undefined).finally(() => reads?.stop());
    // rsync waits for stunnel, stunnel for its configuration: without one, neither goes on
    let failed: unknown;
    config?.catch((e: unknown) => {
      failed = e;
      proc.kill();
    });
    const r = await proc.done.catch((e: unknown) => {
      // the handshake's failure says more than the rsync it stopped
      throw failed ?? e;
    });
    return { ...parseStats(r.stdout), durationMs: r.durationMs, exitCode: r.code, contentOnly, leftOutDiffered };
  } finally {
    ended = true;
    session?.close();
    if (work) await rm(work, { recursive: true, force: true });
  }
}

/**
 * FILE_CHECKSUM of each of `names` (relative to `root`) as rsync computes it, by a local dry run
 * with `--checksum` into an empty folder: the same code that made the sender's sums. Keyed by the
 * name's bytes as latin1 text; a name that is not a regular file under `root` gets no entry.
 * Never follows a symlink to a file (no -L); callers pass only names a `find -P` walk listed.
 */
export async function rsyncFileSums(root: string, names: readonly Buffer[], emptyDir: string, timeoutMs = 6 * 3_600_000): Promise<Map<string, string>> {
  const sums = new Map<string, string>();
  if (names.length === 0) return sums;
  await run({
    bin: findBinary('rsync'),
    // --files-from implies --relative: the printed names are the listed ones
    args: ['--dry-run', '--checksum', `--checksum-choice=${FILE_CHECKSUM}`, '--from0', '--files-from=-', `--out-format=${ITEM_FORMAT}`, `${root.replace(/\/+$/, '')}/`, `${emptyDir}/`],
    input: Buffer.concat(names.flatMap((n) => [n, Buffer.from([0])])),
    env: { LC_ALL: 'C' },
    timeoutMs,
    // a name that vanished or could not be read gets no sum (23, 24): the caller counts it as different
    okExitCodes: [0, 23, 24],
    onStdoutLine: (line) => {
      const item = parseItemLine(line);
      if (item?.sum !== undefined && item.itemize[1] === 'f') sums.set(item.name.toString('latin1'), item.sum);
    },
  });
  return sums;
}
