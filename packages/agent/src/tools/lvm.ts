import { FfError, findBinary, isFfError, isLvmName, run, silentLogger, type ErrorCode, type Logger, type RunResult } from '@freezeframe/common';

/**
 * The LVM programs `lvs`, `lvcreate`, `lvchange` and `lvremove` (lvm2 2.03): verbs build argv,
 * `lvs --reportformat json` is parsed into typed rows, stderr patterns become FfErrors naming
 * the LV. Parsers are tested on samples written from lvm2's documentation (fixtures/README.md);
 * the verbs have run only against the stand-ins in test/support/, never against real LVM here.
 */
export interface LvmOptions {
  logger?: Logger;
  signal?: AbortSignal;
  /** Default 120 s: lvcreate suspends the origin (freezing its file system) while it works. */
  timeoutMs?: number;
}

/** `lvs` fields freezeframe reads; sizes in bytes (`--units b --nosuffix`). */
export const LVS_FIELDS = ['lv_name', 'vg_name', 'lv_attr', 'lv_size', 'origin', 'pool_lv', 'data_percent', 'vg_free', 'lv_tags'] as const;

export interface LvInfo {
  name: string;
  vg: string;
  /** lv_attr, e.g. `-wi-ao----`; [0] is the type: `s` snapshot, `V` thin volume, `t` thin pool, `o` origin. */
  attr: string;
  sizeBytes: number;
  /** The LV this one is a snapshot of; undefined for others. */
  origin: string | undefined;
  /** The thin pool of a thin LV. */
  pool: string | undefined;
  /** Percentage used: of a snapshot's room, or a thin pool's data; undefined when lvm reports none. */
  dataPercent: number | undefined;
  vgFreeBytes: number;
  tags: string[];
  active: boolean;
  thin: boolean;
}

export type LvmErrorReason = 'no-such-lv' | 'no-such-vg' | 'exists' | 'no-space' | 'in-use';

