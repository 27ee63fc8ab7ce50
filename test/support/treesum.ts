import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** One line per entry of a tree: what a restore must bring back exactly. */
export interface TreeEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: string;
  uid: number;
  gid: number;
  /** Seconds: zfs-fuse and btrfs agree on them; sub-second precision differs between them. */
  mtime: number;
  size?: number;
  sha256?: string;
  link?: string;
  /** Hard links: every name of one inode carries the first (sorted) name of that inode. */
  hardLinkOf?: string;
}

export interface TreeSumOptions {
  /** Relative paths (and everything below them) to leave out. */
  exclude?: string[];
  /** The root's own mtime changes when anything in it is added or removed; some checks ignore it. */
  rootMtime?: boolean;
}

/** Walks `root` without following symlinks and lists every entry with its metadata and content hash. */
export function treeEntries(root: string, opts: TreeSumOptions = {}): TreeEntry[] {
  const exclude = new Set(opts.exclude ?? []);
  const out: TreeEntry[] = [];
  const inodes = new Map<string, string>();
  const walk = (rel: string): void => {
    const abs = rel === '' ? root : join(root, rel);
    const st = lstatSync(abs);
    const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
    const e: TreeEntry = {
      path: rel === '' ? '.' : rel,
      type,
      mode: (st.mode & 0o7777).toString(8),
      uid: st.uid,
      gid: st.gid,
      mtime: Math.floor(st.mtimeMs / 1000),
    };
    if (rel === '' && opts.rootMtime === false) e.mtime = 0;
    if (type === 'file') {
      e.size = st.size;
      e.sha256 = createHash('sha256').update(readFileSync(abs)).digest('hex');
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = inodes.get(key);
        if (first === undefined) inodes.set(key, e.path);
        else e.hardLinkOf = first;
      }
    }
    if (type === 'symlink') {
      e.link = readlinkSync(abs);
      // symlink times are not part of what rsync promises on every filesystem
      e.mtime = 0;
      e.mode = '';
    }
    out.push(e);
    if (type === 'dir') {
      for (const name of readdirSync(abs).sort()) {
        const child = rel === '' ? name : `${rel}/${name}`;
        if (!exclude.has(child)) walk(child);
      }
    }
  };
  walk('');
  return out;
}

/** The tree as text, one entry a line: diffable in a failing assertion. */
export function treeListing(root: string, opts: TreeSumOptions = {}): string[] {
  return treeEntries(root, opts).map((e) =>
    [
      e.path,
      e.type,
      e.mode,
      `${e.uid}:${e.gid}`,
      e.mtime,
      e.size ?? '',
      e.sha256?.slice(0, 16) ?? '',
      e.link !== undefined ? `-> ${e.link}` : '',
      e.hardLinkOf !== undefined ? `= ${e.hardLinkOf}` : '',
    ].join(' '),
  );
}
