import type { EngineEvent, EventSink } from '../engine/types.js';
import { formatBytes, formatDuration, terminalText } from './format.js';

export interface ProgressOutput {
  write(s: string): void;
  isTTY: boolean;
}

/** How often a non-terminal gets a progress line per node. */
const PLAIN_PROGRESS_EVERY_MS = 10_000;

/**
 * Turns engine events into output: on a terminal one updating line (phase, node, bytes, rate,
 * ETA) plus a permanent line per finished phase; elsewhere plain timestamped log lines.
 */
export function progressPrinter(out: ProgressOutput): EventSink & { finish(): void; note(s: string): void } {
  let live = false;
  const started = new Map<string, number>();
  const lastPlain = new Map<string, number>();
  const clear = () => {
    if (live) out.write('\r\x1b[K');
    live = false;
  };
  // node names, details and warnings come from agents: one plain line each, no control characters
  const show = (s: string) => out.write(terminalText(s, false));
  const line = (s: string) => {
    clear();
    show(out.isTTY ? s : `${new Date().toISOString()} ${s}`);
    out.write('\n');
  };
  const sink = (e: EngineEvent) => {
    switch (e.type) {
      case 'phase-start':
        if (!out.isTTY) line(`${e.phase}: start`);
        else {
          clear();
          show(`${e.phase} ...`);
          live = true;
        }
        break;
      case 'phase-end':
        line(`${e.phase}: ${e.ok ? 'done' : 'FAILED'} in ${formatDuration(e.durationMs)}${e.ok ? '' : ` (${e.error?.split('\n')[0] ?? ''})`}`);
        break;
      case 'node': {
        const key = `${e.phase}/${e.node}`;
        if (e.status === 'start') started.set(key, Date.now());
        if (e.status === 'failed') line(`  ${e.phase} ${e.node}: FAILED: ${e.detail ?? ''}`);
        else if (e.status === 'done' && (e.phase === 'transfer' || e.phase === 'restore' || e.phase === 'tag')) {
          line(`  ${e.phase} ${e.node}: ${e.detail ?? 'done'} in ${formatDuration(e.durationMs)}`);
        } else if (out.isTTY && e.status === 'start') {
          clear();
          show(`${e.phase} ${e.node} ...`);
          live = true;
        }
        break;
      }
      case 'progress': {
        const p = e.progress;
        const key = `${e.phase}/${e.node}`;
        const elapsed = Date.now() - (started.get(key) ?? Date.now());
        const eta = p.percent > 0 && p.percent < 100 ? ` ETA ${formatDuration((elapsed * (100 - p.percent)) / p.percent)}` : '';
        // rsync reports "0.00kB/s" until it has measured something: no rate beats a wrong one
        const rate = /^0(\.0+)?[kMGT]?B\/s$/.test(p.rate) ? '' : p.rate;
        const text = `${e.phase} ${e.node}: ${formatBytes(p.bytes)} ${p.percent}%${rate ? ` ${rate}` : ''}${eta}`;
        if (out.isTTY) {
          clear();
          show(text);
          live = true;
        } else if (Date.now() - (lastPlain.get(key) ?? 0) >= PLAIN_PROGRESS_EVERY_MS) {
          lastPlain.set(key, Date.now());
          line(text);
        }
        break;
      }
      case 'warning':
        line(`warning: ${e.node ? `${e.node}: ` : ''}${e.message}`);
        break;
    }
  };
  return Object.assign(sink, { finish: clear, note: (s: string) => line(`== ${s}`) });
}
