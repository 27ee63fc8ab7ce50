import type { VolumeActivity } from './types.js';

/** Changes within this many seconds count as "lately" for restore's warning. */
export const RECENT_SECONDS = 60;

/**
 * The warning a restore gives before overwriting a volume something writes to, or undefined
 * when nothing does. Process names are the processes' own text: the CLI strips control
 * characters before a terminal sees them.
 */
export function activityWarning(source: string, a: VolumeActivity): string | undefined {
  const parts: string[] = [];
  if (a.writersTotal > 0) {
    const named = a.writers.slice(0, 5).map((w) => `${w.command} (pid ${w.pid}, ${w.files} file${w.files === 1 ? '' : 's'})`);
    const more = a.writersTotal - named.length;
    parts.push(`${a.writersTotal} process${a.writersTotal === 1 ? ' has' : 'es have'} files open for writing under ${a.path}: ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }
  if (a.recentlyChanged !== undefined && a.recentlyChanged > 0) parts.push(`${a.recentlyChanged} files and folders there changed in the last ${RECENT_SECONDS} s`);
  if (parts.length === 0) return undefined;
  return `${source}: ${parts.join('; ')}: something writes to it, and the restore overwrites it underneath (stop it first: --stop-services, or services: in the agent config)`;
}
