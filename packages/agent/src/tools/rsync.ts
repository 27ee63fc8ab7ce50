import { dirname, join } from 'node:path';
import { isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import { FfError, findBinary, run, type Logger } from '@freezeframe/common';

/** One `--info=progress2` update: bytes so far, percent of the whole transfer, rate as rsync prints it. */
export interface RsyncProgress {
  bytes: number;
  percent: number;
  rate: string;
  /** Files checked so far (from `to-chk=R/T`: T - R), 0 when rsync did not say. */
  filesChecked: number;
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

const PROGRESS_RE = /^\s*([\d,]+)\s+(\d+)%\s+(\S+\/s)\s+\d+:\d{2}:\d{2}(?:\s+\(xfr#\d+, (?:to|ir)-chk=(\d+)\/(\d+)\))?/;

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
  };
}

export interface RsyncPushOptions {
  /** Folder whose contents are sent (a trailing '/' is added). */
  from: string;
  /** The receiver writes in place (ZFS/btrfs targets): the sender must match. */
  inplace: boolean;
  /** 'delete' for backups; 'delete-after' for restores, so a failed restore never leaves half a tree deleted first. */
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
  onProgress?: (p: RsyncProgress) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
  logger?: Logger;
  /** The tunnel program (default: dist/tunnel.js of this package). */
  tunnelScript?: string;
}

export interface RsyncPushResult extends RsyncStats {
  durationMs: number;
  exitCode: number;
}

function rshQuote(s: string): string {
  // rsync splits --rsh on spaces and honours quotes
  return /[\s'"]/.test(s) ? `'${s.replaceAll("'", '')}'` : s;
}

export function rsyncPushArgs(o: Pick<RsyncPushOptions, 'from' | 'inplace' | 'deleteMode' | 'tunnelScript' | 'only' | 'deleteSelected' | 'unmungeLinks'>): string[] {
  const rsh = `${rshQuote(process.execPath)} ${rshQuote(o.tunnelScript ?? tunnelScript())}`;
  return [
    '-aHAX',
    '--numeric-ids',
    // --from0 before --include-from: rsync reads the list while it parses its options
    ...(o.only ? ['--from0', `--include-from=${o.only}`, '--exclude=*'] : []),
    ...(!o.only || o.deleteSelected ? [`--${o.deleteMode}`] : []),
    ...(o.inplace ? ['--inplace'] : []),
    ...(o.unmungeLinks ? ['--munge-links'] : []),
    '--info=progress2',
    '--stats',
    '--rsh',
    rsh,
    `${o.from.replace(/\/+$/, '')}/`,
    // the receiver ignores the path: it writes where its ticket says
    'ff:.',
  ];
}

/** Runs the local rsync client sending `from` through the data-channel tunnel. */
export async function rsyncPush(o: RsyncPushOptions): Promise<RsyncPushResult> {
  const r = await run({
    bin: findBinary('rsync'),
    args: rsyncPushArgs(o),
    env: tunnelEnvVars(o.tunnel),
    timeoutMs: o.timeoutMs ?? 24 * 3_600_000,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    onStdoutLine: (line) => {
      const p = parseProgressLine(line);
      if (p) o.onProgress?.(p);
    },
  });
  return { ...parseStats(r.stdout), durationMs: r.durationMs, exitCode: r.code };
}
