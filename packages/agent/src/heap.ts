import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// V8 collects its heap when it needs the room, not when the agent goes idle: after the tag of a
// first backup of 200 000 files the target agent held ~550 MB, 14 MB of it live, for as long as
// it stayed idle (bench/PROFILE.md, fifteenth pass). Every command the agent starts forks the
// whole process (a spawn costs ~10 ms of CPU at 1 GB against ~2 ms at 50 MB), and an operator sees
// the RSS. So after a call that leaves a large heap behind, the agent collects it at once.

/** Heap in use past which the end of a call collects. */
export const LARGE_HEAP_BYTES = 64 << 20;
/** A heap that stays large (much live data) is collected this often at most. */
const MIN_INTERVAL_MS = 10_000;

let gc: (() => void) | undefined;
let last = 0;

/** Collects the heap if it is larger than `LARGE_HEAP_BYTES`; returns whether it did. */
export function collectIfLarge(now = Date.now()): boolean {
  if (getHeapStatistics().used_heap_size < LARGE_HEAP_BYTES || now - last < MIN_INTERVAL_MS) return false;
  last = now;
  if (!gc) {
    // node has no API for a full collection; this flag only makes V8's own gc() callable from here
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  return true;
}
