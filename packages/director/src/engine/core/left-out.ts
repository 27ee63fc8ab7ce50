import { LEAVE_OUT_CLASSES, type LeaveOutClass } from '@freezeframe/common';

// A source's `leaveOut` (agent config): the ACLs and xattrs its backups do not compare. A target
// written in place, or linked from the previous backup, keeps what an earlier backup stored on
// every file rsync does not rewrite; so a backup compares them after all when the previous one
// was taken without the same setting (the stored copy then matches the source again), and on
// `--deep`. Every manifest says which classes a backup's transfer left out.

/** The classes an agent described, known ones only (its text never reaches a terminal unchecked). */
export const leaveOutOf = (described: readonly string[]): LeaveOutClass[] => LEAVE_OUT_CLASSES.filter((c) => described.includes(c));

/** What the manifest of a backup says about one entry: the setting it was taken with. */
function settingIn(manifest: unknown, entry: string): string[] {
  const sources = (manifest as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(sources)) return [];
  const s = sources.find((x: unknown) => (x as { entry?: unknown } | null)?.entry === entry) as { leaveOut?: unknown } | undefined;
  return Array.isArray(s?.leaveOut) ? s.leaveOut.filter((c): c is string => typeof c === 'string') : [];
}

/**
 * Whether this backup of `entry` compares what `leaveOut` leaves out: with `--deep`, with no
 * previous backup of it (its tree may hold an untagged attempt's files), or when the previous
 * backup was taken without every class left out now.
 */
export function mustCompareLeftOut(leaveOut: readonly LeaveOutClass[], o: { entry: string; deep: boolean; previousManifest: unknown }): boolean {
  if (leaveOut.length === 0) return false;
  if (o.deep || o.previousManifest === undefined) return true;
  const before = settingIn(o.previousManifest, o.entry);
  return !leaveOut.every((c) => before.includes(c));
}
