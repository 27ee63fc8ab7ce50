import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// V8 collects its heap when it needs the room, not when the agent goes idle: after the tag of a
// first backup of 200 000 files the target agent held ~550 MB, 14 MB of it live, for as long as
// it stayed idle (bench/PROFILE.md, fifteenth pass). Every command the agent starts forks the
// whole process (a spawn costs ~10 ms of CPU at 1 GB against ~2 ms at 50 MB), and an operator sees
// the RSS. So once the agent is idle after calls that left a large heap behind, it collects it.
// Not at the end of each call: a full collection of a large heap takes tens to hundreds of ms,
// and a backup's Freeze, PrepareSnapshot and Thaw follow each other within milliseconds while
// applications are paused.

/** Heap in use past which an idle agent collects. */
export const LARGE_HEAP_BYTES = 64 << 20;
/** Quiet time after the last call ends before the heap is looked at. */
export const IDLE_MS = 1_000;
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

/**
 * Runs `fn` once no call has been running for `idleMs`: `started()` at each call's start,
 * `ended()` at its end (exactly once per call).
 */
export function whenIdle(fn: () => void, idleMs = IDLE_MS): { started(): void; ended(): void } {
  let running = 0;
  let timer: NodeJS.Timeout | undefined;
  return {
    started() {
      running++;
      clearTimeout(timer);
      timer = undefined;
    },
    ended() {
      running = Math.max(0, running - 1);
      if (running > 0) return;
      clearTimeout(timer);
      timer = setTimeout(fn, idleMs);
      timer.unref();
    },
  };
}
