// What a signal does to a backup or restore run by this process (docs/reliability.md,
// "Interrupting a run"). The engine only sees an AbortSignal; the process-wide handlers live here.

export type RunSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** The part of `process` the handlers need; tests pass their own. */
export interface SignalSource {
  on(signal: RunSignal, fn: () => void): unknown;
  off(signal: RunSignal, fn: () => void): unknown;
}

export interface RunSignals {
  /** Aborted by the first SIGINT or SIGTERM, with the signal's name as its reason. */
  readonly signal: AbortSignal;
  /** Removes the handlers: the process's default behaviour again. */
  dispose(): void;
}

export interface WatchOptions {
  /** The run, for the messages ("backup 20250101_020000"); known only once the run started. */
  what: () => string;
  /** A line for the operator (stderr). Must not throw: the terminal may be gone. */
  say: (line: string) => void;
  /** A second SIGINT/SIGTERM: leave now, whatever is left behind (the agents' leases undo it). */
  exitNow: (code: number) => void;
  /** What stopping cleanly does, for the message (default: a backup's or restore's clean-up). */
  cleanup?: string;
}

/** 128 + the signal's number, as a shell reports a process a signal ended. */
export const SIGNAL_EXIT: Record<RunSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/**
 * For one run: SIGINT or SIGTERM asks it to stop cleanly (the engine thaws, releases snapshots,
 * unlocks and records `incomplete`), a second one exits at once. SIGHUP (the ssh session or the
 * terminal closed) is ignored: the run goes on, its output is dropped, its record stays current.
 */
export function watchRunSignals(src: SignalSource, o: WatchOptions): RunSignals {
  const ac = new AbortController();
  const stop = (sig: 'SIGINT' | 'SIGTERM') => () => {
    if (ac.signal.aborted) {
      o.say(`${sig} again: exiting now; the agents thaw when the freeze lease ends, the target lock expires, \`freezeframe cleanup\` removes what is left`);
      o.exitNow(SIGNAL_EXIT[sig]);
      return;
    }
    o.say(`${sig}: stopping ${o.what()} cleanly (${o.cleanup ?? 'thaw, release snapshots, unlock'}); ${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to exit at once`);
    ac.abort(sig);
  };
  const onInt = stop('SIGINT');
  const onTerm = stop('SIGTERM');
  // main.js ignores write errors on stdout and stderr: a hung-up terminal loses the output, not the run
  const onHup = () => {
    o.say(`SIGHUP: the terminal is gone; ${o.what()} goes on (\`freezeframe status\` shows it)`);
  };
  src.on('SIGINT', onInt);
  src.on('SIGTERM', onTerm);
  src.on('SIGHUP', onHup);
  return {
    signal: ac.signal,
    dispose() {
      src.off('SIGINT', onInt);
      src.off('SIGTERM', onTerm);
      src.off('SIGHUP', onHup);
    },
  };
}
