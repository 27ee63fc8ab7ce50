import type { IncomingHttpHeaders } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { FfError } from './errors.js';
import { ERROR_TRAILER_KEY, ERROR_TRAILER_MAX_BYTES, decodeErrorTrailer, encodeErrorTrailer } from './error-wire.js';
import { fromGrpcError, toGrpcError } from './grpc-status.js';

/** The agent's gRPC error as the director's client receives it: trailers through HTTP/2 header form and back. */
function overTheWire(e: unknown, node = 'src-1'): grpc.ServiceError {
  const sent = toGrpcError(e, node);
  const metadata = grpc.Metadata.fromHttp2Headers(sent.metadata!.toHttp2Headers() as IncomingHttpHeaders);
  return Object.assign(new Error(`${sent.code} ${grpc.status[sent.code!]}: ${sent.details}`), { code: sent.code!, details: sent.details!, metadata });
}

/** A ServiceError carrying `trailer` as its ff-error-bin value, as a hostile or broken peer could send. */
function withTrailer(trailer: Buffer | undefined, code = grpc.status.INTERNAL, extra: Record<string, string> = {}): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  if (trailer) metadata.set(ERROR_TRAILER_KEY, trailer);
  for (const [k, v] of Object.entries(extra)) metadata.set(k, v);
  return Object.assign(new Error('x'), { code, details: 'it failed', metadata });
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('error trailer: round trip', () => {
  it('carries code, message, hint, node and details (exit code, stderr, receiver) to the director', () => {
    const e = new FfError('TRANSFER_FAILED', 'rsync to tgt (127.0.0.1:7451) exited with 12: ticket already used', {
      hint: 'the receiver refused the ticket: open a new one with OpenReceive',
      details: { exitCode: 12, stderr: 'rsync: ticket already used\nünïcode ✓\n', receiver: 'tgt' },
    });
    const back = fromGrpcError(overTheWire(e), 'src-1');
    expect(back).toBeInstanceOf(FfError);
    expect(back).toMatchObject({
      code: 'TRANSFER_FAILED',
      message: 'src-1: rsync to tgt (127.0.0.1:7451) exited with 12: ticket already used',
      hint: e.hint,
      node: 'src-1',
      details: { exitCode: 12, stderr: 'rsync: ticket already used\nünïcode ✓\n', receiver: 'tgt', grpcStatus: 'INTERNAL' },
    });
    expect(back.details).not.toHaveProperty('reportedNode');
  });

  it('carries a bad request\'s field, and nested JSON details as they were', () => {
    const e = new FfError('INVALID_ARGUMENT', 'holder must be 1-128 characters', { details: { field: 'holder', extra: { list: [1, 'two', null], ok: false } } });
    expect(fromGrpcError(overTheWire(e), 'tgt')).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'holder', extra: { list: [1, 'two', null], ok: false }, grpcStatus: 'INVALID_ARGUMENT' },
    });
  });

  it('keeps a hint that text metadata could not carry, and gives older directors a printable one', () => {
    const hint = 'free space on «tgt»\nthen resume';
    const sent = toGrpcError(new FfError('TARGET_FAILED', 'full', { hint }), 'tgt');
    expect(sent.metadata!.get('ff-hint')).toEqual(['free space on ?tgt??then resume']);
    expect(fromGrpcError(overTheWire(new FfError('TARGET_FAILED', 'full', { hint }), 'tgt'), 'tgt').hint).toBe(hint);
  });

  it('stamps the agent\'s name; an error naming another node keeps that as reportedNode', () => {
    const bytes = toGrpcError(new FfError('SNAPSHOT_FAILED', 'x'), 'src-1').metadata!.get(ERROR_TRAILER_KEY)[0] as Buffer;
    expect(decodeErrorTrailer(bytes)).toEqual({ code: 'SNAPSHOT_FAILED', node: 'src-1' });
    const relayed = fromGrpcError(overTheWire(new FfError('TRANSFER_FAILED', 'x', { node: 'tgt' }), 'src-1'), 'src-1');
    expect(relayed.node).toBe('src-1');
    expect(relayed.details).toMatchObject({ reportedNode: 'tgt' });
  });

  it('a bug on the agent (not an FfError) arrives as INTERNAL without details', () => {
    const back = fromGrpcError(overTheWire(new TypeError('x is undefined')), 'src-1');
    expect(back).toMatchObject({ code: 'INTERNAL', message: 'src-1: internal error: x is undefined', details: { grpcStatus: 'INTERNAL' } });
  });

  it('survives details JSON cannot hold as they are (bigint, a cycle)', () => {
    const cyclic: Record<string, unknown> = { exitCode: 3 };
    cyclic.self = cyclic;
    expect(decodeErrorTrailer(encodeErrorTrailer({ code: 'COMMAND_FAILED', details: cyclic }))).toEqual({ code: 'COMMAND_FAILED', details: { exitCode: 3, truncated: true } });
    expect(decodeErrorTrailer(encodeErrorTrailer({ code: 'COMMAND_FAILED', details: { bytes: 10n } }))?.details).toEqual({ bytes: '10' });
  });
});

