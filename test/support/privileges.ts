import { spawnSync } from 'node:child_process';

/**
 * Tests that need root or a kernel feature call this at the top of their file:
 * `const skip = needsRoot('btrfs loop mounts');` then `describe.skipIf(skip)(...)`.
 * Outside root they skip with a printed reason; in CI (FREEZEFRAME_CI=1, set by .ci/run)
 * a missing privilege or tool is a failure, never a skip.
 */
export function needsRoot(what: string, tools: string[] = []): boolean {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('not running as root');
  for (const t of tools) {
    if (spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }).status !== 0) {
      problems.push(`${t} is not installed`);
    }
  }
  if (problems.length === 0) return false;
  const reason = `${what}: ${problems.join(', ')}`;
  if (process.env.FREEZEFRAME_CI === '1') throw new Error(`required in CI but unavailable: ${reason}`);
  console.warn(`SKIP ${reason}`);
  return true;
}

/**
 * For a missing optional feature (a hierarchy, a program outside PATH): true (skip, with the
 * reason printed) when `missing`; in CI a missing feature is a failure, never a skip.
 */
export function lacks(what: string, missing: boolean): boolean {
  if (!missing) return false;
  if (process.env.FREEZEFRAME_CI === '1') throw new Error(`required in CI but unavailable: ${what}`);
  console.warn(`SKIP ${what} is not available`);
  return true;
}
