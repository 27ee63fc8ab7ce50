import { FfError, GLUSTER_VOLUME_RE, findBinary, isFfError, run, silentLogger, type ErrorCode, type Logger } from '@freezeframe/common';

/**
 * The `gluster` CLI (GlusterFS 10/11): snapshot create/activate/deactivate/delete/list/info and
 * volume info, always with `--mode=script` (no prompts) and `--xml`, whose `<cliOutput>` is
 * parsed here (opRet/opErrstr for failures). Parsers are tested on samples written from the
 * GlusterFS documentation and its CLI's XML writer (fixtures/README.md); the verbs have run only
 * against the stand-in in test/support/, never against a real GlusterFS.
 */
export interface GlusterOptions {
  logger?: Logger;
  signal?: AbortSignal;
  /** Default 300 s: a snapshot create waits for every brick's LVM snapshot across the cluster. */
  timeoutMs?: number;
}

/** Snapshot names as freezeframe makes them: `<volume>-ff-<backup id>`. */
const SNAP_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/;

function checkVolume(v: string): string {
  if (!GLUSTER_VOLUME_RE.test(v)) throw new FfError('INVALID_ARGUMENT', `${JSON.stringify(v)} is not a valid GlusterFS volume name`);
  return v;
}

function checkSnap(s: string): string {
  if (!SNAP_NAME_RE.test(s)) throw new FfError('INVALID_ARGUMENT', `${JSON.stringify(s)} is not a valid GlusterFS snapshot name`);
  return s;
}

export type GlusterErrorReason = 'no-such-snapshot' | 'no-such-volume' | 'exists' | 'not-activated' | 'already-activated' | 'already-deactivated' | 'not-thin';

const ERR_PATTERNS: { re: RegExp; reason: GlusterErrorReason }[] = [
  { re: /Snapshot \(?\S*\)? does not exist|Snapshot .* does not exist/i, reason: 'no-such-snapshot' },
  { re: /Volume \(?\S*\)? does not exist|Volume .* does not exist/i, reason: 'no-such-volume' },
  { re: /already exists/i, reason: 'exists' },
  { re: /already activated/i, reason: 'already-activated' },
  { re: /already deactivated/i, reason: 'already-deactivated' },
  { re: /not activated/i, reason: 'not-activated' },
  { re: /not a thinly provisioned LV|thinly provisioned/i, reason: 'not-thin' },
];

export function glusterErrorReason(text: string): GlusterErrorReason | undefined {
  return ERR_PATTERNS.find((p) => p.re.test(text))?.reason;
}

export function glusterReasonOf(e: unknown): GlusterErrorReason | undefined {
  return isFfError(e) ? (e.details?.reason as GlusterErrorReason | undefined) : undefined;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescape = (s: string) => s.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, (_, e: string) => (e.startsWith('#') ? String.fromCharCode(Number(e.slice(1))) : ENTITIES[e]!));

/**
 * The text of every `<tag>` element directly or deeply inside `xml`, in order. The CLI's XML
 * has no attributes, CDATA or mixed content, so this is all the parsing it needs.
 */