describe('error trailer: size cap', () => {
  it('cuts stderr first, to its tail, and says so', () => {
    const stderr = `${'first line\n'.repeat(2_000)}the real cause: No space left on device (28)\n`;
    const bytes = encodeErrorTrailer({ code: 'TRANSFER_FAILED', hint: 'free space', details: { exitCode: 11, stderr, receiver: 'tgt' } });
    expect(bytes.length).toBeLessThanOrEqual(ERROR_TRAILER_MAX_BYTES);
    expect(bytes.length).toBeGreaterThan(ERROR_TRAILER_MAX_BYTES - 64);
    const back = decodeErrorTrailer(bytes)!;
    expect(back).toMatchObject({ code: 'TRANSFER_FAILED', hint: 'free space', details: { exitCode: 11, receiver: 'tgt', truncated: true } });
    expect(back.details!.stderr).toMatch(/^\[\.\.\.\]/);
    expect(back.details!.stderr).toMatch(/No space left on device \(28\)\n$/);
  });

  it('cuts multi-byte stderr on a character boundary', () => {
    const stderr = '😀'.repeat(10_000);
    const back = decodeErrorTrailer(encodeErrorTrailer({ code: 'COMMAND_FAILED', details: { stderr } }))!;
    expect(String(back.details!.stderr)).toMatch(/^\[\.\.\.\](😀)+$/u);
  });

  it('then keeps only short scalar details, then shortens the hint; the code always arrives', () => {
    const big = 'x'.repeat(20_000);
    const a = decodeErrorTrailer(encodeErrorTrailer({ code: 'COMMAND_FAILED', details: { exitCode: 1, field: 'f', listing: [big], note: big } }))!;
    expect(a).toEqual({ code: 'COMMAND_FAILED', details: { exitCode: 1, field: 'f', truncated: true } });
    const b = decodeErrorTrailer(encodeErrorTrailer({ code: 'COMMAND_FAILED', hint: big, details: { exitCode: 1 } }))!;
    expect(b.hint).toBe('x'.repeat(500));
    expect(b.details).toEqual({ exitCode: 1, truncated: true });
    const keys = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, i]));
    const c = encodeErrorTrailer({ code: 'COMMAND_FAILED', details: keys });
    expect(c.length).toBeLessThanOrEqual(ERROR_TRAILER_MAX_BYTES);
    expect(decodeErrorTrailer(c)).toEqual({ code: 'COMMAND_FAILED', details: { truncated: true } });
  });

  it('refuses an oversized trailer and falls back to ff-code', () => {
    const huge = json({ v: 1, code: 'UNAVAILABLE', details: { pad: 'x'.repeat(ERROR_TRAILER_MAX_BYTES) } });
    expect(decodeErrorTrailer(huge)).toBeUndefined();
    const back = fromGrpcError(withTrailer(huge, grpc.status.INTERNAL, { 'ff-code': 'TRANSFER_FAILED' }), 'src-1');
    expect(back.code).toBe('TRANSFER_FAILED');
    expect(back.details).toEqual({ grpcStatus: 'INTERNAL' });
  });
});

