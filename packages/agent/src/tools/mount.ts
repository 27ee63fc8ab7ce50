import { isAbsolute } from 'node:path';
import { FfError, findBinary, isFfError, run, silentLogger, type Logger } from '@freezeframe/common';

/**
 * util-linux `mount`, `umount` and `mountpoint`, for snapshots that are block devices (LVM) or
 * network volumes (GlusterFS). Always read-only: nothing freezeframe mounts is written to.
 */
export interface MountOptions {
  logger?: Logger;
  signal?: AbortSignal;
  timeoutMs?: number;
}

const FS_TYPE_RE = /^[a-z0-9]{1,16}$/;
const OPTION_RE = /^[a-z0-9_]+(=[A-Za-z0-9_.:-]+)?$/;

function checkPath(p: string, what: string): string {
  if (!isAbsolute(p) || p.split('/').includes('..')) throw new FfError('INVALID_ARGUMENT', `${what} ${JSON.stringify(p)} must be an absolute path without ".."`);
  return p;
}

/** `mount -t <fsType> -o ro[,options] -- <source> <dir>`; `source` is a device path or `host:/path`. */
export function mountReadOnlyArgs(source: string, dir: string, o: { fsType?: string | undefined; options?: string[] }): string[] {
  if (source.startsWith('-') || source.includes('\0')) throw new FfError('INVALID_ARGUMENT', `mount source ${JSON.stringify(source)} is not valid`);
  if (o.fsType !== undefined && !FS_TYPE_RE.test(o.fsType)) throw new FfError('INVALID_ARGUMENT', `${JSON.stringify(o.fsType)} is not a file system type`);
  for (const opt of o.options ?? []) if (!OPTION_RE.test(opt)) throw new FfError('INVALID_ARGUMENT', `${JSON.stringify(opt)} is not a mount option`);
  return [...(o.fsType ? ['-t', o.fsType] : []), '-o', ['ro', ...(o.options ?? [])].join(','), '--', source, checkPath(dir, 'mount point')];
}

export async function mountReadOnly(source: string, dir: string, o: MountOptions & { fsType?: string | undefined; options?: string[] } = {}): Promise<void> {
  try {
    await run({ bin: findBinary('mount'), args: mountReadOnlyArgs(source, dir, o), timeoutMs: o.timeoutMs ?? 120_000, logger: o.logger ?? silentLogger, ...(o.signal ? { signal: o.signal } : {}) });
  } catch (e) {
    if (!isFfError(e, 'COMMAND_FAILED')) throw e;
    const stderr = typeof e.details?.stderr === 'string' ? e.details.stderr.trim() : '';
    const hint = /wrong fs type|bad superblock/.test(stderr) ? 'an XFS snapshot needs source.fsType: xfs (it mounts with nouuid)' : undefined;
    throw new FfError('SNAPSHOT_FAILED', `mounting ${source} read-only on ${dir} failed: ${stderr || 'no reason given'}`, { cause: e, details: { ...e.details, path: dir }, ...(hint ? { hint } : {}) });
  }
}

/** Unmounts `dir`; false when nothing was mounted there. */
export async function umount(dir: string, o: MountOptions = {}): Promise<boolean> {
  if (!(await isMountPoint(dir, o))) return false;
  await run({ bin: findBinary('umount'), args: ['--', checkPath(dir, 'mount point')], timeoutMs: o.timeoutMs ?? 120_000, logger: o.logger ?? silentLogger });
  return true;
}

/** `mountpoint -q dir`: true when a file system is mounted exactly there (exit 0), false for 32 or a missing folder. */
export async function isMountPoint(dir: string, o: MountOptions = {}): Promise<boolean> {
  const r = await run({ bin: findBinary('mountpoint'), args: ['-q', '--', checkPath(dir, 'folder')], timeoutMs: o.timeoutMs ?? 30_000, logger: o.logger ?? silentLogger, okExitCodes: [0, 1, 32] });
  return r.code === 0;
}
