import { ERROR_CODES, type ErrorCode } from './errors.js';
import { NAME_RE } from './ids.js';

// How an FfError's machine-readable parts cross the wire: one JSON object, UTF-8, in binary
// trailing metadata (grpc-js base64-encodes `-bin` values, so any text passes, newlines and
// non-ASCII included). The message travels as the gRPC status message. The decoder reads a
// peer's bytes: every field is checked, anything malformed is dropped or the whole trailer is
// ignored, and the caller falls back to the status code.

/** The binary trailing-metadata key that carries an error's code, hint, node and details. */
export const ERROR_TRAILER_KEY = 'ff-error-bin';
/** Upper bound of the trailer's JSON in bytes, for the encoder (it cuts) and the decoder (it refuses). */
export const ERROR_TRAILER_MAX_BYTES = 8 << 10;
/** Format version; a decoder ignores trailers of another version. */
const VERSION = 1;
const MAX_HINT_CHARS = 2_000;
/** Detail values kept when the details must shrink to fit: numbers, booleans and strings up to this long. */
const MAX_SCALAR_CHARS = 256;
const CUT_MARK = '[...]';

/** What the trailer carries: the FfError without its message and cause. */
export interface WireError {
  code: ErrorCode;
  hint?: string;
  node?: string;
  /** JSON values only; `truncated: true` when the encoder had to cut something to fit. */
  details?: Record<string, unknown>;
}

type Payload = { v: number; code: string; hint?: string; node?: string; details?: Record<string, unknown> };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function toJson(p: Payload): string | undefined {
  try {
    return JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return undefined; // a cycle in details: the caller drops to scalar details
  }
}

const fits = (s: string | undefined): s is string => s !== undefined && Buffer.byteLength(s) <= ERROR_TRAILER_MAX_BYTES;

function scalars(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || (typeof v === 'string' && v.length <= MAX_SCALAR_CHARS)) out[k] = v;
  }
  return out;
}

/** The last `n` UTF-16 units of `s`, not starting inside a surrogate pair, after the cut mark. */
function tail(s: string, n: number): string {
  let t = s.slice(s.length - n);
  if (/^[\udc00-\udfff]/.test(t)) t = t.slice(1);
  return `${CUT_MARK}${t}`;
}

/**
 * The trailer for an error: JSON of {v, code, hint, node, details}, at most
 * ERROR_TRAILER_MAX_BYTES. What does not fit is cut in this order, setting `details.truncated`:
 * `details.stderr` to its tail (rsync's last lines name the cause), then every detail but short
 * scalars (exitCode, field, receiver, signal stay), then the hint; last resort, the code alone.
 */
export function encodeErrorTrailer(e: WireError): Buffer {
  const base: Payload = { v: VERSION, code: e.code };
  if (e.hint) base.hint = e.hint;
  if (e.node) base.node = e.node;
  const whole = toJson(e.details ? { ...base, details: e.details } : base);
  if (fits(whole)) return Buffer.from(whole);

  const details = isRecord(e.details) ? e.details : {};
  const stderr = details.stderr;
  if (typeof stderr === 'string' && stderr.length > 0) {
    const at = (n: number) => toJson({ ...base, details: { ...details, stderr: tail(stderr, n), truncated: true } });
    if (fits(at(0))) {
      // the longest tail that fits: serialized size grows with the tail, so bisect on it
      let lo = 0;
      let hi = stderr.length;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (fits(at(mid))) lo = mid;
        else hi = mid - 1;
      }
      return Buffer.from(at(lo)!);
    }
  }
  const small = { ...scalars(details), truncated: true };
  const kept = toJson({ ...base, details: small });
  if (fits(kept)) return Buffer.from(kept);
  const shortHint = toJson({ ...base, ...(base.hint ? { hint: base.hint.slice(0, 500) } : {}), details: small });
  if (fits(shortHint)) return Buffer.from(shortHint);
  return Buffer.from(JSON.stringify({ v: VERSION, code: e.code, details: { truncated: true } }));
}

/** Checks on the details every part of freezeframe reads; a value that fails its check is dropped. */
const KNOWN_DETAILS: Record<string, (v: unknown) => boolean> = {
  exitCode: (v) => typeof v === 'number' && Number.isSafeInteger(v),
  field: (v) => typeof v === 'string' && v.length > 0 && v.length <= 128,
  receiver: (v) => typeof v === 'string' && NAME_RE.test(v),
  signal: (v) => typeof v === 'string' && v.length <= 32,
  stderr: (v) => typeof v === 'string',
  bin: (v) => typeof v === 'string',
  truncated: (v) => v === true,
};

/**
 * Reads a trailer written by encodeErrorTrailer on a peer. Undefined when there is none or it
 * is not one (wrong type, too large, not JSON, another version): the caller then falls back to
 * the status. An unknown code becomes INTERNAL; a hint, node or known detail of the wrong type
 * is dropped; `__proto__` keys are removed at any depth.
 */
export function decodeErrorTrailer(raw: unknown): WireError | undefined {
  if (!(raw instanceof Uint8Array) || raw.length === 0 || raw.length > ERROR_TRAILER_MAX_BYTES) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'), (k, x: unknown) => (k === '__proto__' ? undefined : x));
  } catch {
    return undefined;
  }
  if (!isRecord(v) || v.v !== VERSION) return undefined;
  const code: ErrorCode = typeof v.code === 'string' && (ERROR_CODES as readonly string[]).includes(v.code) ? (v.code as ErrorCode) : 'INTERNAL';
  const out: WireError = { code };
  if (typeof v.hint === 'string' && v.hint !== '') out.hint = v.hint.slice(0, MAX_HINT_CHARS);
  if (typeof v.node === 'string' && NAME_RE.test(v.node)) out.node = v.node;
  if (isRecord(v.details)) {
    const details: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v.details)) {
      const check = Object.hasOwn(KNOWN_DETAILS, k) ? KNOWN_DETAILS[k] : undefined;
      if (!check || check(x)) details[k] = x;
    }
    if (Object.keys(details).length > 0) out.details = details;
  }
  return out;
}
