import { readFile, realpath } from 'node:fs/promises';
import { dirname } from 'node:path';

// /proc/self/mountinfo (proc(5)): which mount holds a path and with which per-mount options
// (nosuid, nodev, noexec live there, not among the filesystem's own options after ' - ').

export interface MountEntry {
  mountPoint: string;
  /** Per-mount options: rw|ro, nosuid, nodev, noexec, relatime, ... */
  options: string[];
  fsType: string;
  source: string;
  /** The file system's own options (after ' - '): btrfs's nodatasum, ... */
  superOptions: string[];
}

/** Mount points escape space, tab, newline and backslash as octal (`\040`). */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 0) continue;
    out.push({ mountPoint: unescape(f[4]!), options: f[5]!.split(','), fsType: f[sep + 1]!, source: unescape(f[sep + 2]!), superOptions: (f[sep + 3] ?? '').split(',') });
  }
  return out;
}

/** The mount holding `path` (absolute, links resolved): the longest mount point above it; of equal ones the last, which is on top. */
export function mountOf(mounts: readonly MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    const under = m.mountPoint === '/' || path === m.mountPoint || path.startsWith(`${m.mountPoint}/`);
    if (under && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

/** The mount holding `path` (or, while it does not exist, its nearest folder that does) in this process's mount namespace. */
export async function mountHolding(path: string): Promise<MountEntry | undefined> {
  let real: string | undefined;
  for (let p = path; real === undefined; p = dirname(p)) {
    try {
      real = await realpath(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || p === dirname(p)) throw e;
    }
  }
  return mountOf(parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8')), real);
}
