import { constants, type Stats } from 'node:fs';
import { link, lchown, lstat, mkdir, open, readdir, readlink, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FfError } from '@freezeframe/common';

// The agent runs as root inside trees that applications own (Cassandra's data folder, its
// commit log). Their owner can replace any folder or file there with a link at any moment,
// so a path string checked now may lead somewhere else a moment later. Here every folder is
// held open, and names inside it are reached through `/proc/self/fd/<fd>/<name>`: the
// kernel resolves that from the folder held open (like openat), so swapping a folder
// higher up after the check changes nothing. Links are refused wherever the layout has none.

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW } = constants;
const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
const MAX_LINKS = 40;

const codeOf = (e: unknown) => (e as NodeJS.ErrnoException).code;
/** What open(O_NOFOLLOW) fails with on a link: ELOOP, or ENOTDIR with O_DIRECTORY. */
const mayBeLink = (e: unknown) => codeOf(e) === 'ELOOP' || codeOf(e) === 'ENOTDIR';

/** The error for a link found where the agent does not follow links; names the path. */
export function linkRefused(path: string): FfError {
  return new FfError('FAILED_PRECONDITION', `${path} is a symbolic link where the layout has none; the agent (root) does not follow links that another user could have placed`, {
    hint: 'replace the link with the folder or file itself (tables on another disk: mount the disk there instead)',
    details: { path, reason: 'link' },
  });
}

/** True when only root can have made or replaced `entry` in `parent`. */
function onlyRootCanReplace(parent: Stats, entry: Stats): boolean {
  if (parent.uid !== 0) return false;
  if ((parent.mode & 0o022) === 0) return true;
  // sticky (like /tmp): others may add names, but only the owner can replace this one
  return (parent.mode & 0o1000) !== 0 && entry.uid === 0;
}

// Tests only: runs between a mkdir and the open of the same name that follows it, the moment a
// user who can write the parent would rename a folder of theirs in. No hook-free test lands a
// rename inside that window every time (both calls wait their turn in libuv's thread pool), yet
// a test must show the check after the open refusing what lands there. Reachable only through
// `safeFsTestSeam`, never from config or env.
let afterMkdir: ((path: string) => Promise<void> | void) | undefined;

/** For tests only (see afterMkdir above): `fn` runs right after each mkdir of this module. */
export const safeFsTestSeam = {
  afterMkdir(fn: ((path: string) => Promise<void> | void) | undefined): void {
    afterMkdir = fn;
  },
};

const agentUid = (): number => process.geteuid?.() ?? 0;

/** The error for a folder the agent made that was something else by the time it opened it; names the path. */
function replacedRefused(path: string, why: string): FfError {
  return new FfError('FAILED_PRECONDITION', `${path} was replaced while the agent (root) created it (${why}); refused: another user can write the folder holding it`, {
    hint: `find who can write ${join(path, '..')} and why they touched it; remove ${path} and try again`,
    details: { path },
  });
}

/**
 * Checks that `fh`, opened by name after mkdir(name, mode), is the folder that mkdir made: a
 * user who can write the parent could rename a folder of theirs in between. Only the agent
 * can own a folder it just made, with no mode bits beyond those asked and nothing in it yet.
 */
async function checkJustMade(fh: FileHandle, path: string, mode: number): Promise<void> {
  const st = await fh.stat();
  const uid = agentUid();
  let why: string | undefined;
  if (!st.isDirectory()) why = 'not a folder';
  else if (st.uid !== uid) why = `owned by uid ${st.uid}, not ${uid}`;
  // setgid may come from the parent (Linux passes it on to new folders); the permission bits may not
  else if ((st.mode & 0o777 & ~mode) !== 0) why = `mode 0${(st.mode & 0o777).toString(8)}, asked 0${mode.toString(8)}`;
  // a new folder has no subfolder (nlink 2; btrfs says 1) and no entry
  else if (st.nlink > 2 || (await readdir(`/proc/self/fd/${fh.fd}`)).length > 0) why = 'not empty';
  if (why) throw replacedRefused(path, why);
}

