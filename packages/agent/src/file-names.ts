// Linux file names are bytes: anything but '/' and NUL, not always UTF-8. Lists of them travel
// NUL-separated and stay Buffers; they become text only to be shown, escaped so that two
// different names never look the same.

/** Splits a NUL-separated list; empty records (the trailing one) are dropped. */
export function splitNul(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = b.indexOf(0, start); i >= 0; i = b.indexOf(0, start)) {
    if (i > start) out.push(b.subarray(start, i));
    start = i + 1;
  }
  if (start < b.length) out.push(b.subarray(start));
  return out;
}

/**
 * A name for people and JSON: valid UTF-8 stays as it is, except that '\' becomes '\\'; every
 * byte that is not valid UTF-8 or is a control character becomes '\xNN'. Reversible.
 */
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Printable ASCII without '\': the name is its own escape (almost every name; a listing has 200k). */
function plainAscii(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7e || c === 0x5c) return false;
  }
  return true;
}

export function escapeName(b: Buffer): string {
  if (plainAscii(b)) return b.toString('latin1');
  let out = '';
  const text = utf8.decode(b);
  // the fast path: printable UTF-8 round-trips exactly
  if (!text.includes('\uFFFD') && Buffer.from(text, 'utf8').equals(b)) {
    for (const ch of text) out += ch === '\\' ? '\\\\' : ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}` : ch;
    return out;
  }
  for (const byte of b) out += byte === 0x5c ? '\\\\' : byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  return out;
}

/** The inverse of escapeName. */
export function unescapeName(s: string): Buffer {
  const parts: Buffer[] = [];
  let plain = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === '\\') {
      plain += '\\';
      i++;
    } else if (s[i] === '\\' && s[i + 1] === 'x' && /^[0-9a-f]{2}$/.test(s.slice(i + 2, i + 4))) {
      parts.push(Buffer.from(plain, 'utf8'), Buffer.from([parseInt(s.slice(i + 2, i + 4), 16)]));
      plain = '';
      i += 3;
    } else {
      plain += s[i];
    }
  }
  parts.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(parts);
}

const WILDCARD = /[*?[]/;

/** One anchored rsync filter pattern that matches exactly `path`: wildcards escaped only when present (rsync reads '\' as an escape only then). */
function pattern(path: Buffer, dir: boolean): Buffer {
  const raw = path.toString('latin1');
  const p = WILDCARD.test(raw) ? raw.replace(/[\\*?[]/g, '\\$&') : raw;
  return Buffer.from(`/${p}${dir ? '/' : ''}`, 'latin1');
}

/**
 * An `--include-from` list (NUL-separated, for `--from0`) that, followed by `--exclude=*`,
 * selects exactly `paths` (relative to the transfer's root) and the folders leading to them.
 */
export function includeRules(paths: readonly Buffer[]): Buffer {
  const seen = new Set<string>();
  const rules: Buffer[] = [];
  for (const p of paths) {
    for (let i = p.indexOf(0x2f); i >= 0; i = p.indexOf(0x2f, i + 1)) {
      const dir = p.subarray(0, i);
      const key = dir.toString('latin1');
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push(pattern(dir, true), Buffer.from([0]));
    }
    rules.push(pattern(p, false), Buffer.from([0]));
  }
  return Buffer.concat(rules);
}

/**
 * An `--include-from` list (NUL-separated, for `--from0`) that, followed by `--exclude=*`,
 * selects the subtrees `paths` (relative to the transfer's root, each a file or a folder with
 * everything in it) and the folders leading to them. With `--delete-after` and without
 * `--delete-excluded`, the receiving rsync deletes only inside the subtrees: whatever the rules
 * exclude, it leaves alone (a partial restore).
 */
export function subtreeRules(paths: readonly Buffer[]): Buffer {
  const rules: Buffer[] = [includeRules(paths)];
  // '***' is a wildcard, so '\' escapes here whatever the name holds: escape all of them
  for (const p of paths) rules.push(Buffer.from(`/${p.toString('latin1').replace(/[\\*?[]/g, '\\$&')}/***`, 'latin1'), Buffer.from([0]));
  return Buffer.concat(rules);
}
