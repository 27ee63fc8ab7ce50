import { LEAVE_OUT_CLASSES, type LeaveOutClass } from '@freezeframe/common';
import { manifestSources } from './manifest.js';

// A source's `leaveOut` (agent config): the ACLs and xattrs its backups do not compare. A target
// written in place, or linked from the previous backup, keeps what an earlier backup stored on
// every file rsync does not rewrite; so a backup compares them after all when the previous one
// was taken without the same setting (the stored copy then matches the source again), and on
// `--deep`. Every manifest says which classes a backup's transfer left out.

/** The classes an agent described, known ones only (its text never reaches a terminal unchecked). */
export const leaveOutOf = (described: readonly string[]): LeaveOutClass[] => LEAVE_OUT_CLASSES.filter((c) => described.includes(c));

/**
 * Whether this backup of `entry` compares what `leaveOut` leaves out: with `--deep`, with no
 * previous backup of it (its tree may hold an untagged attempt's files), or when the previous
 * backup was taken without every class left out now.
 */
export function mustCompareLeftOut(leaveOut: readonly LeaveOutClass[], o: { entry: string; deep: boolean; previousManifest: unknown }): boolean {
  if (leaveOut.length === 0) return false;
  if (o.deep || o.previousManifest === undefined) return true;
  const before = manifestSources({ manifest: o.previousManifest }).find((s) => s.entry === o.entry)?.leaveOut ?? [];
  return !leaveOut.every((c) => before.includes(c));
}
