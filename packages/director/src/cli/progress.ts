import cliProgress from 'cli-progress';
import type { EngineEvent, EventSink, Phase, TransferProgress } from '../engine/core/types.js';
import { formatBytes, formatDuration, formatRate, terminalText } from './format.js';

export interface ProgressOutput {
  write(s: string): void;
  isTTY: boolean;
  /** The terminal's width (a TTY stream's `columns`); 80 when unknown. */
  columns?: number | undefined;
}

export type ProgressPrinter = EventSink & {
  /** Stops the output: on a terminal the bar is cleared. Call on completion and on errors; again is harmless. */
  finish(): void;
  /** A step of the command (demo, keyspace restore) as a line of its own. */
  note(s: string): void;
};

/** How often a non-terminal gets a progress line per node. */
const PLAIN_PROGRESS_EVERY_MS = 10_000;
/** The rate is measured over this much of the recent past. */
const RATE_WINDOW_MS = 5_000;
const TRANSFER_PHASES: ReadonlySet<Phase> = new Set(['transfer', 'restore', 'replicate']);

/** Bytes per second over the last RATE_WINDOW_MS of samples; undefined until half a second is covered. */
function rateMeter(now: () => number) {
  const samples: Array<{ at: number; bytes: number }> = [];
  return {
    add(bytes: number) {
      const at = now();
      samples.push({ at, bytes });
      while (samples.length > 2 && at - samples[1]!.at >= RATE_WINDOW_MS) samples.shift();
    },
    rate(): number | undefined {
      const first = samples[0];
      const last = samples[samples.length - 1];
      if (!first || !last || last.at - first.at < 500) return undefined;
      return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
    },
  };
}

interface SourceState {
  bytes: number;
  percent: number;
  done: boolean;
  startedAt: number;
  meter: ReturnType<typeof rateMeter>;
}

/**
 * The transfers of one run as the events tell them. The events carry no list of sources and no
 * expected size: the sources are the nodes of the snapshot phase (backups) or those that started
 * a transfer (restores), and each one's share is rsync's own percentage.
 */
function transferTally(now: () => number) {
  let expected = new Set<string>();
  let sources = new Map<string, SourceState>();
  let overall = rateMeter(now);
  let startedAt: number | undefined;
  const bytes = () => [...sources.values()].reduce((a, s) => a + s.bytes, 0);
  const source = (node: string) => {
    let s = sources.get(node);
    if (!s) {
      s = { bytes: 0, percent: 0, done: false, startedAt: now(), meter: rateMeter(now) };
      sources.set(node, s);
      startedAt ??= s.startedAt;
    }
    return s;
  };
  return {
    reset() {
      expected = new Set();
      sources = new Map();
      overall = rateMeter(now);
      startedAt = undefined;
    },
    event(e: EngineEvent) {
      if (e.type === 'node' && e.phase === 'snapshot') expected.add(e.node);
      if (e.type === 'node' && TRANSFER_PHASES.has(e.phase)) {
        const s = source(e.node);
        if (e.status === 'done') {
          s.done = true;
          s.percent = 100;
        }
      }
      if (e.type === 'progress' && TRANSFER_PHASES.has(e.phase)) {
        const s = source(e.node);
        // a second rsync pass (recheck) starts counting again: keep the larger figures
        s.bytes = Math.max(s.bytes, e.progress.bytes);
        s.percent = Math.max(s.percent, e.progress.percent);
        s.meter.add(e.progress.bytes);
        overall.add(bytes());
      }
    },
    /** The node's own rate, and the time left at that pace by rsync's percentage. */
    node(node: string, p: TransferProgress) {
      const s = source(node);
      const elapsed = now() - s.startedAt;
      const eta = p.percent > 0 && p.percent < 100 ? (elapsed * (100 - p.percent)) / p.percent : undefined;
      return { rate: s.meter.rate(), eta };
    },
    /** Across every source: the share done (0..1), sources done and known, bytes so far, rate, time left. */
    total() {
      const of = Math.max(expected.size, sources.size);
      const all = [...sources.values()];
      const fraction = of === 0 ? 0 : all.reduce((a, s) => a + (s.done ? 1 : Math.min(100, Math.max(0, s.percent)) / 100), 0) / of;
      const elapsed = startedAt === undefined ? 0 : now() - startedAt;
      const eta = fraction > 0 && fraction < 1 ? (elapsed * (1 - fraction)) / fraction : undefined;
      return { fraction, done: all.filter((s) => s.done).length, of, bytes: bytes(), rate: overall.rate(), eta };
    },
  };
}

/**
 * Turns engine events into output on stderr. On a terminal: one progress bar (cli-progress) with
 * the current phase and the progress of the transfers across all sources, and a permanent line
 * only for a warning, a failure or a step; the bar is cleared by `finish`. Elsewhere (pipes, CI,
 * the journal): plain timestamped lines, one per phase start and end, per finished transfer, and
 * per transfer every PLAIN_PROGRESS_EVERY_MS. Text from agents goes through terminalText.
 */
export function progressPrinter(out: ProgressOutput, opts: { now?: () => number } = {}): ProgressPrinter {
  const now = opts.now ?? Date.now;
  return out.isTTY ? barPrinter(out, now) : plainPrinter(out, now);
}

