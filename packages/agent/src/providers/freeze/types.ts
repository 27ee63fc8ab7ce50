import type { Check, CheckOptions } from '../checks.js';

/**
 * A freeze kind: pauses this node's applications and resumes exactly what it paused.
 * Providers keep no state: the agent's lease keeps the returned ids (and records them under
 * runDir so a restarted agent can thaw them).
 */
export interface FreezeProvider {
  readonly kind: string;
  /** Pauses what the config selects; returns stable ids of what it paused (container ids, cgroup paths). */
  freeze(signal?: AbortSignal): Promise<string[]>;
  /** Resumes exactly `ids`; ids that are gone or already running are not errors. Returns what was resumed. */
  thaw(ids: readonly string[]): Promise<string[]>;
  /** What this kind relies on (cgroups, the engine's socket, hook programs), checked on the real system; never throws. */
  checks(o?: CheckOptions): Promise<Check[]>;
}