export function xmlAll(xml: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}(?:\\s*/>|>([\\s\\S]*?)</${tag}>)`, 'g');
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(m[1] ?? '');
  return out;
}

const xmlText = (xml: string, tag: string): string | undefined => {
  const v = xmlAll(xml, tag)[0];
  return v === undefined ? undefined : unescape(v.trim());
};

export interface CliOutput {
  opRet: number;
  opErrno: number;
  opErrstr: string;
  /** The XML inside `<cliOutput>`. */
  body: string;
}

/** Parses the `<cliOutput>` envelope every `gluster --xml` command prints. */
export function parseCliOutput(text: string): CliOutput {
  const body = xmlAll(text, 'cliOutput')[0];
  if (body === undefined) throw new Error(`gluster: no <cliOutput> in ${JSON.stringify(text.slice(0, 200))}`);
  return {
    opRet: Number(xmlText(body, 'opRet') ?? NaN),
    opErrno: Number(xmlText(body, 'opErrno') ?? 0),
    opErrstr: xmlText(body, 'opErrstr') ?? '',
    body,
  };
}

/** `gluster --xml snapshot list <volume>`: the snapshot names. */
export function parseSnapshotList(text: string): string[] {
  const list = xmlAll(parseCliOutput(text).body, 'snapList')[0] ?? '';
  return xmlAll(list, 'snapshot').map((s) => unescape(s.trim())).filter(Boolean);
}

export interface SnapshotInfo {
  name: string;
  uuid: string;
  createTime: string | undefined;
  /** `Started` when activated, `Stopped` otherwise. */
  status: string | undefined;
  originVolume: string | undefined;
}

/** `gluster --xml snapshot info <snapshot>` (or of all/a volume): one entry per snapshot. */
export function parseSnapshotInfo(text: string): SnapshotInfo[] {
  const info = xmlAll(parseCliOutput(text).body, 'snapInfo')[0] ?? '';
  const snaps = xmlAll(info, 'snapshots')[0] ?? '';
  return xmlAll(snaps, 'snapshot').map((s) => {
    const vol = xmlAll(s, 'snapVolume')[0] ?? '';
    const origin = xmlAll(vol, 'originVolume')[0] ?? '';
    return {
      name: xmlText(s, 'name') ?? '',
      uuid: xmlText(s, 'uuid') ?? '',
      createTime: xmlText(s, 'createTime'),
      status: xmlText(vol, 'status'),
      originVolume: xmlText(origin, 'name'),
    };
  });
}

export interface VolumeInfo {
  name: string;
  /** `Started`, `Stopped`, `Created`. */
  status: string;
  type: string;
  brickCount: number;
  snapshotCount: number;
}

/** `gluster --xml volume info <volume>`. */
export function parseVolumeInfo(text: string): VolumeInfo[] {
  const vols = xmlAll(xmlAll(parseCliOutput(text).body, 'volInfo')[0] ?? '', 'volumes')[0] ?? '';
  return xmlAll(vols, 'volume').map((v) => ({
    name: xmlText(v, 'name') ?? '',
    status: xmlText(v, 'statusStr') ?? '',
    type: xmlText(v, 'typeStr') ?? '',
    brickCount: Number(xmlText(v, 'brickCount') ?? NaN),
    snapshotCount: Number(xmlText(v, 'snapshotCount') ?? 0),
  }));
}

/** argv for `gluster <args>`: script mode (never a prompt) and XML output. */
export function glusterArgs(args: string[]): string[] {
  return ['--mode=script', '--xml', ...args];
}

/**
 * Runs `gluster --mode=script --xml args`; opRet != 0 or a failed exit becomes an FfError with
 * the reason (opErrstr, else stderr) and `name` named.
 */
async function exec(args: string[], name: string, what: string, failCode: ErrorCode, opts: GlusterOptions): Promise<CliOutput> {
  // with --xml the reason is in stdout's <cliOutput>, also when the CLI exits with 1 or 2
  const r = await run({
    bin: findBinary('gluster'),
    args: glusterArgs(args),
    timeoutMs: opts.timeoutMs ?? 300_000,
    logger: opts.logger ?? silentLogger,
    okExitCodes: [0, 1, 2],
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const stderr = r.stderr.trim();
  let out: CliOutput | undefined;
  try {
    out = parseCliOutput(r.stdout);
  } catch {
    // no XML: the CLI failed before it could answer (glusterd down); stderr says why
  }
  if (out && out.opRet === 0 && r.code === 0) return out;
  const msg = out?.opErrstr || stderr || 'no reason given';
  const reason = glusterErrorReason(msg);
  const code: ErrorCode = reason === 'no-such-snapshot' || reason === 'no-such-volume' ? 'NOT_FOUND' : failCode;
  throw new FfError(code, `gluster ${what} ${name} failed: ${msg}`, {
    details: { reason, name, exitCode: r.code, stderr },
    ...(reason === 'not-thin' ? { hint: 'GlusterFS snapshots need every brick on a thinly provisioned LVM volume' } : {}),
  });
}

export function snapshotCreateArgs(snap: string, volume: string): string[] {
  // no-timestamp: without it GlusterFS appends _GMT-<time> to the name, and it could not be found again
  return ['snapshot', 'create', checkSnap(snap), checkVolume(volume), 'no-timestamp'];
}

export async function snapshotCreate(snap: string, volume: string, opts: GlusterOptions = {}): Promise<void> {
  await exec(snapshotCreateArgs(snap, volume), snap, 'snapshot create', 'SNAPSHOT_FAILED', opts);
}

export async function snapshotActivate(snap: string, opts: GlusterOptions = {}): Promise<void> {
  try {
    await exec(['snapshot', 'activate', checkSnap(snap)], snap, 'snapshot activate', 'SNAPSHOT_FAILED', opts);
  } catch (e) {
    if (glusterReasonOf(e) !== 'already-activated') throw e;
  }
}

export async function snapshotDeactivate(snap: string, opts: GlusterOptions = {}): Promise<void> {
  try {
    await exec(['snapshot', 'deactivate', checkSnap(snap)], snap, 'snapshot deactivate', 'COMMAND_FAILED', opts);
  } catch (e) {
    if (glusterReasonOf(e) !== 'already-deactivated' && glusterReasonOf(e) !== 'not-activated') throw e;
  }
}

/** Deletes a snapshot. NOT_FOUND when there is none of that name. */
export async function snapshotDelete(snap: string, opts: GlusterOptions = {}): Promise<void> {
  await exec(['snapshot', 'delete', checkSnap(snap)], snap, 'snapshot delete', 'COMMAND_FAILED', opts);
}

export async function snapshotList(volume: string, opts: GlusterOptions = {}): Promise<string[]> {
  const out = await exec(['snapshot', 'list', checkVolume(volume)], volume, 'snapshot list', 'COMMAND_FAILED', { timeoutMs: 60_000, ...opts });
  return parseSnapshotList(`<cliOutput>${out.body}</cliOutput>`);
}

/** The snapshot's info, or undefined when there is none of that name. */
export async function snapshotInfo(snap: string, opts: GlusterOptions = {}): Promise<SnapshotInfo | undefined> {
  try {
    const out = await exec(['snapshot', 'info', checkSnap(snap)], snap, 'snapshot info', 'COMMAND_FAILED', { timeoutMs: 60_000, ...opts });
    return parseSnapshotInfo(`<cliOutput>${out.body}</cliOutput>`)[0];
  } catch (e) {
    if (glusterReasonOf(e) === 'no-such-snapshot') return undefined;
    throw e;
  }
}

/** NOT_FOUND when the volume does not exist. */
export async function volumeInfo(volume: string, opts: GlusterOptions = {}): Promise<VolumeInfo> {
  const out = await exec(['volume', 'info', checkVolume(volume)], volume, 'volume info', 'COMMAND_FAILED', { timeoutMs: 60_000, ...opts });
  const v = parseVolumeInfo(`<cliOutput>${out.body}</cliOutput>`)[0];
  if (!v) throw new FfError('NOT_FOUND', `gluster volume info ${volume}: no such volume in the answer`, { details: { reason: 'no-such-volume', name: volume } });
  return v;
}

/** What `mount -t glusterfs` mounts for a snapshot: `<server>:/snaps/<snapshot>/<volume>`. */
export function snapshotMountSource(server: string, snap: string, volume: string): string {
  return `${server}:/snaps/${checkSnap(snap)}/${checkVolume(volume)}`;
}