function barPrinter(out: ProgressOutput, now: () => number): ProgressPrinter {
  const tally = transferTally(now);
  let phase = '';
  let nodes = { started: 0, ended: 0 };
  let bars: cliProgress.MultiBar | undefined;
  let bar: cliProgress.SingleBar | undefined;
  const payload = () => {
    const t = tally.total();
    const detail = TRANSFER_PHASES.has(phase as Phase)
      ? [`${t.done}/${t.of} sources`, formatBytes(t.bytes), t.rate !== undefined ? formatRate(t.rate) : '', t.eta !== undefined ? `ETA ${formatDuration(t.eta)}` : ''].filter(Boolean).join('  ')
      : nodes.started > 0
        ? `${nodes.ended}/${nodes.started} nodes`
        : '';
    return { value: Math.round(t.fraction * 1000), fields: { phase: terminalText(phase, false).padEnd(10), detail: terminalText(detail, false) } };
  };
  const draw = () => {
    const p = payload();
    if (bar) {
      bar.update(p.value, p.fields);
      return;
    }
    if (!phase) return; // a bar appears with the first phase
    bars = new cliProgress.MultiBar({
      stream: out as unknown as NodeJS.WritableStream,
      format: '{phase} [{bar}] {percentage}%  {detail}',
      barsize: 24,
      // the library cuts the line at the terminal's width instead of turning wrapping off
      linewrap: true,
      // a log line above the bar overwrites it: draw it again even when it did not change
      forceRedraw: true,
      clearOnComplete: true,
      hideCursor: false,
      // Ctrl-C must still end the director; the bar leaves no terminal state to restore
      gracefulExit: false,
    });
    bar = bars.create(1000, p.value, p.fields);
  };
  const line = (s: string) => {
    draw();
    const text = `${terminalText(s, false)}\n`;
    if (!bars) out.write(text);
    else {
      bars.log(text);
      bars.update();
    }
  };
  const sink = (e: EngineEvent) => {
    tally.event(e);
    switch (e.type) {
      case 'run':
        line(`${e.kind} ${e.id} started (deployment ${e.deployment}; \`freezeframe status\` shows it from any terminal, Ctrl-C stops it cleanly)`);
        break;
      case 'phase-start':
        if (e.phase === 'preflight') tally.reset();
        phase = e.phase;
        nodes = { started: 0, ended: 0 };
        break;
      case 'phase-end':
        if (!e.ok) line(`${e.phase}: FAILED in ${formatDuration(e.durationMs)} (${e.error?.split('\n')[0] ?? ''})`);
        break;
      case 'node':
        if (e.status === 'start') nodes.started++;
        else nodes.ended++;
        if (e.status === 'failed') line(`  ${e.phase} ${e.node}: FAILED: ${e.detail ?? ''}`);
        break;
      case 'progress':
        break;
      case 'warning':
        line(`warning: ${e.node ? `${e.node}: ` : ''}${e.message}`);
        break;
    }
    draw();
  };
  const finish = () => {
    if (!bars) return;
    bars.update(); // writes the lines still buffered
    bars.stop();
    bars = undefined;
    bar = undefined;
  };
  // a step is outside the engine's phases (the demo's steps, the keyspace restore): no bar meanwhile
  const note = (s: string) => {
    finish();
    phase = '';
    line(`== ${s}`);
  };
  return Object.assign(sink, { finish, note });
}

function plainPrinter(out: ProgressOutput, now: () => number): ProgressPrinter {
  const tally = transferTally(now);
  const lastPlain = new Map<string, number>();
  // node names, details and warnings come from agents: one plain line each, no control characters
  const line = (s: string) => out.write(`${new Date(now()).toISOString()} ${terminalText(s, false)}\n`);
  const sink = (e: EngineEvent) => {
    tally.event(e);
    switch (e.type) {
      case 'run':
        line(`${e.kind} ${e.id} started (deployment ${e.deployment})`);
        break;
      case 'phase-start':
        if (e.phase === 'preflight') tally.reset();
        line(`${e.phase}: start`);
        break;
      case 'phase-end':
        line(`${e.phase}: ${e.ok ? 'done' : 'FAILED'} in ${formatDuration(e.durationMs)}${e.ok ? '' : ` (${e.error?.split('\n')[0] ?? ''})`}`);
        break;
      case 'node':
        if (e.status === 'failed') line(`  ${e.phase} ${e.node}: FAILED: ${e.detail ?? ''}`);
        else if (e.status === 'done' && (TRANSFER_PHASES.has(e.phase) || e.phase === 'tag')) {
          line(`  ${e.phase} ${e.node}: ${e.detail ?? 'done'} in ${formatDuration(e.durationMs)}`);
        }
        break;
      case 'progress': {
        const key = `${e.phase}/${e.node}`;
        if (now() - (lastPlain.get(key) ?? -Infinity) < PLAIN_PROGRESS_EVERY_MS) break;
        lastPlain.set(key, now());
        const { rate, eta } = tally.node(e.node, e.progress);
        const t = tally.total();
        line(
          `${e.phase} ${e.node}: ${formatBytes(e.progress.bytes)} ${e.progress.percent}%${rate !== undefined ? ` ${formatRate(rate)}` : ''}${eta !== undefined ? ` ETA ${formatDuration(eta)}` : ''}` +
            ` (all sources: ${Math.floor(t.fraction * 100)}%, ${t.done}/${t.of} done)`,
        );
        break;
      }
      case 'warning':
        line(`warning: ${e.node ? `${e.node}: ` : ''}${e.message}`);
        break;
    }
  };
  return Object.assign(sink, { finish: () => {}, note: (s: string) => line(`== ${s}`) });
}
