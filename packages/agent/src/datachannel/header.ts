import type { Duplex } from 'node:stream';

/** Longest first line either side accepts: a ticket and rsync's argv fit easily. */
export const MAX_HEADER_BYTES = 64 << 10;

/**
 * Reads one '\n'-terminated line from the stream, then pauses it; bytes after the line are
 * returned as `rest` so nothing is lost. Rejects on timeout, close or an oversized line.
 */
export function readLine(s: Duplex, timeoutMs: number): Promise<{ line: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = () => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('end', onEnd);
      s.off('error', onError);
    };
    const fail = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onData = (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      const i = buf.indexOf(0x0a);
      if (i >= 0) {
        cleanup();
        s.pause();
        resolve({ line: buf.subarray(0, i).toString('utf8'), rest: buf.subarray(i + 1) });
      } else if (buf.length > MAX_HEADER_BYTES) {
        fail(new Error(`first line longer than ${MAX_HEADER_BYTES} bytes`));
      }
    };
    const onEnd = () => fail(new Error('connection closed before the first line'));
    const onError = (e: Error) => fail(e);
    const timer = setTimeout(() => fail(new Error(`no first line within ${timeoutMs} ms`)), timeoutMs);
    s.on('data', onData);
    s.once('end', onEnd);
    s.once('error', onError);
  });
}