describe('error trailer: a peer\'s bytes', () => {
  const garbage: Array<[string, unknown]> = [
    ['not JSON', Buffer.from('{"v":1,"code":')],
    ['binary noise', Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22])],
    ['empty', Buffer.alloc(0)],
    ['a JSON array', json([1, 2])],
    ['JSON null', json(null)],
    ['a JSON string', json('TRANSFER_FAILED')],
    ['another version', json({ v: 2, code: 'TRANSFER_FAILED' })],
    ['no version', json({ code: 'TRANSFER_FAILED' })],
    ['a string, not bytes', '{"v":1,"code":"UNAVAILABLE"}'],
    ['nothing', undefined],
  ];
  for (const [what, raw] of garbage) {
    it(`ignores ${what}`, () => expect(decodeErrorTrailer(raw)).toBeUndefined());
  }

  it('maps an unknown or missing code to INTERNAL', () => {
    expect(decodeErrorTrailer(json({ v: 1, code: 'DROP_TABLES' }))).toEqual({ code: 'INTERNAL' });
    expect(decodeErrorTrailer(json({ v: 1, code: 7 }))).toEqual({ code: 'INTERNAL' });
    expect(decodeErrorTrailer(json({ v: 1 }))).toEqual({ code: 'INTERNAL' });
    expect(decodeErrorTrailer(json({ v: 1, code: 'toString' }))).toEqual({ code: 'INTERNAL' });
    // the trailer's verdict stands even against the status and ff-code
    expect(fromGrpcError(withTrailer(json({ v: 1, code: 'BOGUS' }), grpc.status.UNAVAILABLE, { 'ff-code': 'UNAVAILABLE' }), 'n').code).toBe('INTERNAL');
  });

  it('drops a hint, node or known detail of the wrong type, keeps the rest', () => {
    const back = decodeErrorTrailer(
      json({
        v: 1,
        code: 'TRANSFER_FAILED',
        hint: 42,
        node: '../../etc',
        details: { exitCode: '30', field: { name: 'x' }, receiver: 'tgt; rm -rf /', signal: 'x'.repeat(100), stderr: ['a'], truncated: 'yes', other: 'kept' },
      }),
    );
    expect(back).toEqual({ code: 'TRANSFER_FAILED', details: { other: 'kept' } });
    expect(decodeErrorTrailer(json({ v: 1, code: 'TRANSFER_FAILED', details: { exitCode: 1.5 } }))).toEqual({ code: 'TRANSFER_FAILED' });
    expect(decodeErrorTrailer(json({ v: 1, code: 'TRANSFER_FAILED', details: [30] }))).toEqual({ code: 'TRANSFER_FAILED' });
    expect(decodeErrorTrailer(json({ v: 1, code: 'CANCELLED', hint: 'h'.repeat(5_000) }))!.hint).toHaveLength(2_000);
  });

  it('removes __proto__ keys at any depth and pollutes nothing', () => {
    const raw = Buffer.from('{"v":1,"code":"INTERNAL","__proto__":{"polluted":1},"details":{"__proto__":{"exitCode":30},"nested":{"__proto__":{"polluted":2}}}}');
    const back = decodeErrorTrailer(raw)!;
    expect(back.details).toEqual({ nested: {} });
    expect(Object.getPrototypeOf(back.details)).toBe(Object.prototype);
    expect((back.details as Record<string, unknown>).exitCode).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const e = fromGrpcError(withTrailer(raw), 'n');
    expect(e.details).toEqual({ nested: {}, grpcStatus: 'INTERNAL' });
  });

  it('a peer cannot overwrite grpcStatus or forge the node', () => {
    const e = fromGrpcError(withTrailer(json({ v: 1, code: 'UNAVAILABLE', node: 'tgt', details: { grpcStatus: 'OK' } }), grpc.status.INTERNAL), 'src-1');
    expect(e).toMatchObject({ code: 'UNAVAILABLE', node: 'src-1', details: { grpcStatus: 'INTERNAL', reportedNode: 'tgt' } });
  });
});

describe('error trailer: absent (an older agent, or a status grpc-js made)', () => {
  it('falls back to ff-code and ff-hint', () => {
    const e = fromGrpcError(withTrailer(undefined, grpc.status.INTERNAL, { 'ff-code': 'TRANSFER_FAILED', 'ff-hint': 'open a new ticket' }), 'src-1');
    expect(e).toMatchObject({ code: 'TRANSFER_FAILED', hint: 'open a new ticket', node: 'src-1', message: 'src-1: it failed', details: { grpcStatus: 'INTERNAL' } });
    expect(e.details).not.toHaveProperty('exitCode');
  });

  it('falls back to the status without any metadata', () => {
    expect(fromGrpcError(withTrailer(undefined, grpc.status.UNAVAILABLE), 'src-1').code).toBe('UNAVAILABLE');
    expect(fromGrpcError(withTrailer(undefined, grpc.status.DATA_LOSS), 'src-1').code).toBe('INTERNAL');
    expect(fromGrpcError(withTrailer(undefined, grpc.status.INTERNAL, { 'ff-code': 'NOPE' }), 'src-1').code).toBe('INTERNAL');
  });
});
