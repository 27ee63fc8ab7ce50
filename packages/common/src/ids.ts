import { FfError } from './errors.js';

/** `YYYYMMDD_HHMMSS` in UTC, optionally `-label`. Matched everywhere a backup id enters. */
export const BACKUP_ID_RE = /^[0-9]{8}_[0-9]{6}(-[a-z0-9-]{1,32})?$/;
/** Node, source, keyspace and label names: short, no path separators, no leading dash. */
export const NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,62}$/i;
export const LABEL_RE = /^[a-z0-9-]{1,32}$/;

function describe(value: unknown): string {
  const s = String(value);
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);
}

export function checkBackupId(value: unknown, field = 'backup_id'): string {
  if (typeof value !== 'string' || !BACKUP_ID_RE.test(value)) {
    throw new FfError('INVALID_ARGUMENT', `${field} ${describe(value)} is not a backup id (YYYYMMDD_HHMMSS[-label])`, {
      details: { field },
    });
  }
  return value;
}

export function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME_RE.test(value) || value.includes('..')) {
    throw new FfError('INVALID_ARGUMENT', `${field} ${describe(value)} is not a valid name (letters, digits, '.', '_', '-'; at most 63)`, {
      details: { field },
    });
  }
  return value;
}

export function newBackupId(now: Date = new Date(), label?: string): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const id =
    `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}_` +
    `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  if (label === undefined) return id;
  if (!LABEL_RE.test(label)) throw new FfError('INVALID_ARGUMENT', `label ${describe(label)} must match ${LABEL_RE}`);
  return `${id}-${label}`;
}

/** Parses `30s`, `5m`, `1h`, `250ms` or a plain number of seconds into milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value * 1000;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new FfError('INVALID_ARGUMENT', `${describe(value)} is not a duration (e.g. 30s, 5m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}

/** `<source>@+<volume path with '/' as '+'>`: the per-source folder name in a backup. */
export function entryName(source: string, volume: string): string {
  const trimmed = volume.replace(/^\/+|\/+$/g, '');
  return `${source}@+${trimmed.replaceAll('/', '+')}`;
}
