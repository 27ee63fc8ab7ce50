import { FfError, isFfError } from '@freezeframe/common';
import type { AgentConfig } from '@freezeframe/common';
import { openTrustedDir, type SafeDir } from './safe-fs.js';

// Where a restore drill, or a restore into a folder (`restore --to-dir`), may write on this node.
// The folder comes from the director (the inventory's drill.dir, the restore's --to-dir), so it
// is checked here against the agent's own config: it must lie inside one of `restoreDirs`, name
// no `..` or `.`, and no component of it, from `/` down, may be a symbolic link (each folder is
// opened with O_NOFOLLOW and held open while the next one is opened inside it). Missing folders
// below the restoreDir are made, mode 0700.

/** What a folder inside the restoreDirs is for: the request field it arrives in (every refusal names it) and how messages speak of it. */
export interface RestoreDirUse {
  field: string;
  /** "drill folder" */
  what: string;
  /** Where the operator names it: "drill.dir in the inventory". */
  namedBy: string;
  /** Why a node without restoreDirs refuses: "takes no restore drills". */
  none: string;
}

export const DRILL_DIR: RestoreDirUse = { field: 'dir', what: 'drill folder', namedBy: 'drill.dir in the inventory', none: 'takes no restore drills' };
export const TO_DIR: RestoreDirUse = { field: 'to_dir', what: 'restore folder', namedBy: '--to-dir of restore', none: 'takes no restores into a folder' };

const codeOf = (e: unknown) => (e as NodeJS.ErrnoException).code;

function refuse(use: RestoreDirUse, code: 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION' | 'NOT_FOUND', message: string, hint: string, path?: string): FfError {
  return new FfError(code, message, { hint, details: { field: use.field, ...(path ? { path } : {}) } });
}

/**
 * The components of `dir` after checking it is inside one of `restoreDirs` (pure): the folder's
 * own components and how many of them the restoreDir holding it has.
 */
export function drillDirParts(node: string, restoreDirs: readonly string[], dir: unknown, use: RestoreDirUse = DRILL_DIR): { parts: string[]; rootDepth: number; path: string } {
  const shown = JSON.stringify(String(dir).slice(0, 200));
  const field = use.field;
  if (restoreDirs.length === 0) {
    throw refuse(use, 'FAILED_PRECONDITION', `node ${node} ${use.none}: its agent config lists no restoreDirs (${use.what} ${shown})`, `add a folder to restoreDirs in ${node}'s agent config and name a folder inside it as ${use.namedBy}`);
  }
  const hint = `name a folder inside ${restoreDirs.join(' or ')} (restoreDirs of ${node}'s agent config) as ${use.namedBy}`;
  if (typeof dir !== 'string' || !dir.startsWith('/') || dir.length > 4096 || /[\x00-\x1f\x7f]/.test(dir)) {
    throw refuse(use, 'INVALID_ARGUMENT', `${field} ${shown} is not an absolute path`, hint);
  }
  const parts = dir.split('/').filter((c) => c !== '');
  if (parts.some((c) => c === '..' || c === '.')) {
    throw refuse(use, 'INVALID_ARGUMENT', `${field} ${shown} names '..' or '.': a ${use.what} is named by its plain path`, hint);
  }
  for (const r of restoreDirs) {
    const rootParts = r.split('/').filter((c) => c !== '');
    if (rootParts.every((c, i) => parts[i] === c)) return { parts, rootDepth: rootParts.length, path: `/${parts.join('/')}` };
  }
  throw refuse(use, 'INVALID_ARGUMENT', `${field} ${shown} is not inside any of node ${node}'s restoreDirs (${restoreDirs.join(', ')})`, hint);
}

/**
 * Opens the drill folder `dir` of a request, walking from `/` with links refused: inside a
 * restoreDir (checked by drillDirParts), missing folders below it made (mode 0700) when `create`.
 * Every refusal names the field; a missing restoreDir (or, without `create`, any missing folder)
 * is NOT_FOUND.
 */
export async function openDrillDir(cfg: Pick<AgentConfig, 'name' | 'restoreDirs'>, dir: unknown, opts: { create?: boolean; use?: RestoreDirUse } = {}): Promise<{ dir: SafeDir; path: string }> {
  const use = opts.use ?? DRILL_DIR;
  const field = use.field;
  const { parts, rootDepth, path } = drillDirParts(cfg.name, cfg.restoreDirs, dir, use);
  let d = await openTrustedDir('/');
  try {
    for (const [i, name] of parts.entries()) {
      const shown = `/${parts.slice(0, i + 1).join('/')}`;
      let next: SafeDir | undefined;
      try {
        next = await d.dir(name, opts.create && i >= rootDepth ? { create: 0o700 } : {});
      } catch (e) {
        if (isFfError(e, 'FAILED_PRECONDITION') && e.details?.reason === 'link') {
          throw refuse(use, 'FAILED_PRECONDITION', `${field} ${path}: ${shown} is a symbolic link; a ${use.what} is never reached through a link`, `name the real folder (no links on the way) in restoreDirs and as ${use.namedBy}`, shown);
        }
        // another user's folder, or one swapped in while it was made (safe-fs says which)
        if (isFfError(e, 'FAILED_PRECONDITION') && typeof e.details?.path === 'string') throw refuse(use, 'FAILED_PRECONDITION', `${field} ${path}: ${e.message}`, e.hint ?? `name a folder root owns as ${use.namedBy}`, shown);
        if (codeOf(e) === 'ENOTDIR') throw refuse(use, 'FAILED_PRECONDITION', `${field} ${path}: ${shown} is not a folder`, `name a folder as ${use.namedBy}`, shown);
        throw e;
      }
      if (!next) {
        const what = i < rootDepth ? `the restoreDir holding it does not exist (${shown} is missing)` : `${shown} does not exist`;
        throw refuse(use, 'NOT_FOUND', `${field} ${path}: ${what}`, i < rootDepth ? `create ${shown} on ${cfg.name} (root-owned, mode 0700)` : `nothing to do: there is no ${use.what}`, shown);
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
