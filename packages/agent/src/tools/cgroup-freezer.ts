import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FfError, errorMessage } from '@freezeframe/common';

/**
 * The kernel cgroup freezer, v1 (`freezer.state`) and v2 (`cgroup.freeze`). A frozen group's
 * tasks stop between instructions; thawing resumes them. Writing the file only requests the
 * freeze: we wait until the kernel reports the group frozen, or the snapshot would race it.
 */

export type CgroupVersion = 'v1' | 'v2';

export interface FreezerGroup {
  version: CgroupVersion;
  /** Absolute directory of the group in its hierarchy. */
  dir: string;
}

export interface CgroupHierarchies {
  /** The v1 freezer hierarchy, when mounted (`<root>/freezer`). */
  v1?: string;
  /** The v2 hierarchy: `<root>/unified` on hybrid hosts, `<root>` on pure v2 hosts. */
  v2?: string;
}

/** Finds the freezer hierarchies mounted under `root` (normally /sys/fs/cgroup). */
export function detectHierarchies(root: string): CgroupHierarchies {
  const found: CgroupHierarchies = {};
  if (existsSync(join(root, 'cgroup.controllers'))) {
    found.v2 = root; // pure v2: nothing else is mounted here
    return found;
  }
  if (existsSync(join(root, 'unified', 'cgroup.controllers'))) found.v2 = join(root, 'unified');
  // the v1 root group has no freezer.state (it cannot be frozen), but every v1 hierarchy has tasks
  if (existsSync(join(root, 'freezer', 'tasks'))) found.v1 = join(root, 'freezer');
  return found;
}

/**
 * Joins a relative group path under a hierarchy and refuses anything that would leave it:
 * the group comes from config, but a `..` segment passes the config's character check.
 */
export function groupDir(hierarchy: string, group: string): string {
  const segments = group.split('/');
  if (group.length === 0 || isAbsolute(group) || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new FfError('CONFIG_INVALID', `cgroup '${group}' must be a relative path without '.' or '..' segments`);
  }
  const dir = normalize(join(hierarchy, group));
  if (!dir.startsWith(normalize(hierarchy).replace(/\/$/, '') + '/')) {
    throw new FfError('CONFIG_INVALID', `cgroup '${group}' leaves the hierarchy ${hierarchy}`);
  }
  return dir;
}

/**
 * Where `group` lives. `auto` prefers the v1 freezer when the group exists there (on hybrid
 * hosts runc and `docker pause` freeze through it), else the v2 hierarchy.
 */
export function locateGroup(root: string, group: string, version: 'auto' | CgroupVersion): FreezerGroup {
  const h = detectHierarchies(root);
  const candidates: FreezerGroup[] = [];
  if (version !== 'v2' && h.v1) candidates.push({ version: 'v1', dir: groupDir(h.v1, group) });
  if (version !== 'v1' && h.v2) candidates.push({ version: 'v2', dir: groupDir(h.v2, group) });
  for (const c of candidates) {
    if (existsSync(join(c.dir, controlFile(c.version)))) return c;
  }
  const where = candidates.map((c) => c.dir).join(' or ');
  if (candidates.length === 0) {
    throw new FfError('FAILED_PRECONDITION', `no cgroup ${version === 'auto' ? '' : `${version} `}freezer hierarchy is mounted under ${root}`, {
      hint: 'mount the cgroup filesystem (in a container: -v /sys/fs/cgroup:/sys/fs/cgroup:rw) or set freeze.version',
    });
  }
  throw new FfError('NOT_FOUND', `cgroup '${group}' does not exist (looked for ${where})`, {
    hint: 'check freeze.cgroups / freeze.units in the agent config; is the application running?',
  });
}

/** Which version a group directory belongs to, from the control file it has; undefined if gone. */
export function groupAt(dir: string): FreezerGroup | undefined {
  if (existsSync(join(dir, 'freezer.state'))) return { version: 'v1', dir };
  if (existsSync(join(dir, 'cgroup.freeze'))) return { version: 'v2', dir };
  return undefined;
}

function controlFile(version: CgroupVersion): string {
  return version === 'v1' ? 'freezer.state' : 'cgroup.freeze';
}

async function isFrozen(g: FreezerGroup): Promise<boolean> {
  if (g.version === 'v1') return (await readFile(join(g.dir, 'freezer.state'), 'utf8')).trim() === 'FROZEN';
  const events = await readFile(join(g.dir, 'cgroup.events'), 'utf8');
  return /^frozen 1$/m.test(events);
}

async function writeControl(g: FreezerGroup, frozen: boolean): Promise<void> {
  const value = g.version === 'v1' ? (frozen ? 'FROZEN' : 'THAWED') : frozen ? '1' : '0';
  await writeFile(join(g.dir, controlFile(g.version)), value);
}

export interface FreezeGroupOptions {
  /** How long to wait for the kernel to report the group frozen (default 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Freezes the group and waits until it is frozen. On timeout or abort the group is thawed
 * again before the error is thrown, so it never stays half-frozen.
 */
export async function freezeGroup(g: FreezerGroup, opts: FreezeGroupOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  try {
    await writeControl(g, true);
  } catch (e) {
    throw ioError(e, `cannot freeze cgroup ${g.dir}`);
  }
  const started = Date.now();
  let delay = 1;
  for (;;) {
    let frozen: boolean;
    try {
      frozen = await isFrozen(g);
    } catch (e) {
      await thawGroup(g).catch(() => undefined);
      throw ioError(e, `cannot read the freezer state of cgroup ${g.dir}`);
    }
    if (frozen) return;
    if (opts.signal?.aborted) {
      await thawGroup(g).catch(() => undefined);
      throw new FfError('CANCELLED', `freezing cgroup ${g.dir} was cancelled`);
    }
    if (Date.now() - started > timeoutMs) {
      await thawGroup(g).catch(() => undefined);
      throw new FfError('FREEZE_FAILED', `cgroup ${g.dir} did not freeze within ${timeoutMs} ms (thawed again)`, {
        hint: 'a task may be stuck in uninterruptible I/O (state D); see /proc/<pid>/stat of the tasks in cgroup.procs',
      });
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 20);
  }
}

/** Whether a freeze was requested (and not yet undone) on the group. */
async function freezeRequested(g: FreezerGroup): Promise<boolean> {
  const value = (await readFile(join(g.dir, controlFile(g.version)), 'utf8')).trim();
  return g.version === 'v1' ? value !== 'THAWED' : value === '1';
}

/** Thaws the group; false if it was not frozen or no longer exists. */
export async function thawGroup(g: FreezerGroup): Promise<boolean> {
  try {
    if (!(await freezeRequested(g))) return false;
    await writeControl(g, false);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError(e, `cannot thaw cgroup ${g.dir}`);
  }
}

function ioError(e: unknown, what: string): FfError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new FfError('PERMISSION_DENIED', `${what}: ${errorMessage(e)}`, {
      cause: e,
      hint: 'the agent must run as root with the cgroup filesystem mounted read-write (in a container: -v /sys/fs/cgroup:/sys/fs/cgroup:rw)',
    });
  }
  if (code === 'ENOENT') return new FfError('NOT_FOUND', `${what}: the cgroup no longer exists`, { cause: e });
  return new FfError('FREEZE_FAILED', `${what}: ${errorMessage(e)}`, { cause: e });
}