/**
 * A folder the agent would have made, found already there: the agent's own (a retry) or
 * `owner`'s (the application's folder it places files in). Another user's would have the
 * agent work, as root, in a folder that user controls.
 */
async function checkOwnFolder(fh: FileHandle, path: string, owner?: { uid: number }): Promise<void> {
  const st = await fh.stat();
  const uid = agentUid();
  if (st.uid === uid || st.uid === owner?.uid) return;
  throw new FfError('FAILED_PRECONDITION', `${path} is owned by uid ${st.uid}, not by the agent (uid ${uid})${owner ? ` or uid ${owner.uid}` : ''}; the agent makes this folder itself and does not use one another user placed there`, {
    hint: `remove ${path} (or give it to uid ${uid}) and try again`,
    details: { path },
  });
}

/** A folder held open; `path` is only for messages. Close it when done. */
export class SafeDir {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    /** The folder's own stat, taken on the open descriptor. */
    readonly stat: Stats,
  ) {}

  static async fromHandle(path: string, fh: FileHandle): Promise<SafeDir> {
    try {
      return new SafeDir(path, fh, await fh.stat());
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** This folder itself, reached through its descriptor. */
  get fdPath(): string {
    return `/proc/self/fd/${this.fh.fd}`;
  }

  /** A name inside this folder, resolved from the open descriptor; `name` must be one component. */
  at(name: string): string {
    if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new Error(`not a single path component: ${JSON.stringify(name)}`);
    return `${this.fdPath}/${name}`;
  }

  /** The same open folder, named `path` in messages (this one must not be closed separately). */
  named(path: string): SafeDir {
    return new SafeDir(path, this.fh, this.stat);
  }

  /** What is shown to operators for a name inside this folder. */
  show(name: string): string {
    return join(this.path, name);
  }

  async list(): Promise<string[]> {
    return (await readdir(this.fdPath)).sort();
  }

  /** lstat of a name inside; undefined when it does not exist. */
  async lstat(name: string): Promise<Stats | undefined> {
    try {
      return await lstat(this.at(name));
    } catch (e) {
      if (codeOf(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  /**
   * Opens the folder `name` inside, refusing a link. Missing: undefined, or with `create`
   * made with that mode (and, when `owner` is given, given to that owner: the agent made it).
   * With `create`, the folder is one the agent makes for itself: one found there already must
   * be the agent's (a retry) or `owner`'s, never a folder another user placed.
   */
  async dir(name: string, opts: { create?: number; owner?: { uid: number; gid: number } } = {}): Promise<SafeDir | undefined> {
    let fh: FileHandle;
    let made = false;
    try {
      fh = await this.openDir(name);
    } catch (e) {
      if (codeOf(e) !== 'ENOENT' || opts.create === undefined) {
        if (codeOf(e) === 'ENOENT') return undefined;
        throw e;
      }
      await mkdir(this.at(name), { mode: opts.create });
      await afterMkdir?.(this.show(name));
      fh = await this.openDir(name);
      made = true;
    }
    try {
      if (made) {
        await checkJustMade(fh, this.show(name), opts.create!);
        // fchown on the folder just opened with O_NOFOLLOW and checked: no name is resolved again
        if (opts.owner) await fh.chown(opts.owner.uid, opts.owner.gid);
      } else if (opts.create !== undefined) {
        await checkOwnFolder(fh, this.show(name), opts.owner);
      }
    } catch (e) {
      await fh.close();
      throw e;
    }
    return SafeDir.fromHandle(this.show(name), fh);
  }

  private async openDir(name: string): Promise<FileHandle> {
    try {
      return await open(this.at(name), DIR_FLAGS);
    } catch (e) {
      if (mayBeLink(e) && (await this.lstat(name))?.isSymbolicLink()) throw linkRefused(this.show(name));
      throw e;
    }
  }

  /** Like dir(), but a missing folder is an error naming it. */
  async mustDir(name: string, opts: { create?: number; owner?: { uid: number; gid: number } } = {}): Promise<SafeDir> {
    const d = await this.dir(name, opts);
    if (!d) throw new FfError('NOT_FOUND', `${this.show(name)} does not exist`, { details: { path: this.show(name) } });
    return d;
  }

  /** Reads a file inside, refusing a link; undefined when it does not exist. */
  async readText(name: string): Promise<string | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(this.at(name), O_RDONLY | O_NOFOLLOW);
    } catch (e) {
      if (codeOf(e) === 'ENOENT') return undefined;
      if (codeOf(e) === 'ELOOP') throw linkRefused(this.show(name));
      throw e;
    }
    try {
      return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  }

  /** Creates a new file inside (never through a link, never over an existing name). */
  async writeNew(name: string, text: string, mode: number): Promise<void> {
    const fh = await open(this.at(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    try {
      await fh.writeFile(text);
    } finally {
      await fh.close();
    }
  }

  /** Removes a name inside (a link itself, never what it points to). */
  unlink(name: string): Promise<void> {
    return unlink(this.at(name));
  }

  /** Removes a name and everything under it; nothing when it does not exist. Links inside are removed, not followed. */
  removeTree(name: string): Promise<void> {
    return rm(this.at(name), { recursive: true, force: true });
  }

  rename(from: string, to: string): Promise<void> {
    return rename(this.at(from), this.at(to));
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/**
 * Opens the folder at `path` (absolute, from the agent's own config) walking from `/` one
 * component at a time. A link on the way is followed only where only root could have placed
 * it (an operator's `/var/lib/cassandra -> /srv/cassandra`), never in a folder another user
 * can write to. With `create`, missing folders at the end are made (mode 0700). A missing
 * folder otherwise fails with ENOENT.
 */
export async function openTrustedDir(path: string, opts: { create?: boolean } = {}): Promise<SafeDir> {
  if (!isAbsolute(path)) throw new Error(`not an absolute path: ${path}`);
  const rootFh = () => open('/', DIR_FLAGS).then((fh) => SafeDir.fromHandle('/', fh));
  let dir = await rootFh();
  const todo = path.split('/').filter((c) => c !== '' && c !== '.');
  let links = 0;
  /** The name just made, still to be checked once opened. */
  let made: string | undefined;
  try {
    while (todo.length > 0) {
      const name = todo.shift()!;
      let fh: FileHandle | undefined;
      try {
        fh = await open(name === '..' ? `${dir.fdPath}/..` : dir.at(name), DIR_FLAGS);
      } catch (e) {
        if (codeOf(e) === 'ENOENT' && opts.create) {
          made = await mkdir(dir.at(name), { mode: 0o700 }).then(
            () => name,
            (e2: unknown) => {
              // made by someone else meanwhile: an existing folder, taken as one
              if (codeOf(e2) !== 'EEXIST') throw e2;
              return undefined;
            },
          );
          if (made) await afterMkdir?.(dir.show(name));
          todo.unshift(name);
          continue;
        }
        made = undefined;
        if (!mayBeLink(e) || name === '..') throw e;
      }
      if (fh && made === name) {
        made = undefined;
        const opened = fh;
        await checkJustMade(opened, dir.show(name), 0o700).catch(async (e: unknown) => {
          await opened.close();
          throw e;
        });
      }
      if (!fh) {
        const shown = dir.show(name);
        const st = await dir.lstat(name);
        if (!st?.isSymbolicLink()) throw new FfError('FAILED_PRECONDITION', `${shown} is not a folder`, { details: { path: shown } });
        if (!onlyRootCanReplace(dir.stat, st)) throw linkRefused(shown);
        if (++links > MAX_LINKS) throw new FfError('FAILED_PRECONDITION', `${path}: too many symbolic links`);
        const target = await readlink(dir.at(name));
        todo.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
        if (isAbsolute(target)) {
          await dir.close();
          dir = await rootFh();
        }
        continue;
      }
      const next = await SafeDir.fromHandle(name === '..' ? join(dir.path, '..') : dir.show(name), fh);
      await dir.close();
      dir = next;
    }
  } catch (e) {
    await dir.close();
    throw e;
  }
  // messages speak of the path as the config names it
  return dir.named(path);
}

/** openTrustedDir(root), then each of `names` below it with links refused; undefined when something is missing. */
export async function openBeneath(root: string, ...names: string[]): Promise<SafeDir | undefined> {
  let dir: SafeDir;
  try {
    dir = await openTrustedDir(root);
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return undefined;
    throw e;
  }
  for (const name of names) {
    try {
      const next = await dir.dir(name);
      await dir.close();
      if (!next) return undefined;
      dir = next;
    } catch (e) {
      await dir.close();
      throw e;
    }
  }
  return dir;
}

/** Runs `fn` with the folder open and closes it after, whatever happens. */
export async function withDir<T>(dir: SafeDir, fn: (d: SafeDir) => Promise<T>): Promise<T> {
  try {
    return await fn(dir);
  } finally {
    await dir.close();
  }
}

/**
 * Hard-links the regular file `name` of `from` into `to` (copied when they are on different
 * filesystems), never through a link. With `owner`, the placed file gets that owner: the
 * source name is in a folder of the agent, so no one can swap it between the check and the
 * chown. Fails when `name` is not a regular file or changed while it was placed.
 */
export async function placeFile(from: SafeDir, name: string, to: SafeDir, owner?: { uid: number; gid: number }): Promise<Stats> {
  const s = await lstat(from.at(name));
  if (s.isSymbolicLink()) throw linkRefused(from.show(name));
  if (!s.isFile()) throw new FfError('FAILED_PRECONDITION', `${from.show(name)} is not a regular file`, { details: { path: from.show(name) } });
  if (owner && (s.uid !== owner.uid || s.gid !== owner.gid)) await lchown(from.at(name), owner.uid, owner.gid);
  try {
    await link(from.at(name), to.at(name));
  } catch (e) {
    if (codeOf(e) !== 'EXDEV' && codeOf(e) !== 'EPERM') throw e;
    await copyFile(from, name, to, s, owner);
    return s;
  }
  // link(2) does not follow a link: a name swapped since the lstat shows as another inode
  const d = await lstat(to.at(name));
  if (d.ino !== s.ino || d.dev !== s.dev) {
    await to.unlink(name);
    throw new FfError('FAILED_PRECONDITION', `${from.show(name)} changed while it was linked into ${to.path}; refused`, { details: { path: from.show(name) } });
  }
  return s;
}

async function copyFile(from: SafeDir, name: string, to: SafeDir, s: Stats, owner?: { uid: number; gid: number }): Promise<void> {
  const src = await open(from.at(name), O_RDONLY | O_NOFOLLOW).catch((e: unknown) => {
    throw codeOf(e) === 'ELOOP' ? linkRefused(from.show(name)) : e;
  });
  try {
    const now = await src.stat();
    if (now.ino !== s.ino || now.dev !== s.dev) throw new FfError('FAILED_PRECONDITION', `${from.show(name)} changed while it was copied into ${to.path}; refused`);
    const dst = await open(to.at(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, s.mode & 0o777);
    try {
      // fchown/fchmod on the fd created above (O_EXCL|O_NOFOLLOW): never a path lookup
      if (owner) await dst.chown(owner.uid, owner.gid);
      await pipeline(src.createReadStream({ autoClose: false }), dst.createWriteStream({ autoClose: false }));
      await dst.chmod(s.mode & 0o777);
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}
