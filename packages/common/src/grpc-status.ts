import * as grpc from '@grpc/grpc-js';
import { ERROR_CODES, FfError, type ErrorCode } from './errors.js';

// The one mapping between FfError and gRPC status, used by the agent to send and by the
// director to rebuild. The FfError code travels in metadata so it survives the trip.

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

export function toGrpcError(e: unknown): Partial<grpc.ServiceError> {
  const metadata = new grpc.Metadata();
  if (e instanceof FfError) {
    metadata.set('ff-code', e.code);
    if (e.hint) metadata.set('ff-hint', e.hint);
    return { code: STATUS_OF[e.code] ?? grpc.status.INTERNAL, details: e.message, metadata };
  }
  metadata.set('ff-code', 'INTERNAL');
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

/** Rebuilds an FfError from a gRPC error, naming the node it came from. */
export function fromGrpcError(e: unknown, node: string): FfError {
  if (e instanceof FfError) return e;
  const se = e as Partial<grpc.ServiceError>;
  if (typeof se?.code !== 'number') return new FfError('INTERNAL', `${node}: ${String(e)}`, { node, cause: e });
  const sent = se.metadata?.get('ff-code')[0]?.toString();
  const code: ErrorCode =
    sent && (ERROR_CODES as readonly string[]).includes(sent) ? (sent as ErrorCode) : (CODE_OF_STATUS[se.code] ?? 'INTERNAL');
  const hint = se.metadata?.get('ff-hint')[0]?.toString();
  return new FfError(code, `${node}: ${se.details || se.message}`, {
    node,
    cause: e,
    ...(hint ? { hint } : {}),
    details: { grpcStatus: grpc.status[se.code] },
  });
}

/** Errors worth retrying: the node may answer on a second try. */
export function isTransient(e: FfError): boolean {
  return e.code === 'UNAVAILABLE';
}
