import { FfError, isFfError } from '@freezeframe/common';
import type { AgentConfig } from '@freezeframe/common';
import { openTrustedDir, type SafeDir } from './safe-fs.js';

// Where a restore drill may write on this node. The folder comes from the director (the
// inventory's drill.dir), so it is checked here against the agent's own config: it must lie
// inside one of `restoreDirs`, name no `..` or `.`, and no component of it, from `/` down, may
// be a symbolic link (each folder is opened with O_NOFOLLOW and held open while the next one is
// opened inside it). Missing folders below the restoreDir are made, mode 0700.

/** The request field the drill folder arrives in; every refusal names it. */
const FIELD = 'dir';

const codeOf = (e: unknown) => (e as NodeJS.ErrnoException).code;

function refuse(code: 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION' | 'NOT_FOUND', message: string, hint: string, path?: string): FfError {
  return new FfError(code, message, { hint, details: { field: FIELD, ...(path ? { path } : {}) } });
}

/**
 * The components of `dir` after checking it is inside one of `restoreDirs` (pure): the folder's
 * own components and how many of them the restoreDir holding it has.
 */
export function drillDirParts(node: string, restoreDirs: readonly string[], dir: unknown): { parts: string[]; rootDepth: number; path: string } {
  const shown = JSON.stringify(String(dir).slice(0, 200));
  if (restoreDirs.length === 0) {
    throw refuse('FAILED_PRECONDITION', `node ${node} takes no restore drills: its agent config lists no restoreDirs (drill folder ${shown})`, `add a folder to restoreDirs in ${node}'s agent config and name a folder inside it as drill.dir in the inventory`);
  }
  const hint = `name a folder inside ${restoreDirs.join(' or ')} (restoreDirs of ${node}'s agent config) as drill.dir in the inventory`;
  if (typeof dir !== 'string' || !dir.startsWith('/') || dir.length > 4096 || dir.includes('\0')) {
    throw refuse('INVALID_ARGUMENT', `${FIELD} ${shown} is not an absolute path`, hint);
  }
  const parts = dir.split('/').filter((c) => c !== '');
  if (parts.some((c) => c === '..' || c === '.')) {
    throw refuse('INVALID_ARGUMENT', `${FIELD} ${shown} names '..' or '.': a drill folder is named by its plain path`, hint);
  }
  for (const r of restoreDirs) {
    const rootParts = r.split('/').filter((c) => c !== '');
    if (rootParts.every((c, i) => parts[i] === c)) return { parts, rootDepth: rootParts.length, path: `/${parts.join('/')}` };
  }
  throw refuse('INVALID_ARGUMENT', `${FIELD} ${shown} is not inside any of node ${node}'s restoreDirs (${restoreDirs.join(', ')})`, hint);
}

/**
 * Opens the drill folder `dir` of a request, walking from `/` with links refused: inside a
 * restoreDir (checked by drillDirParts), missing folders below it made (mode 0700) when `create`.
 * Every refusal names the field; a missing restoreDir (or, without `create`, any missing folder)
 * is NOT_FOUND.
 */
export async function openDrillDir(cfg: Pick<AgentConfig, 'name' | 'restoreDirs'>, dir: unknown, opts: { create?: boolean } = {}): Promise<{ dir: SafeDir; path: string }> {
  const { parts, rootDepth, path } = drillDirParts(cfg.name, cfg.restoreDirs, dir);
  let d = await openTrustedDir('/');
  try {
    for (const [i, name] of parts.entries()) {
      const shown = `/${parts.slice(0, i + 1).join('/')}`;
      let next: SafeDir | undefined;
      try {
        next = await d.dir(name, opts.create && i >= rootDepth ? { create: 0o700 } : {});
      } catch (e) {
        if (isFfError(e, 'FAILED_PRECONDITION') && typeof e.details?.path === 'string') {
          throw refuse('FAILED_PRECONDITION', `${FIELD} ${path}: ${shown} is a symbolic link; a drill folder is never reached through a link`, 'name the real folder (no links on the way) in restoreDirs and drill.dir', shown);
        }
        if (codeOf(e) === 'ENOTDIR') throw refuse('FAILED_PRECONDITION', `${FIELD} ${path}: ${shown} is not a folder`, 'name a folder as drill.dir', shown);
        throw e;
      }
      if (!next) {
        const what = i < rootDepth ? `the restoreDir holding it does not exist (${shown} is missing)` : `${shown} does not exist`;
        throw refuse('NOT_FOUND', `${FIELD} ${path}: ${what}`, i < rootDepth ? `create ${shown} on ${cfg.name} (root-owned, mode 0700)` : 'nothing to do: there is no drill folder', shown);
      }
      await d.close();
      d = next;
    }
  } catch (e) {
    await d.close();
    throw e;
  }
  return { dir: d.named(path), path };
}
