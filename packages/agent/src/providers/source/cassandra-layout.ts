import { copyFile, link, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FfError } from '@freezeframe/common';

// Cassandra's on-disk layout: `<dataDir>/<keyspace>/<table>-<32 hex uuid>/` holds the live
// sstables (`nb-1-big-Data.db`, ...), secondary indexes in `.<index>/` subfolders, and
// `snapshots/<tag>/` and `backups/` beside them. A backup carries `<keyspace>/<table>/`.

const TABLE_DIR_RE = /^([A-Za-z0-9_]{1,222})-([0-9a-f]{32})$/;
/** Folders in a table folder that are not live data. */
const NOT_LIVE = new Set(['snapshots', 'backups']);
/** Files in a snapshot that describe it and are never put back among the live sstables. */
export const SNAPSHOT_METADATA = new Set(['manifest.json', 'schema.cql']);

export interface TableDir {
  table: string;
  uuid: string;
  path: string;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Table folders of a keyspace; a table dropped and created again has several (newest mtime first). */
export async function tableDirs(dataDir: string, keyspace: string): Promise<Map<string, TableDir[]>> {
  const out = new Map<string, Array<TableDir & { mtime: number }>>();
  for (const name of await listDir(join(dataDir, keyspace))) {
    const m = TABLE_DIR_RE.exec(name);
    if (!m) continue;
    const path = join(dataDir, keyspace, name);
    const s = await stat(path);
    if (!s.isDirectory()) continue;
    const list = out.get(m[1]!) ?? [];
    list.push({ table: m[1]!, uuid: m[2]!, path, mtime: s.mtimeMs });
    out.set(m[1]!, list);
  }
  for (const list of out.values()) list.sort((a, b) => b.mtime - a.mtime);
  return out as Map<string, TableDir[]>;
}

export interface TreeCount {
  files: number;
  bytes: number;
}

/**
 * Hard-links the tree `from` into `to` (folders made, files linked; copied when `to` is on
 * another filesystem). sstables are immutable, so links are as good as copies and cost nothing.
 */
export async function linkTree(from: string, to: string, opts: { skip?: (name: string, depth: number) => boolean; owner?: { uid: number; gid: number } } = {}, depth = 0): Promise<TreeCount> {
  const count: TreeCount = { files: 0, bytes: 0 };
  await mkdir(to, { recursive: true });
  for (const name of await listDir(from)) {
    if (opts.skip?.(name, depth)) continue;
    const src = join(from, name);
    const dst = join(to, name);
    const s = await lstat(src);
    if (s.isDirectory()) {
      const c = await linkTree(src, dst, opts, depth + 1);
      count.files += c.files;
      count.bytes += c.bytes;
    } else if (s.isFile()) {
      try {
        await link(src, dst);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EXDEV' || code === 'EPERM') await copyFile(src, dst);
        else throw e;
      }
      count.files++;
      count.bytes += s.size;
    } else {
      throw new FfError('SNAPSHOT_FAILED', `${src} is neither a file nor a folder; Cassandra data holds only those`);
    }
  }
  return count;
}

/** Folders in a table folder that hold live sstables: itself and its `.<index>` folders. */
export async function liveFolders(tableDir: string): Promise<string[]> {
  const out = [tableDir];
  for (const name of await listDir(tableDir)) {
    if (NOT_LIVE.has(name) || !name.startsWith('.')) continue;
    if ((await lstat(join(tableDir, name))).isDirectory()) out.push(join(tableDir, name));
  }
  return out;
}

export function isNotLive(name: string): boolean {
  return NOT_LIVE.has(name);
}

export { listDir };
