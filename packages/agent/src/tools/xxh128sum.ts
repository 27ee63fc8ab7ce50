import { findBinary, run } from '@freezeframe/common';
import { FILE_ARGV_LIMITS, runBatches } from '../batches.js';

/**
 * `xxh128sum` (Debian's xxhash): the whole-file xxh128 rsync prints as `%C` (rsync.ts
 * FILE_CHECKSUM), in the same big-endian hex. It reads a file in a few tens of µs where a local
 * rsync `--dry-run --checksum` takes ~130 µs of its file list and three processes
 * (bench/PROFILE.md, twenty-ninth pass).
 */
export const XXH128SUM = 'xxh128sum';

const LINE = /^([0-9a-f]{32}) {2}(.*)$/;

/**
 * Whether xxh128sum prints `name` as it is. It prints names unescaped, one line each (0.8.1), so
 * a name with a newline could not be told from two lines; a later version may escape a
 * backslash; argv is UTF-8 text. Such names go to rsyncFileSums instead.
 */
export function xxhPrintable(name: Buffer): boolean {
  if (name.includes(0x0a) || name.includes(0x5c)) return false;
  return Buffer.from(name.toString('utf8'), 'utf8').equals(name);
}

/**
 * xxh128 of each of `names` (relative to `root`, each xxhPrintable), keyed by the name's bytes as
 * latin1 text (as rsyncFileSums keys them). A name that could not be read is left out. Follows a
 * symlink: callers pass only names a no-follow listing found as regular files.
 */
export async function xxh128Sums(root: string, names: readonly Buffer[], timeoutMs = 6 * 3_600_000): Promise<Map<string, string>> {
  const sums = new Map<string, string>();
  const paths = names.map((n) => n.toString('utf8'));
  await runBatches(paths, FILE_ARGV_LIMITS, async (batch) => {
    const r = await run({
      bin: findBinary(XXH128SUM),
      args: ['--', ...batch],
      cwd: root,
      timeoutMs,
      // 1: a file that could not be read; it gets no sum and the caller counts it as different
      okExitCodes: [0, 1],
      maxStdout: 64 << 20,
    });
    for (const line of r.stdout.split('\n')) {
      const m = LINE.exec(line);
      if (m) sums.set(Buffer.from(m[2]!, 'utf8').toString('latin1'), m[1]!);
    }
  });
  return sums;
}
