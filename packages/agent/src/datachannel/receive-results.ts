import { createHash } from 'node:crypto';
import type { NotStoredClass } from '@freezeframe/common';

/** One thing the receiving rsync said it could not store. */
export interface NotStored {
  /** Relative to the receive folder, as rsync printed it (non-printable bytes as `\#ooo`). */
  path: string;
  class: NotStoredClass;
  message: string;
  allowed: boolean;
}

export interface ReceiveResult {
  state: 'running' | 'done';
  exitCode: number;
  /** Exit 0, or exit 23 with only allowed classes not stored. */
  ok: boolean;
  message: string;
  notStored: NotStored[];
  notStoredTotal: number;
  atMs: number;
}

/** rsync's own wording, by class; the first match wins ("xacl_set" is an ACL, not an xattr). */
const CLASSES: Array<[NotStoredClass, RegExp]> = [
  ['acls', /\b(set_acl|xacl_set|sys_acl_\w+|acl_\w+)\b/],
  ['xattrs', /\b(rsync_xal_set|f?l?setxattr|xattr)\b/],
  ['owners', /\bl?chown\b/],
  ['times', /failed to set times|\bl?utimes?\b/],
  ['permissions', /failed to set permissions|\bchmod\b/],
  ['hardlinks', /^link .* failed|Too many links/],
  ['specials', /\b(mknod|mkfifo|mksock)\b/],
];

/** rsync's temporary name for a file being received: `.<name>.XXXXXX` in the same folder. */
const TEMP_RE = /(^|\/)\.(.+)\.[A-Za-z0-9]{6}$/;

/** rsync's "some files/attrs were not transferred": the only failure that allowed losses can excuse. */
const PARTIAL_EXIT = 23;
const KEPT = 200;

/**
 * The files a receiving rsync names in its error lines, each with the class of what was lost.
 * `root` is the receive folder (rsync prints absolute or folder-relative names).
 */
export function parseNotStored(stderr: string, root: string, allowed: readonly string[]): NotStored[] {
  const out: NotStored[] = [];
  const prefix = `${root.replace(/\/+$/, '')}/`;
  for (const raw of stderr.split('\n')) {
    const m = /^rsync:\s+(?:\[(?:receiver|generator)\]\s+)?(.*)$/.exec(raw.trim());
    if (!m) continue;
    const text = m[1]!;
    const cls = CLASSES.find(([, re]) => re.test(text))?.[0] ?? 'other';
    // the file is the first quoted name, or the first argument of a call such as xacl_set(name, ...)
    const quoted = /"((?:[^"\\]|\\.)*)"/.exec(text)?.[1] ?? /\(([^,)]+)[,)]/.exec(text)?.[1] ?? '';
    let path = quoted.startsWith(prefix) ? quoted.slice(prefix.length) : quoted.replace(/^\.\//, '');
    path = path.replace(TEMP_RE, '$1$2');
    out.push({ path, class: cls, message: text.slice(0, 500), allowed: cls !== 'other' && allowed.includes(cls) });
  }
  return out;
}

/** Judges a finished receiving rsync: exit 0, or a partial transfer whose every loss is allowed. */
export function judge(exitCode: number, stderr: string, root: string, allowed: readonly string[]): Omit<ReceiveResult, 'state' | 'atMs'> {
  const notStored = exitCode === 0 ? [] : parseNotStored(stderr, root, allowed);
  const ok = exitCode === 0 || (exitCode === PARTIAL_EXIT && notStored.length > 0 && notStored.every((n) => n.allowed));
  const tail = stderr.trim().split('\n').slice(-6).join('\n');
  const message = exitCode === 0 ? '' : `rsync exited with ${exitCode}${tail ? `: ${tail.slice(-1500)}` : ''}`;
  return { exitCode, ok, message, notStored: notStored.slice(0, KEPT), notStoredTotal: notStored.length };
}

const RESULTS_TTL_MS = 3_600_000;
const RESULTS_KEPT = 256;

/**
 * How each data-channel session ended, by ticket, for the director to ask (ReceiveResult):
 * the sending rsync cannot learn the receiver's exit status through the relay. Keyed by a hash
 * of the ticket, so the map never holds a usable ticket.
 */
export class ReceiveResults {
  private readonly results = new Map<string, ReceiveResult>();
  private readonly waiters = new Map<string, Array<() => void>>();

  static key(ticket: string): string {
    return createHash('sha256').update(ticket).digest('hex');
  }

  start(ticket: string): void {
    this.purge();
    this.results.set(ReceiveResults.key(ticket), { state: 'running', exitCode: -1, ok: false, message: '', notStored: [], notStoredTotal: 0, atMs: Date.now() });
  }

  finish(ticket: string, r: Omit<ReceiveResult, 'state' | 'atMs'>): void {
    const key = ReceiveResults.key(ticket);
    this.results.set(key, { ...r, state: 'done', atMs: Date.now() });
    for (const w of this.waiters.get(key) ?? []) w();
    this.waiters.delete(key);
  }

  /** The result of `ticket`'s session, waiting up to `waitMs` while it runs; undefined if it never started. */
  async get(ticket: string, waitMs: number): Promise<ReceiveResult | undefined> {
    const key = ReceiveResults.key(ticket);
    const now = this.results.get(key);
    if (now?.state !== 'running' || waitMs <= 0) return now;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      const list = this.waiters.get(key) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.waiters.set(key, list);
    });
    return this.results.get(key);
  }

  private purge(): void {
    const old = Date.now() - RESULTS_TTL_MS;
    for (const [k, r] of this.results) if (r.state === 'done' && r.atMs < old) this.results.delete(k);
    while (this.results.size >= RESULTS_KEPT) {
      const first = [...this.results].find(([, r]) => r.state === 'done');
      if (!first) break;
      this.results.delete(first[0]);
    }
  }
}
