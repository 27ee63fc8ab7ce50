import type { DrillRecord } from '../engine/core/drill-types.js';
import type { RunRecord } from '../engine/core/records.js';
import { formatBytes, formatDuration } from './format.js';

// A restore drill for humans: what was restored where, what the check found, whether the
// folder went. Part of the run record's rendering (render.ts), so `drill` and `show` say the same.

/** Names listed per kind of finding; `detail` (show) lists all the record kept (100 each). */
const SHOWN = 20;

function listed(kind: string, names: readonly string[], total: number, detail: boolean): string[] {
  const shown = detail ? names : names.slice(0, SHOWN);
  const lines = shown.map((n) => `  ${kind} ${n}`);
  if (total > shown.length) lines.push(`  ... and ${total - shown.length} more ${kind === 'DIFFERS' ? 'that differ' : kind === 'MISSING' ? 'missing' : 'not in the record'}${detail ? '' : ' (freezeframe show <id> --json lists up to 100 of each)'}`);
  return lines;
}

/** The lines of a drill's record after its first line and phases. */
export function drillLines(rec: RunRecord, d: DrillRecord, detail = false): string[] {
  const what = d.sample ? `a sample of ${d.sample.percent}% of the files (seed ${d.sample.seed})` : 'the whole backup';
  const lines = [`drill ${rec.id} of backup ${rec.backupId} on ${d.node}: ${what} into ${d.folder}`];
  if (d.leftoversRemoved?.length) lines.push(`removed first, left by earlier drills: ${d.leftoversRemoved.join(', ')}`);
  const t = d.transfer;
  if (t) lines.push(`restored ${t.filesTotal} files and folders, ${formatBytes(t.bytesTotal)} (${formatBytes(t.bytesSent)} on the wire) in ${formatDuration(t.durationMs)}`);
  const c = d.check;
  if (c) {
    const of = d.sample ? `${c.filesExpected} sampled files (of ${c.filesRecorded} recorded)` : `${c.filesExpected} recorded files`;
    const found = c.differentTotal + c.missingTotal + c.extraTotal;
    lines.push(
      `checked ${c.filesChecked} of ${of}, ${formatBytes(c.bytesChecked)}, in ${formatDuration(c.durationMs)}: ` +
        (c.ok ? 'every file matches the checksum recorded at backup time' : found > 0 ? `${c.differentTotal} differ, ${c.missingTotal} missing, ${c.extraTotal} not in the record` : 'NOT OK'),
    );
    lines.push(...listed('DIFFERS', c.different, c.differentTotal, detail), ...listed('MISSING', c.missing, c.missingTotal, detail), ...listed('EXTRA', c.extra, c.extraTotal, detail));
    for (const p of c.problems) lines.push(`  PROBLEM ${p}`);
  }
  lines.push(d.removed ? `folder ${d.folder.replace(/\/restored$/, '')} removed` : `folder ${d.folder.replace(/\/restored$/, '')} NOT removed (the next drill removes it)`);
  return lines;
}
