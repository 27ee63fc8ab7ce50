import * as grpc from '@grpc/grpc-js';
import { ERROR_CODES, FfError, type ErrorCode } from './errors.js';
import { ERROR_TRAILER_KEY, decodeErrorTrailer, encodeErrorTrailer } from './error-wire.js';

export { ERROR_TRAILER_KEY, ERROR_TRAILER_MAX_BYTES, decodeErrorTrailer, encodeErrorTrailer, type WireError } from './error-wire.js';

// The one mapping between FfError and gRPC status, used by the agent to send and by the
// director to rebuild. The message is the status message; code, hint, node and details travel
// as JSON in the `ff-error-bin` trailer (error-wire.ts). `ff-code` and `ff-hint` (text
// trailers) stay for directors that predate it, and are what an older agent sends.

const STATUS_OF: Partial<Record<ErrorCode, grpc.status>> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  CONFIG_INVALID: grpc.status.FAILED_PRECONDITION,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  DEADLINE_EXCEEDED: grpc.status.DEADLINE_EXCEEDED,
  CANCELLED: grpc.status.CANCELLED,
};

/** Text metadata allows printable ASCII only (grpc-js throws on anything else). */
const asciiLine = (s: string) => s.replace(/[^ -~]/g, '?');

/**
 * The gRPC error an agent sends for `e`; `node` (the agent's name) is stamped on an FfError
 * that names none. Anything but an FfError is a bug: INTERNAL, and no details.
 */
export function toGrpcError(e: unknown, node?: string): Partial<grpc.ServiceError> {
  const metadata = new grpc.Metadata();
  if (e instanceof FfError) {
    metadata.set('ff-code', e.code);
    if (e.hint) metadata.set('ff-hint', asciiLine(e.hint));
    const at = e.node ?? node;
    metadata.set(
      ERROR_TRAILER_KEY,
      encodeErrorTrailer({ code: e.code, ...(e.hint ? { hint: e.hint } : {}), ...(at ? { node: at } : {}), ...(e.details ? { details: e.details } : {}) }),
    );
    return { code: STATUS_OF[e.code] ?? grpc.status.INTERNAL, details: e.message, metadata };
  }
  metadata.set('ff-code', 'INTERNAL');
  metadata.set(ERROR_TRAILER_KEY, encodeErrorTrailer({ code: 'INTERNAL', ...(node ? { node } : {}) }));
  return { code: grpc.status.INTERNAL, details: `internal error: ${e instanceof Error ? e.message : String(e)}`, metadata };
}

const CODE_OF_STATUS: Partial<Record<grpc.status, ErrorCode>> = {
  [grpc.status.UNAVAILABLE]: 'UNAVAILABLE',
  [grpc.status.DEADLINE_EXCEEDED]: 'DEADLINE_EXCEEDED',
  [grpc.status.CANCELLED]: 'CANCELLED',
  [grpc.status.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [grpc.status.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [grpc.status.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [grpc.status.NOT_FOUND]: 'NOT_FOUND',
  [grpc.status.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [grpc.status.RESOURCE_EXHAUSTED]: 'INVALID_ARGUMENT',
};

/**
 * Rebuilds an FfError from a gRPC error, naming the node it came from. With an `ff-error-bin`
 * trailer, code, hint and details come from it (checked: it is a peer's text); without one (an
 * older agent, or a status made by grpc-js itself: unreachable, deadline, cancelled) the code
 * comes from `ff-code` or the status. `node` is always the node called, whose certificate named
 * it; an agent that names another node is kept as `details.reportedNode`. `details.grpcStatus`
 * is the status's name.
 */
export function fromGrpcError(e: unknown, node: string): FfError {
  if (e instanceof FfError) return e;
  const se = e as Partial<grpc.ServiceError>;
  if (typeof se?.code !== 'number') return new FfError('INTERNAL', `${node}: ${String(e)}`, { node, cause: e });
  const trailer = decodeErrorTrailer(se.metadata?.get(ERROR_TRAILER_KEY)[0]);
  let code: ErrorCode;
  let hint: string | undefined;
  if (trailer) {
    code = trailer.code;
    hint = trailer.hint;
  } else {
    const sent = se.metadata?.get('ff-code')[0]?.toString();
    code = sent && (ERROR_CODES as readonly string[]).includes(sent) ? (sent as ErrorCode) : (CODE_OF_STATUS[se.code] ?? 'INTERNAL');
    hint = se.metadata?.get('ff-hint')[0]?.toString();
  }
  return new FfError(code, `${node}: ${se.details || se.message}`, {
    node,
    cause: e,
    ...(hint ? { hint } : {}),
    details: {
      ...trailer?.details,
      ...(trailer?.node && trailer.node !== node ? { reportedNode: trailer.node } : {}),
      grpcStatus: grpc.status[se.code],
    },
  });
}

/** Errors worth retrying: the node may answer on a second try. */
export function isTransient(e: FfError): boolean {
  return e.code === 'UNAVAILABLE';
}
