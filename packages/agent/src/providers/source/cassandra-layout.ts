import type { Stats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { FfError } from '@freezeframe/common';
import { linkRefused, openBeneath, placeFile, withDir, type SafeDir } from '../../safe-fs.js';

// Cassandra's on-disk layout: `<dataDir>/<keyspace>/<table>-<32 hex uuid>/` holds the live
// sstables (`nb-1-big-Data.db`, ...), secondary indexes in `.<index>/` subfolders, and
// `snapshots/<tag>/` and `backups/` beside them. A backup carries `<keyspace>/<table>/`.
// The Cassandra user owns all of it and the agent is root: every folder is opened through
// safe-fs, and a link anywhere below dataDir is refused (Cassandra makes none).

const TABLE_DIR_RE = /^([A-Za-z0-9_]{1,222})-([0-9a-f]{32})$/;
/** Folders in a table folder that are not live data. */
const NOT_LIVE = new Set(['snapshots', 'backups']);
/** Files in a snapshot that describe it and are never put back among the live sstables. */
export const SNAPSHOT_METADATA = new Set(['manifest.json', 'schema.cql']);

export interface TableDir {
  table: string;
  uuid: string;
  /** For messages; the folder is opened again with openTable(). */
  path: string;
  keyspace: string;
  /** `<table>-<uuid>` */
  folder: string;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * Table folders of a keyspace; a table dropped and created again has several (newest mtime
 * first). A link in place of a table folder is refused.
 */
export async function tableDirs(dataDir: string, keyspace: string): Promise<Map<string, TableDir[]>> {
  const out = new Map<string, Array<TableDir & { mtime: number }>>();
  const ks = await openBeneath(dataDir, keyspace);
  if (!ks) return new Map();
  await withDir(ks, async () => {
    for (const name of await ks.list()) {
      const m = TABLE_DIR_RE.exec(name);
      if (!m) continue;
      const s = await ks.lstat(name);
      if (s?.isSymbolicLink()) throw linkRefused(ks.show(name));
      if (!s?.isDirectory()) continue;
      const list = out.get(m[1]!) ?? [];
      list.push({ table: m[1]!, uuid: m[2]!, path: ks.show(name), keyspace, folder: name, mtime: s.mtimeMs });
      out.set(m[1]!, list);
    }
  });
  for (const list of out.values()) list.sort((a, b) => b.mtime - a.mtime);
  return out as Map<string, TableDir[]>;
}

/** Opens a table folder found by tableDirs(), again refusing links on the way. */
export async function openTable(dataDir: string, t: TableDir): Promise<SafeDir> {
  const d = await openBeneath(dataDir, t.keyspace, t.folder);
  if (!d) throw new FfError('NOT_FOUND', `table folder ${t.path} is gone`, { details: { path: t.path } });
  return d;
}

/** The folder `snapshots/<tag>` of a table, if there is one; links refused. */
export async function openSnapshot(dataDir: string, t: TableDir, tag: string): Promise<SafeDir | undefined> {
  const snaps = await openBeneath(dataDir, t.keyspace, t.folder, 'snapshots');
  return snaps && withDir(snaps, () => snaps.dir(tag));
}

export interface TreeCount {
  files: number;
  bytes: number;
}

/**
 * Hard-links the tree `from` into `to` (folders made, files linked; copied when `to` is on
 * another filesystem). sstables are immutable, so links are as good as copies and cost nothing.
 * With `owner`, what is placed (and only that) gets that owner. A link in `from` is refused.
 */
export async function linkTree(from: SafeDir, to: SafeDir, opts: { skip?: (name: string, depth: number) => boolean; owner?: { uid: number; gid: number } } = {}, depth = 0): Promise<TreeCount> {
  const count: TreeCount = { files: 0, bytes: 0 };
  for (const name of await from.list()) {
    if (opts.skip?.(name, depth)) continue;
    const s = await from.lstat(name);
    if (!s) continue;
    if (s.isDirectory()) {
      const c = await withDir(await from.mustDir(name), async (sub) =>
        withDir(await to.mustDir(name, { create: s.mode & 0o777, ...(opts.owner ? { owner: opts.owner } : {}) }), (dst) => linkTree(sub, dst, opts, depth + 1)),
      );
      count.files += c.files;
      count.bytes += c.bytes;
    } else if (s.isFile()) {
      await placeFile(from, name, to, opts.owner);
      count.files++;
      count.bytes += s.size;
    } else if (s.isSymbolicLink()) {
      throw linkRefused(from.show(name));
    } else {
      throw new FfError('SNAPSHOT_FAILED', `${from.show(name)} is neither a file nor a folder; Cassandra data holds only those`);
    }
  }
  return count;
}

/**
 * Calls `fn` for every live sstable file of an open table folder: in the folder itself and in
 * its `.<index>` folders (`snapshots/` and `backups/` are not live). A link among them is
 * refused: Cassandra makes none, so one is planted.
 */
export async function forEachLiveFile(table: SafeDir, fn: (dir: SafeDir, name: string, s: Stats) => Promise<void>): Promise<void> {
  const visit = async (dir: SafeDir, top: boolean): Promise<void> => {
    for (const name of await dir.list()) {
      if (top && NOT_LIVE.has(name)) continue;
      const s = await dir.lstat(name);
      if (!s) continue;
      if (s.isSymbolicLink()) throw linkRefused(dir.show(name));
      if (s.isFile()) await fn(dir, name, s);
      else if (top && s.isDirectory() && name.startsWith('.')) await withDir(await dir.mustDir(name), (d) => visit(d, false));
    }
  };
  await visit(table, true);
}

export function isNotLive(name: string): boolean {
  return NOT_LIVE.has(name);
}

export { listDir };