const STDERR_PATTERNS: { re: RegExp; reason: LvmErrorReason }[] = [
  { re: /Failed to find logical volume|logical volume .* not found/i, reason: 'no-such-lv' },
  { re: /Volume group "[^"]*" not found/, reason: 'no-such-vg' },
  { re: /already exists in volume group/, reason: 'exists' },
  { re: /Insufficient free space|insufficient suitable|Thin pool .* has insufficient/i, reason: 'no-space' },
  { re: /contains a filesystem in use|is used by another device|Can't remove open logical volume/i, reason: 'in-use' },
];

export function lvmErrorReason(stderr: string): LvmErrorReason | undefined {
  return STDERR_PATTERNS.find((p) => p.re.test(stderr))?.reason;
}

export function lvmReasonOf(e: unknown): LvmErrorReason | undefined {
  return isFfError(e) ? (e.details?.reason as LvmErrorReason | undefined) : undefined;
}

function checkName(name: string, kind: 'vg' | 'lv'): string {
  // a leading '-' would be read as an option; '/' and '..' would name something else
  if (!isLvmName(name, kind) || name.includes('..')) throw new FfError('INVALID_ARGUMENT', `${JSON.stringify(name)} is not a valid LVM ${kind === 'vg' ? 'volume group' : 'logical volume'} name`);
  return name;
}

/** `vg/lv`, both names checked. */
export function lvPath(vg: string, lv: string): string {
  return `${checkName(vg, 'vg')}/${checkName(lv, 'lv')}`;
}

async function exec(prog: string, args: string[], what: string, failCode: ErrorCode, opts: LvmOptions): Promise<RunResult> {
  try {
    return await run({
      bin: findBinary(prog),
      args,
      timeoutMs: opts.timeoutMs ?? 120_000,
      logger: opts.logger ?? silentLogger,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (e) {
    if (!isFfError(e, 'COMMAND_FAILED')) throw e;
    const stderr = typeof e.details?.stderr === 'string' ? e.details.stderr.trim() : '';
    const reason = lvmErrorReason(stderr);
    const code: ErrorCode = reason === 'no-such-lv' || reason === 'no-such-vg' ? 'NOT_FOUND' : failCode;
    throw new FfError(code, `${prog} ${what} failed${stderr ? `: ${stderr.split('\n').map((l) => l.trim()).join('; ')}` : ''}`, {
      cause: e,
      details: { ...e.details, reason, lv: what },
      ...(reason === 'no-space' ? { hint: 'free space in the volume group (or the thin pool), or lower source.snapshotSize' } : {}),
    });
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Parses `lvs --reportformat json --units b --nosuffix -o <LVS_FIELDS>`: `{"report":[{"lv":[{...}]}]}`,
 * every value a string (`json_std` would give numbers: both are read).
 */
export function parseLvsJson(text: string): LvInfo[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`lvs: output is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const reports = (doc as { report?: unknown }).report;
  if (!Array.isArray(reports)) throw new Error('lvs: JSON output without "report"');
  const out: LvInfo[] = [];
  for (const r of reports) {
    for (const row of ((r as { lv?: unknown }).lv as Record<string, unknown>[] | undefined) ?? []) {
      const attr = String(row.lv_attr ?? '');
      out.push({
        name: String(row.lv_name ?? ''),
        vg: String(row.vg_name ?? ''),
        attr,
        sizeBytes: num(row.lv_size) ?? NaN,
        origin: str(row.origin),
        pool: str(row.pool_lv),
        dataPercent: num(row.data_percent),
        vgFreeBytes: num(row.vg_free) ?? NaN,
        tags: (str(row.lv_tags) ?? '').split(',').filter(Boolean),
        active: attr[4] === 'a',
        thin: attr[0] === 'V',
      });
    }
  }
  return out;
}

export function lvsArgs(target: string): string[] {
  return ['--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', LVS_FIELDS.join(','), '--', target];
}

/** The LVs of volume group `vg` (or just `vg/lv`). NOT_FOUND when it does not exist. */
export async function lvs(vg: string, lv: string | undefined, opts: LvmOptions = {}): Promise<LvInfo[]> {
  const target = lv === undefined ? checkName(vg, 'vg') : lvPath(vg, lv);
  const r = await exec('lvs', lvsArgs(target), target, 'COMMAND_FAILED', { timeoutMs: 30_000, ...opts });
  return parseLvsJson(r.stdout);
}

export interface SnapshotSpec {
  vg: string;
  origin: string;
  name: string;
  /** `2G` (--size) or `10%ORIGIN` (--extents); none for a thin snapshot. */
  size?: string | undefined;
  /** Tags added to the snapshot (`--addtag`). */
  tags?: string[];
}

/**
 * `lvcreate --snapshot`: with a size a classic snapshot (copy-on-write room of that size), without
 * one a thin snapshot, made active at once (`--setactivationskip n`: lvm skips thin snapshots
 * on activation by default).
 */
export function lvcreateSnapshotArgs(s: SnapshotSpec): string[] {
  const origin = lvPath(s.vg, s.origin);
  checkName(s.name, 'lv');
  const room = s.size === undefined ? ['--setactivationskip', 'n'] : s.size.includes('%') ? ['--extents', s.size] : ['--size', s.size];
  const tags = (s.tags ?? []).flatMap((t) => {
    if (!/^[A-Za-z0-9_.:+-]{1,128}$/.test(t) || t.startsWith('-')) throw new FfError('INVALID_ARGUMENT', `${JSON.stringify(t)} is not a valid LVM tag`);
    return ['--addtag', t];
  });
  return ['--snapshot', '--name', s.name, ...room, '--activate', 'y', ...tags, '--', origin];
}

export async function lvcreateSnapshot(s: SnapshotSpec, opts: LvmOptions = {}): Promise<void> {
  await exec('lvcreate', lvcreateSnapshotArgs(s), lvPath(s.vg, s.name), 'SNAPSHOT_FAILED', opts);
}

export function lvchangeActivateArgs(vg: string, lv: string): string[] {
  return ['--activate', 'y', '--ignoreactivationskip', '--', lvPath(vg, lv)];
}

/** Activates an LV (a snapshot left inactive, e.g. after a reboot). */
export async function lvchangeActivate(vg: string, lv: string, opts: LvmOptions = {}): Promise<void> {
  await exec('lvchange', lvchangeActivateArgs(vg, lv), lvPath(vg, lv), 'COMMAND_FAILED', opts);
}

export function lvremoveArgs(vg: string, lv: string): string[] {
  return ['--yes', '--', lvPath(vg, lv)];
}

/** Removes an LV without asking. NOT_FOUND when it does not exist. */
export async function lvremove(vg: string, lv: string, opts: LvmOptions = {}): Promise<void> {
  await exec('lvremove', lvremoveArgs(vg, lv), lvPath(vg, lv), 'COMMAND_FAILED', opts);
}

const UNIT: Record<string, number> = { b: 1, s: 512, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };

/**
 * Bytes a classic snapshot of size `size` reserves, for the preflight space check: `2G` (lvm's
 * units are powers of 1024, no unit means MiB), `10%ORIGIN` of the origin's size; `%VG`, `%FREE`
 * and `%PVS` are counted against the VG's free space (lvcreate refuses what does not fit).
 */
export function snapshotBytes(size: string, originBytes: number, vgFreeBytes: number): number {
  const pct = /^(\d+)%(ORIGIN|VG|FREE|PVS)$/.exec(size);
  if (pct) return Math.ceil((Number(pct[1]) / 100) * (pct[2] === 'ORIGIN' ? originBytes : vgFreeBytes));
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]?)$/.exec(size);
  if (!m) throw new Error(`not an lvcreate size: ${size}`);
  return Math.ceil(Number(m[1]) * UNIT[(m[2] || 'm').toLowerCase()]!);
}
