/**
 * The one error type of freezeframe. `code` is stable (tests, the director's retry policy and
 * operators' scripts match on it); `message` is for humans and names the node, file or field;
 * `hint` says what to do about it.
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENT', // a request field or CLI argument failed validation
  'CONFIG_INVALID', // a config file is missing or wrong
  'PERMISSION_DENIED', // identity not allowed, ticket refused
  'UNAUTHENTICATED',
  'NOT_FOUND', // backup, source, dataset does not exist
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION', // wrong role, target locked, backup incomplete
  'UNAVAILABLE', // node unreachable (transient)
  'DEADLINE_EXCEEDED',
  'CANCELLED',
  'COMMAND_FAILED', // an external program exited non-zero
  'COMMAND_TIMEOUT',
  'FREEZE_FAILED',
  'SNAPSHOT_FAILED',
  'TRANSFER_FAILED',
  'TARGET_FAILED',
  'RESTORE_FAILED',
  'FIDELITY_FAILED', // what landed on the target differs from what the sender read
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FfErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Node the error happened on, when known (set by the director when it rebuilds the error). */
  node?: string;
  /**
   * Extra machine-readable detail (exitCode, stderr, field, receiver). JSON values only: an
   * agent's details reach the director in the error trailer (error-wire.ts), cut to 8 KiB.
   */
  details?: Record<string, unknown>;
}

export class FfError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly node?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: FfErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FfError';
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
    if (options.node !== undefined) this.node = options.node;
    if (options.details !== undefined) this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, node: this.node, details: this.details };
  }
}

export function isFfError(e: unknown, code?: ErrorCode): e is FfError {
  return e instanceof FfError && (code === undefined || e.code === code);
}

/** Message of any thrown value, for wrapping into an FfError. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
