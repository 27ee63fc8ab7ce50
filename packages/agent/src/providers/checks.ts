import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorMessage, formatBytes } from '@freezeframe/common';
import { mountHolding, type MountEntry } from '../mountinfo.js';

// What each provider relies on, looked at on the real system. Health (rpc/health.ts) and
// `freezeframe-agent --check` (main.ts) both run every provider's checks() and only aggregate.

/** One thing a provider relies on, with what was found. */
export interface Check {
  /** Stable name (Health's check name), e.g. `source-volume`, `freeze-group`, `target-space`. */
  name: string;
  ok: boolean;
  /** Names the config key and its value, and on failure the cause: `source.volume: /srv/app does not exist`. */
  detail: string;
  /** A failure is a warning, not a problem (the operator decides; a backup still works). */
  warnOnly?: boolean;
  /** About an application the node serves rather than freezeframe's own resources. */
  application?: boolean;
}

export interface CheckOptions {
  /**
   * Also what changes while the agent runs: free space, a pool's state, an application that
   * answers (Health). Without it only whether the config matches the system: paths, file system
   * kinds, groups, datasets, programs (`--check`, which runs before the agent serves).
   */
  live?: boolean;
}

/** Below this, a source or target is reported as a problem (snapshots and backups grow). */
export const MIN_FREE_BYTES = 64 << 20;

export const firstLine = (s: string) => s.split('\n')[0]!.trim();

const reason = (e: unknown) => (e as NodeJS.ErrnoException).code ?? firstLine(errorMessage(e));

/** `key: path` exists and is a folder (links followed: the config names it, root owns it). */
export async function folderCheck(name: string, key: string, path: string): Promise<Check> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) return { name, ok: true, detail: `${key}: ${path} is a folder` };
    return { name, ok: false, detail: `${key}: ${path} is not a folder` };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { name, ok: false, detail: code === 'ENOENT' ? `${key}: ${path} does not exist` : `${key}: ${path}: ${reason(e)}` };
  }
}

/** `key: path` is a program root can run: an absolute path to an executable regular file. */
export async function programCheck(name: string, key: string, path: string): Promise<Check> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return { name, ok: false, detail: `${key}: ${path} is not a file` };
    await access(path, constants.X_OK);
    return { name, ok: true, detail: `${key}: ${path} is executable` };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { name, ok: false, detail: code === 'ENOENT' ? `${key}: ${path} does not exist` : code === 'EACCES' ? `${key}: ${path} is not executable` : `${key}: ${path}: ${reason(e)}` };
  }
}

/** `key: path` is a unix socket (a Docker engine's). */
export async function socketCheck(name: string, key: string, path: string): Promise<Check> {
  try {
    if ((await stat(path)).isSocket()) return { name, ok: true, detail: `${key}: ${path} is a socket` };
    return { name, ok: false, detail: `${key}: ${path} is not a socket` };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { name, ok: false, detail: code === 'ENOENT' ? `${key}: ${path} does not exist (is the engine running?)` : `${key}: ${path}: ${reason(e)}` };
  }
}

/** How a file system type reads in messages: zfs-fuse mounts as `fuse.zfs`. */
export function fsKind(m: MountEntry | undefined): string {
  if (!m) return 'an unknown file system';
  return `${m.fsType} (${m.source} on ${m.mountPoint})`;
}

/** Whether a mount is ZFS (in-kernel OpenZFS or zfs-fuse). */
export const isZfsMount = (m: MountEntry | undefined) => m?.fsType === 'zfs' || m?.fsType === 'fuse.zfs' || m?.fsType === 'fuse.zfs-fuse';

/** `key: path` lies on a file system of `kind` (`btrfs`), by the mount holding it. */
export async function fileSystemCheck(name: string, key: string, path: string, kind: 'btrfs'): Promise<{ check: Check; mount?: MountEntry }> {
  try {
    const m = await mountHolding(path);
    if (m?.fsType === kind) return { check: { name, ok: true, detail: `${key}: ${path} is on ${fsKind(m)}` }, mount: m };
    return { check: { name, ok: false, detail: `${key}: ${path} is on ${fsKind(m)}, not ${kind}` }, ...(m ? { mount: m } : {}) };
  } catch (e) {
    return { check: { name, ok: false, detail: `${key}: cannot tell the file system of ${path}: ${reason(e)}` } };
  }
}

/** Enough free space where snapshots or backups grow (`what` names it: `source volume /srv`). */
export async function spaceCheck(name: string, what: string, free: () => Promise<number>): Promise<Check> {
  try {
    const n = await free();
    return n >= MIN_FREE_BYTES ? { name, ok: true, detail: `${what}: ${formatBytes(n)} free` } : { name, ok: false, detail: `${what} has only ${formatBytes(n)} free (at least ${formatBytes(MIN_FREE_BYTES)} needed)` };
  } catch (e) {
    return { name, ok: false, detail: `${what}: ${firstLine(errorMessage(e))}` };
  }
}

/** `key: path` may be missing (the agent makes it), but then its nearest existing folder must be a folder. */
export async function creatableCheck(name: string, key: string, path: string): Promise<Check> {
  for (let p = path; ; p = dirname(p)) {
    try {
      const st = await stat(p);
      if (!st.isDirectory()) return { name, ok: false, detail: `${key}: ${p} is not a folder` };
      return { name, ok: true, detail: p === path ? `${key}: ${path} is a folder` : `${key}: ${path} will be made in ${p}` };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || p === dirname(p)) return { name, ok: false, detail: `${key}: ${path}: ${reason(e)}` };
    }
  }
}

/**
 * The mount holding `path` has nosuid,nodev (a warning: a source's files must not become setuid
 * programs or device nodes where backups are stored; the operator decides how to mount).
 * `what` names it: `target /srv/backups`.
 */
export async function mountOptionsCheck(name: string, what: string, path: string): Promise<Check> {
  try {
    const m = await mountHolding(path);
    const missing = ['nosuid', 'nodev'].filter((o) => !m?.options.includes(o));
    return {
      name,
      ok: missing.length === 0,
      warnOnly: true,
      detail: missing.length === 0
        ? `${what} is on ${m!.mountPoint}, mounted nosuid,nodev`
        : `${what} is on ${m?.mountPoint ?? 'an unknown mount'}, mounted without ${missing.join(',')}: a source could place setuid programs or device nodes there (mount it nosuid,nodev,noexec)`,
    };
  } catch (e) {
    return { name, ok: false, warnOnly: true, detail: `cannot tell how ${what} is mounted: ${firstLine(String(e))}` };
  }
}
