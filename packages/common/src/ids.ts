import { isIP } from 'node:net';
import { FfError } from './errors.js';

/** `YYYYMMDD_HHMMSS` in UTC, optionally `-label`. Matched everywhere a backup id enters. */
export const BACKUP_ID_RE = /^[0-9]{8}_[0-9]{6}(-[a-z0-9-]{1,32})?$/;
/** Node, source, keyspace and label names: short, no path separators, no leading dash. */
export const NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,62}$/i;
/** A volume's name under an agent's `sources:`; the director calls that source `<node>:<name>`. */
export const VOLUME_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/i;
export const LABEL_RE = /^[a-z0-9-]{1,32}$/;
/** `<source>@+<volume with '/' as '+'>` (see entryName): a folder in every backup, and the only shape an entry may have on the wire. */
export const ENTRY_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*@\+[A-Za-z0-9_.+-]*$/;
/** A Cassandra keyspace (CQL identifiers: letters, digits, _; at most 48). */
export const KEYSPACE_RE = /^[A-Za-z0-9_]{1,48}$/;
/** Cassandra's own keyspaces: never snapshotted or restored by freezeframe. */
export const CASSANDRA_SYSTEM_KEYSPACES = ['system', 'system_schema', 'system_auth', 'system_distributed', 'system_traces', 'system_views', 'system_virtual_schema'];
/** A one-time data-channel ticket: 256 random bits as lower-case hex. */
export const TICKET_RE = /^[0-9a-f]{64}$/;
/** A DNS host name: dot-separated labels of letters, digits and '-', at most 253 characters. */
export const HOST_NAME_RE = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;
/** A name a certificate may hold: a host name, or a wildcard `*.` and a host name. */
export const CERT_DNS_NAME_RE = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;
/** A run record's id (a backup id, or `restore-<time>` and the like): one file name in the state folder. */
export const RUN_ID_RE = /^[A-Za-z0-9_.-]{1,100}$/;
/** `host:port` as the configs write it: a name or IPv4 address, or an IPv6 address in brackets. */
export const HOST_PORT_RE = /^(\[[0-9a-f:]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/;
/** Who holds the target lock (the director's run, e.g. `backup:<id>@<host>`). */
export const LOCK_HOLDER_RE = /^[A-Za-z0-9_.:@-]{1,128}$/;
/** A Docker container name or id. */
export const CONTAINER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** A Docker container id, full or short (hex). */
export const CONTAINER_ID_RE = /^[0-9a-f]{12,64}$/;
/** A plain file name: one path component, never hidden. */
export const FILE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** A ZFS dataset (`pool/backup`); check `..` and a trailing '/' apart (see isZfsDataset). */
export const ZFS_DATASET_RE = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;
/** Any ZFS name freezeframe passes to zfs(8): a dataset, a clone, or a snapshot (`pool/data@ff-<id>`). */
export const ZFS_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:/@+-]*$/;
/**
 * An LVM volume group or logical volume name as freezeframe accepts it: lvm(8)'s characters
 * without '+' (entry names write '/' as '+'), no leading '-' or '.', at most 64 so that
 * `<lv>-ff-<backup id>` stays within lvm's 127.
 */
export const LVM_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
/** LV names lvm(8) reserves: internal suffixes and the `snapshot`/`pvmove` prefixes. */
const LVM_RESERVED = /_(cdata|cmeta|corig|cpool|cvol|imeta|iorig|mimage|mlog|pmspare|rimage|rmeta|tdata|tmeta|vdata|vorigin|wcorig)|^(snapshot|pvmove)/;
export function isLvmName(name: string, kind: 'vg' | 'lv'): boolean {
  return LVM_NAME_RE.test(name) && (kind === 'vg' || !LVM_RESERVED.test(name));
}
/** A GlusterFS volume name: letters, digits, '_' and '-', not starting with '-'. */
export const GLUSTER_VOLUME_RE = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;

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

/** A source as a command names it: a node (all its volumes) or `<node>:<volume name>` (one volume of its `sources:`). */
export function checkSourceSelector(value: unknown, field: string): string {
  const [node, volume, ...rest] = typeof value === 'string' ? value.split(':') : [];
  if (typeof value !== 'string' || !NAME_RE.test(node ?? '') || node!.includes('..') || rest.length > 0 || (volume !== undefined && !VOLUME_NAME_RE.test(volume))) {
    throw new FfError('INVALID_ARGUMENT', `${field} ${describe(value)} is not a source: a node name, or <node>:<volume> for one volume of a node's sources:`, { details: { field } });
  }
  return value;
}

/** The node of a source selector (see checkSourceSelector). */
export function nodeOf(selector: string): string {
  return selector.split(':')[0]!;
}

/** Checks an entry name from a request (see ENTRY_RE); INVALID_ARGUMENT names the field. */
export function checkEntry(value: unknown, field = 'entry'): string {
  if (typeof value !== 'string' || value.length > 255 || !ENTRY_RE.test(value) || value.includes('..')) {
    throw new FfError('INVALID_ARGUMENT', `${field} ${describe(value)} is not an entry name (<source>@+<volume>)`, { details: { field } });
  }
  return value;
}

/** Checks a keyspace from a request or a command line: a Cassandra name, never a system keyspace. */
export function checkKeyspace(value: unknown, field: string): string {
  if (typeof value !== 'string' || !KEYSPACE_RE.test(value)) {
    throw new FfError('INVALID_ARGUMENT', `${field} ${describe(value)} is not a keyspace name (letters, digits, _; at most 48)`, { details: { field } });
  }
  if (CASSANDRA_SYSTEM_KEYSPACES.includes(value.toLowerCase())) {
    throw new FfError('INVALID_ARGUMENT', `${field} ${value} is a system keyspace; freezeframe restores application keyspaces only`, { details: { field } });
  }
  return value;
}

/** Whether `value` is a ticket as OpenReceive issues them (see TICKET_RE). */
export function isTicket(value: unknown): value is string {
  return typeof value === 'string' && TICKET_RE.test(value);
}

/** A host name (HOST_NAME_RE) or an IP address, IPv6 with or without brackets. */
export function isHost(value: string): boolean {
  return isIP(value.replace(/^\[(.*)\]$/, '$1')) !== 0 || HOST_NAME_RE.test(value);
}

/** Whether `value` is a dataset name (not a snapshot): ZFS_DATASET_RE, no `..`, no trailing '/'. */
export function isZfsDataset(value: string): boolean {
  return ZFS_DATASET_RE.test(value) && !value.includes('..') && !value.endsWith('/');
}

/** When backup `id` was started (Unix ms, from its `YYYYMMDD_HHMMSS` in UTC); undefined when it is not a backup id. */
export function backupIdTime(id: string): number | undefined {
  if (!BACKUP_ID_RE.test(id)) return undefined;
  const n = (from: number, len: number) => Number(id.slice(from, from + len));
  return Date.UTC(n(0, 4), n(4, 2) - 1, n(6, 2), n(9, 2), n(11, 2), n(13, 2));
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

/** A restore drill's run id, `drill_<YYYYMMDD_HHMMSS>` (UTC): its run record and its scratch folder on the drill node. */
export const DRILL_ID_RE = /^drill_[0-9]{8}_[0-9]{6}$/;

export function checkDrillId(value: unknown, field = 'drill_id'): string {
  if (typeof value !== 'string' || !DRILL_ID_RE.test(value)) {
    throw new FfError('INVALID_ARGUMENT', `${field} ${describe(value)} is not a drill id (drill_YYYYMMDD_HHMMSS)`, { details: { field } });
  }
  return value;
}

/** A restore's run id, `restore_<YYYYMMDD_HHMMSS>` (UTC): its run record, and with `--to-dir` its folder on the node. */
export const RESTORE_ID_RE = /^restore_[0-9]{8}_[0-9]{6}$/;

export function checkRestoreId(value: unknown, field = 'restore_id'): string {
  if (typeof value !== 'string' || !RESTORE_ID_RE.test(value)) {
    throw new FfError('INVALID_ARGUMENT', `${field} ${describe(value)} is not a restore run id (restore_YYYYMMDD_HHMMSS)`, { details: { field } });
  }
  return value;
}

/** A replication run's id, `replicate_<YYYYMMDD_HHMMSS>` (UTC): its run record (`freezeframe show`). */
export const REPLICATE_ID_RE = /^replicate_[0-9]{8}_[0-9]{6}$/;

/** At most this many `--path`s in one restore (each becomes rsync rules the target writes). */
export const RESTORE_PATHS_MAX = 64;
/** Linux limits: a whole path, one name (bytes). */
const PATH_MAX_BYTES = 4095;
const NAME_MAX_BYTES = 255;

/**
 * The subtrees of a partial restore (`restore --path`), as the director takes them from the
 * command line and the target from RestoreSource: each relative to the source's tree, with no
 * `.` or `..` component, no empty one (`a//b`), no NUL or other control character, at most
 * RESTORE_PATHS_MAX of them. A trailing '/' is dropped; a path given twice counts once. Every
 * refusal names `field`.
 */
export function checkRestorePaths(value: unknown, field = 'paths'): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new FfError('INVALID_ARGUMENT', `${field} names no path`, { details: { field } });
  }
  if (value.length > RESTORE_PATHS_MAX) {
    throw new FfError('INVALID_ARGUMENT', `${field} names ${value.length} paths; at most ${RESTORE_PATHS_MAX}`, { hint: 'restore a common parent folder instead', details: { field } });
  }
  const out: string[] = [];
  for (const p of value as unknown[]) {
    const bad = (why: string) => new FfError('INVALID_ARGUMENT', `${field} ${describe(p)} ${why}`, { hint: 'name a file or folder by its path inside the source, e.g. srv/uploads/2024', details: { field } });
    if (typeof p !== 'string') throw bad('is not a path');
    if (/[\x00-\x1f\x7f]/.test(p)) throw bad('holds a control character');
    if (p.startsWith('/')) throw bad('is absolute: a path is relative to the source\'s tree');
    const trimmed = p.replace(/\/+$/, '');
    if (trimmed === '') throw bad('is empty');
    if (Buffer.byteLength(trimmed) > PATH_MAX_BYTES) throw bad('is too long');
    for (const c of trimmed.split('/')) {
      if (c === '') throw bad("has an empty component ('//')");
      if (c === '.' || c === '..') throw bad(`names '${c}': a path names its folders plainly, inside the source`);
      if (Buffer.byteLength(c) > NAME_MAX_BYTES) throw bad('has a name longer than 255 bytes');
    }
    if (!out.includes(trimmed)) out.push(trimmed);
  }
  return out;
}
