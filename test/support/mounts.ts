import { mkdirSync } from 'node:fs';
import { findBinary, run } from '@freezeframe/common';

/**
 * Mounts a tmpfs at `dir` as a backup target should be mounted (nosuid,nodev,noexec: what a
 * source sends must not act on the target; the agent's Health warns otherwise). Returns the
 * unmount. Needs root.
 */
export async function mountTargetTmpfs(dir: string, sizeMiB = 256): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true });
  await run({ bin: findBinary('mount'), args: ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,nosuid,nodev,noexec`, 'tmpfs', dir], timeoutMs: 30_000 });
  return async () => {
    await run({ bin: findBinary('umount'), args: [dir], timeoutMs: 30_000 });
  };
}
