import { FfError, ZFS_NAME_RE, errorMessage, findBinary, isFfError, run, silentLogger, spawnProcess, type Logger, type RunResult } from '@freezeframe/common';

/**
 * The `zfs` and `zpool` programs: verbs build argv, parsers turn output into typed results, and
 * stderr patterns become FfErrors with the dataset named. Written against zfs-fuse (pool
 * version 23), which lacks `zfs list -p`, `zfs get -t`, the `written` property and a visible
 * `.zfs/snapshot`; everything here also works on OpenZFS.
 */
export interface ZfsOptions {
  logger?: Logger;
  signal?: AbortSignal;
  /** Default 60 s: snapshot and clone take milliseconds, destroy of a large dataset longer. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
// names are checked against ZFS_NAME_RE (common): a leading '-' would be read as an option
/** User property names (`module:name`). */
const USER_PROP_RE = /^[a-z0-9_.-]+:[a-z0-9_.:-]+$/;

export type ZfsErrorReason =
  | 'does-not-exist'
  | 'already-exists'
  | 'busy'
  | 'has-dependent-clones'
  | 'has-children'
  | 'no-such-pool'
  | 'not-mounted'
  | 'already-mounted'
  | 'mount-failed';

const STDERR_PATTERNS: { re: RegExp; reason: ZfsErrorReason }[] = [
  { re: /dataset does not exist/, reason: 'does-not-exist' },
  { re: /dataset already exists/, reason: 'already-exists' },
  { re: /dataset is busy|pool or dataset is busy/, reason: 'busy' },
  { re: /has dependent clones/, reason: 'has-dependent-clones' },
  { re: /has children/, reason: 'has-children' },
  { re: /no such pool/, reason: 'no-such-pool' },
  { re: /not currently mounted/, reason: 'not-mounted' },
  { re: /already mounted/, reason: 'already-mounted' },
  // after 'already mounted': zfs says "cannot mount" for that too
  { re: /cannot mount/, reason: 'mount-failed' },
];

/** Which known failure `stderr` reports, if any. */
export function zfsErrorReason(stderr: string): ZfsErrorReason | undefined {
  return STDERR_PATTERNS.find((p) => p.re.test(stderr))?.reason;
}

export function zfsReasonOf(e: unknown): ZfsErrorReason | undefined {
  return isFfError(e) ? (e.details?.reason as ZfsErrorReason | undefined) : undefined;
}

function checkZfsName(name: string, what = 'dataset'): string {
  if (!ZFS_NAME_RE.test(name) || name.includes('..') || name.endsWith('/')) {
    throw new FfError('INVALID_ARGUMENT', `${JSON.stringify(name)} is not a valid ZFS ${what} name`);
  }
  return name;
}

function typedError(e: FfError, name: string): FfError {
  const stderr = typeof e.details?.stderr === 'string' ? e.details.stderr : '';
  const reason = zfsErrorReason(stderr);
  const details = { ...e.details, reason, dataset: name };
  const cause = stderr.trim() || e.message;
  switch (reason) {
    case 'does-not-exist':
      return new FfError('NOT_FOUND', `ZFS dataset ${name} does not exist (${cause})`, { cause: e, details });
    case 'no-such-pool':
      return new FfError('NOT_FOUND', `ZFS pool of ${name} does not exist (${cause})`, {
        cause: e,
        details,
        hint: 'check the pool name and that the pool is imported (zpool list)',
      });
    case 'already-exists':
      return new FfError('ALREADY_EXISTS', `ZFS dataset ${name} already exists (${cause})`, { cause: e, details });
    case 'busy':
    case 'has-dependent-clones':
    case 'has-children':
      return new FfError('FAILED_PRECONDITION', `ZFS cannot change ${name}: ${cause}`, { cause: e, details });
    default:
      return new FfError(e.code, e.message, { cause: e, details, ...(e.hint ? { hint: e.hint } : {}) });
  }
}

async function exec(bin: 'zfs' | 'zpool', args: string[], name: string, opts: ZfsOptions): Promise<RunResult> {
  try {
    return await run({
      bin: findBinary(bin),
      args,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      logger: opts.logger ?? silentLogger,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (e) {
    if (isFfError(e, 'COMMAND_FAILED')) throw typedError(e, name);
    throw e;
  }
}

function propertyArgs(properties: Record<string, string> = {}): string[] {
  return Object.entries(properties).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
}

export async function zfsSnapshot(
  snapshot: string,
  opts: ZfsOptions & { properties?: Record<string, string> } = {},
): Promise<void> {
  checkZfsName(snapshot, 'snapshot');
  if (!snapshot.includes('@')) throw new FfError('INVALID_ARGUMENT', `${snapshot} is not a snapshot name (dataset@name)`);
  await exec('zfs', ['snapshot', ...propertyArgs(opts.properties), snapshot], snapshot, opts);
}

export async function zfsCreate(
  dataset: string,
  opts: ZfsOptions & { properties?: Record<string, string>; parents?: boolean } = {},
): Promise<void> {
  checkZfsName(dataset);
  await exec('zfs', ['create', ...(opts.parents ? ['-p'] : []), ...propertyArgs(opts.properties), dataset], dataset, opts);
}

export async function zfsClone(
  snapshot: string,
  dataset: string,
  opts: ZfsOptions & { properties?: Record<string, string> } = {},
): Promise<void> {
  checkZfsName(snapshot, 'snapshot');
  checkZfsName(dataset);
  try {
    await exec('zfs', ['clone', ...propertyArgs(opts.properties), snapshot, dataset], dataset, opts);
  } catch (e) {
    // both names can be the missing one; say which
    if (isFfError(e, 'NOT_FOUND') && (e.details?.stderr as string | undefined)?.includes(`'${snapshot}'`)) {
      throw new FfError('NOT_FOUND', `ZFS snapshot ${snapshot} does not exist`, { cause: e, details: { ...e.details, dataset: snapshot } });
    }
    // zfs made the clone, then could not mount it: an unmounted clone nobody asked for would pin its snapshot (no destroy without -R)
    if (zfsReasonOf(e) === 'mount-failed') {
      await zfsDestroy(dataset, { ...opts, ifExists: true }).catch((d: unknown) => opts.logger?.error({ dataset, err: errorMessage(d) }, 'zfs clone: cannot destroy the clone it could not mount'));
    }
    throw e;
  }
}

/** Mounts `dataset`; already mounted is success. */
export async function zfsMount(dataset: string, opts: ZfsOptions = {}): Promise<void> {
  checkZfsName(dataset);
  try {
    await exec('zfs', ['mount', dataset], dataset, opts);
  } catch (e) {
    if (zfsReasonOf(e) !== 'already-mounted') throw e;
  }
}

/** Unmounts `dataset`; not mounted is success (returns false). */
export async function zfsUnmount(dataset: string, opts: ZfsOptions & { force?: boolean } = {}): Promise<boolean> {
  checkZfsName(dataset);
  try {
    await exec('zfs', ['unmount', ...(opts.force ? ['-f'] : []), dataset], dataset, opts);
    return true;
  } catch (e) {
    if (zfsReasonOf(e) === 'not-mounted') return false;
    throw e;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Destroys a dataset or snapshot. zfs-fuse reports a mounted (even a just-unmounted) dataset
 * busy, usually once, longer under load: on "dataset is busy" the filesystem is unmounted and
 * the destroy retried with backoff (about 1.5 s in all). `ifExists`: a missing dataset is
 * success (returns false).
 */
export async function zfsDestroy(
  name: string,
  opts: ZfsOptions & { recursive?: boolean; ifExists?: boolean } = {},
): Promise<boolean> {
  checkZfsName(name);
  const args = ['destroy', ...(opts.recursive ? ['-r'] : []), name];
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await exec('zfs', args, name, opts);
        return true;
      } catch (e) {
        if (zfsReasonOf(e) !== 'busy' || attempt >= 5) throw e;
        if (!name.includes('@')) await zfsUnmount(name, opts);
        await sleep(Math.min(50 << attempt, 500));
      }
    }
  } catch (e) {
    if (opts.ifExists && zfsReasonOf(e) === 'does-not-exist') return false;
    throw e;
  }
}

/** One row per dataset: property -> raw (`-p`) value; '-' means unset. */
export type ZfsProps = Record<string, string>;

/** Parses `zfs get -H -p -o name,property,value ...` into name -> props, in output order. */
export function parseZfsGet(text: string): Map<string, ZfsProps> {
  const out = new Map<string, ZfsProps>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [name, property, ...rest] = line.split('\t');
    if (name === undefined || property === undefined || rest.length === 0) {
      throw new Error(`zfs get: unexpected line ${JSON.stringify(line)}`);
    }
    let row = out.get(name);
    if (!row) out.set(name, (row = {}));
    row[property] = rest.join('\t');
  }
  return out;
}

/**
 * Properties of `dataset` (and with `recursive`, of its descendants and snapshots).
 * zfs-fuse's `zfs list` has no `-p`, so this reads exact values through `zfs get -p`.
 */
export async function zfsList(
  dataset: string,
  properties: readonly string[],
  opts: ZfsOptions & { recursive?: boolean } = {},
): Promise<Map<string, ZfsProps>> {
  checkZfsName(dataset);
  const r = await exec(
    'zfs',
    ['get', '-H', '-p', ...(opts.recursive ? ['-r'] : []), '-o', 'name,property,value', properties.join(','), dataset],
    dataset,
    { ...opts, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS },
  );
  return parseZfsGet(r.stdout);
}

export interface ZfsSnapshotInfo {
  /** Full name, `dataset@snap`. */
  name: string;
  /** The part after '@'. */
  snap: string;
  createdUnixMs: number;
  /** Bytes only this snapshot holds (what destroying it frees). */
  usedBytes: number;
  referencedBytes: number;
  /** The other requested properties, '-' when unset. */
  props: ZfsProps;
}

/** Snapshots of `dataset` itself (not of its children), oldest first. */
export async function zfsListSnapshots(
  dataset: string,
  extraProperties: readonly string[] = [],
  opts: ZfsOptions = {},
): Promise<ZfsSnapshotInfo[]> {
  const rows = await zfsList(dataset, ['type', 'creation', 'createtxg', 'used', 'referenced', ...extraProperties], {
    ...opts,
    recursive: true,
  });
  return snapshotsOf(dataset, rows);
}

export function snapshotsOf(dataset: string, rows: Map<string, ZfsProps>): ZfsSnapshotInfo[] {
  const snaps: (ZfsSnapshotInfo & { txg: number })[] = [];
  for (const [name, props] of rows) {
    if (!name.startsWith(`${dataset}@`)) continue;
    snaps.push({
      name,
      snap: name.slice(dataset.length + 1),
      createdUnixMs: Number(props.creation) * 1000,
      usedBytes: Number(props.used),
      referencedBytes: Number(props.referenced),
      props,
      txg: Number(props.createtxg ?? 0),
    });
  }
  // creation has one-second resolution; the transaction group orders snapshots taken within one second
  snaps.sort((a, b) => a.createdUnixMs - b.createdUnixMs || a.txg - b.txg);
  return snaps.map(({ txg: _txg, ...s }) => s);
}

export async function zfsGet(dataset: string, properties: readonly string[], opts: ZfsOptions = {}): Promise<ZfsProps> {
  const rows = await zfsList(dataset, properties, opts);
  return rows.get(dataset) ?? {};
}

/** True when the dataset or snapshot exists. */
export async function zfsExists(name: string, opts: ZfsOptions = {}): Promise<boolean> {
  try {
    await zfsList(name, ['type'], opts);
    return true;
  } catch (e) {
    if (zfsReasonOf(e) === 'does-not-exist') return false;
    throw e;
  }
}

/** Sets properties; user properties (`module:name`) are how freezeframe labels what it made. */
export async function zfsSet(name: string, properties: Record<string, string>, opts: ZfsOptions = {}): Promise<void> {
  checkZfsName(name);
  const pairs = Object.entries(properties);
  if (pairs.length === 0) return;
  for (const [k, v] of pairs) {
    if (k.includes(':') && !USER_PROP_RE.test(k)) throw new FfError('INVALID_ARGUMENT', `${k} is not a ZFS user property name`);
    if (v.includes('\n')) throw new FfError('INVALID_ARGUMENT', `value of ZFS property ${k} must be one line`);
  }
  // zfs-fuse's `zfs set` takes one property per call
  for (const [k, v] of pairs) await exec('zfs', ['set', `${k}=${v}`, name], name, opts);
}

export type PoolHealth = 'ONLINE' | 'DEGRADED' | 'FAULTED' | 'OFFLINE' | 'REMOVED' | 'UNAVAIL' | string;

export interface PoolStatus {
  pool: string;
  state: PoolHealth;
  /** The `errors:` line, e.g. "No known data errors". */
  errors: string;
  text: string;
}

/** Parses `zpool status <pool>` (one pool). */
export function parseZpoolStatus(text: string): PoolStatus {
  const field = (key: string) => new RegExp(`^\\s*${key}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return { pool: field('pool'), state: field('state'), errors: field('errors'), text };
}

/** Whether a pool's `errors:` line reports none (empty, or "No known data errors"). */
export function poolErrorsNone(errors: string): boolean {
  return errors === '' || /^No known data errors/i.test(errors);
}

export async function zpoolStatus(pool: string, opts: ZfsOptions = {}): Promise<PoolStatus> {
  checkZfsName(pool, 'pool');
  const r = await exec('zpool', ['status', pool], pool, opts);
  return parseZpoolStatus(r.stdout);
}

export async function zpoolHealth(pool: string, opts: ZfsOptions = {}): Promise<PoolHealth> {
  checkZfsName(pool, 'pool');
  const r = await exec('zpool', ['list', '-H', '-o', 'health', pool], pool, opts);
  return r.stdout.trim();
}

/** `pool/a/b` -> `pool`. */
export function poolOf(dataset: string): string {
  return dataset.split(/[/@]/)[0]!;
}

/**
 * What this `zfs` offers for replication, read from its usage text: OpenZFS has `receive -u`
 * (do not mount), `-s` with `send -t` (resume a cut stream) and `send -nP` (parsable size
 * estimate); zfs-fuse has none of them.
 */
export interface ZfsReplicaFeatures {
  recvNoMount: boolean;
  recvResumable: boolean;
  sendResume: boolean;
  sendEstimate: boolean;
}

/** The first bracketed flag cluster of every usage line of `verb`, joined (`receive [-FhMnsuv]` -> "FhMnsuv"). */
function usageFlags(text: string, verb: string): string {
  const re = new RegExp(`^\\s*${verb}\\s+\\[-([A-Za-z]+)\\]`, 'gm');
  return [...text.matchAll(re)].map((m) => m[1]).join('');
}

/** Parses the usage text `zfs send` and `zfs receive` print when called without arguments. */
export function parseZfsUsage(text: string): ZfsReplicaFeatures {
  const recv = usageFlags(text, 'receive');
  const send = usageFlags(text, 'send');
  return {
    recvNoMount: recv.includes('u'),
    recvResumable: recv.includes('s') && /^\s*send\b.*\s-t\s/m.test(text),
    sendResume: /^\s*send\b.*\s-t\s/m.test(text),
    sendEstimate: send.includes('n') && send.includes('P'),
  };
}

let features: Promise<ZfsReplicaFeatures> | undefined;

/** The local `zfs`'s replication features, probed once per process (a failed probe is retried). */
export function zfsReplicaFeatures(opts: ZfsOptions = {}): Promise<ZfsReplicaFeatures> {
  features ??= (async () => {
    const usage = async (verb: string) => {
      // without arguments both print their usage and exit 2: nothing is sent or received
      const r = await run({ bin: findBinary('zfs'), args: [verb], timeoutMs: 10_000, okExitCodes: [0, 1, 2], logger: opts.logger ?? silentLogger });
      return `${r.stdout}\n${r.stderr}`;
    };
    return parseZfsUsage(`${await usage('send')}\n${await usage('receive')}`);
  })().catch((e: unknown) => {
    features = undefined;
    throw e;
  });
  return features;
}

/** A resume token as `zfs get receive_resume_token` shows it (`1-<hex>-<hex>-<hex...>`): never an option. */
const RESUME_TOKEN_RE = /^[0-9]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/;

export function checkResumeToken(token: string): string {
  if (!RESUME_TOKEN_RE.test(token) || token.length > 65_536) {
    throw new FfError('INVALID_ARGUMENT', 'resume_token is not a ZFS receive_resume_token', { details: { field: 'resume_token' } });
  }
  return token;
}

/**
 * argv of `zfs send`: the whole snapshot, incremental from `base` (a snapshot of the same
 * dataset), or the rest of a cut stream from its resume token. Never `-p`/`-R`: the stream
 * carries no properties, so nothing the sender set (a mountpoint) reaches the receiver.
 */
export function zfsSendArgs(o: { snapshot: string; base?: string; token?: string; dryRun?: boolean }): string[] {
  const dry = o.dryRun ? ['-nP'] : [];
  if (o.token !== undefined) return ['send', '-t', checkResumeToken(o.token)];
  checkZfsName(o.snapshot, 'snapshot');
  if (o.base !== undefined) checkZfsName(o.base, 'snapshot');
  return ['send', ...dry, ...(o.base !== undefined ? ['-i', o.base] : []), o.snapshot];
}

/**
 * argv of `zfs receive` into exactly `snapshot` (the stream's own names are ignored). `force`
 * (-F) only for a first full stream into an empty dataset; `noMount` (-u) and `resumable` (-s)
 * where this zfs has them.
 */
export function zfsRecvArgs(o: { snapshot: string; force?: boolean; noMount?: boolean; resumable?: boolean }): string[] {
  checkZfsName(o.snapshot, 'snapshot');
  if (!o.snapshot.includes('@')) throw new FfError('INVALID_ARGUMENT', `${o.snapshot} is not a snapshot name (dataset@name)`);
  return ['receive', ...(o.force ? ['-F'] : []), ...(o.noMount ? ['-u'] : []), ...(o.resumable ? ['-s'] : []), o.snapshot];
}

/** The `size` line of `zfs send -nP` (bytes the stream would have); undefined when absent. */
export function parseSendEstimate(text: string): number | undefined {
  const m = /^size\s+(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** What a resume token says, from `zfs send -nvt <token>`: the snapshot the stream is of. */
export function parseResumeTokenInfo(text: string): { toname: string; fromguid?: string } {
  const toname = /^\s*toname = (\S+)\s*$/m.exec(text)?.[1];
  if (!toname) throw new FfError('TRANSFER_FAILED', `zfs send -nvt: no toname in ${JSON.stringify(text.slice(0, 300))}`);
  const fromguid = /^\s*fromguid = (\S+)\s*$/m.exec(text)?.[1];
  return fromguid ? { toname, fromguid } : { toname };
}

/** Decodes a resume token with `zfs send -nvt` (sends nothing). */
export async function zfsResumeTokenInfo(token: string, opts: ZfsOptions = {}): Promise<{ toname: string; fromguid?: string }> {
  const r = await exec('zfs', ['send', '-nvt', checkResumeToken(token)], 'resume token', opts);
  return parseResumeTokenInfo(`${r.stdout}\n${r.stderr}`);
}

/** `zfs send -nP` of the stream zfsSendArgs would make: its size in bytes. */
export async function zfsSendEstimate(o: { snapshot: string; base?: string }, opts: ZfsOptions = {}): Promise<number> {
  const r = await exec('zfs', zfsSendArgs({ ...o, dryRun: true }), o.snapshot, opts);
  const n = parseSendEstimate(`${r.stdout}\n${r.stderr}`);
  if (n === undefined) throw new FfError('TARGET_FAILED', `zfs send -nP ${o.snapshot}: no size line in its output`);
  return n;
}

/** The dataset's `receive_resume_token` ('' when none, or where the property does not exist). */
export async function zfsResumeToken(dataset: string, opts: ZfsOptions = {}): Promise<string> {
  const v = (await zfsGet(dataset, ['receive_resume_token'], opts)).receive_resume_token ?? '-';
  return v === '-' ? '' : v;
}

/** A resume token is only used for the snapshot it was made for: this target's own `snapshot`. */
export function checkResumeTokenFor(info: { toname: string }, snapshot: string): void {
  if (info.toname !== snapshot) {
    throw new FfError('PERMISSION_DENIED', `resume_token continues a stream of ${info.toname}, not of ${snapshot}`, { details: { field: 'resume_token' } });
  }
}

/** Discards the partial state of a cut resumable receive (`zfs receive -A`). */
export async function zfsRecvAbort(dataset: string, opts: ZfsOptions = {}): Promise<void> {
  checkZfsName(dataset);
  await exec('zfs', ['receive', '-A', dataset], dataset, opts);
}

/** Bytes of the stream `zfs send` makes, counted and discarded (where `send -nP` is missing). */
export async function zfsSendCount(o: { snapshot: string; base?: string }, opts: ZfsOptions = {}): Promise<number> {
  const proc = spawnProcess(
    { bin: findBinary('zfs'), args: zfsSendArgs(o), timeoutMs: opts.timeoutMs ?? 3_600_000, logger: opts.logger ?? silentLogger, ...(opts.signal ? { signal: opts.signal } : {}) },
    true,
  );
  let n = 0;
  proc.child.stdout!.on('data', (b: Buffer) => (n += b.length));
  try {
    await proc.done;
  } catch (e) {
    if (isFfError(e, 'COMMAND_FAILED')) throw typedError(e, o.snapshot);
    throw e;
  }
  return n;
}
