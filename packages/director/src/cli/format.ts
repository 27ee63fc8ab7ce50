import { formatBytes, type FfError } from '@freezeframe/common';

// Plain-text rendering for humans; `--json` bypasses all of it.

/** C0 controls but tab and newline, DEL, C1 (0x80-0x9f; 0x9b is a one-byte CSI). ESC is among the C0. */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Makes text for the operator's terminal harmless: agents send names, messages and errors, and a
 * hostile one could set the window title, erase lines or move the cursor to forge an "ok" row.
 * Removes every control character; with `multiline` false also turns newlines and tabs into
 * spaces (table cells, progress lines). Every human output goes through this; --json does not.
 */
export function terminalText(s: string, multiline = true): string {
  const t = s.replace(CONTROLS, '');
  return multiline ? t : t.replace(/[\n\t]/g, ' ');
}

export { formatBytes } from '@freezeframe/common';

/** A rate in the same binary units as every byte count ("1.50 MiB/s"); '-' when unknown. */
export function formatRate(bytesPerSecond: number | undefined): string {
  if (bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) return '-';
  return `${formatBytes(bytesPerSecond)}/s`;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}

/** A left-aligned table with a header row; cells are strings. */
export function table(header: string[], rawRows: string[][]): string {
  // one row per line, whatever a cell holds
  const rows = rawRows.map((r) => r.map((c) => terminalText(c, false)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatError(e: FfError): string {
  const lines = [`error ${e.code}: ${e.message}`];
  if (e.hint) lines.push(`hint: ${e.hint}`);
  return terminalText(lines.join('\n'));
}
