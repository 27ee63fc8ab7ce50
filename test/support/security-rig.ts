import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';

// What the test/security-*.test.ts files need beyond ./agents.js: the data channel spoken by
// hand, as an attacker would, and fingerprints of what must stay untouched.

const here = dirname(fileURLToPath(import.meta.url));
export const TUNNEL = resolve(here, '../../packages/agent/dist/tunnel.js');

/** Every path under `dir` with its type, size and link target: a fingerprint to compare before/after. */
export function treeListing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = lstatSync(p);
      const kind = st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isDirectory() ? 'dir' : `${st.size}b ${st.mtimeMs}`;
      out.push(`${p} ${kind}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

export interface DataAnswer {
  /** What the receiver answered before closing (e.g. "ERR ..."), or how the connection failed. */
  text: string;
  error?: string;
}

/**
 * Speaks the data channel's first line by hand: `header` as given (an object is sent as JSON),
 * with the TLS material `tlsFiles` (none: no client certificate).
 */
export function dataChannelHello(port: number, header: object | string, tlsFiles?: { ca: string; cert?: string; key?: string }, caFile?: string): Promise<DataAnswer> {
  const t = tlsFiles ?? { ca: caFile! };
  return new Promise((res) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(caFile ?? t.ca),
      ...(t.cert ? { cert: readFileSync(t.cert), key: readFileSync(t.key!) } : {}),
      checkServerIdentity: () => undefined,
    });
    let got = '';
    let settled = false;
    const done = (a: DataAnswer) => {
      if (settled) return;
      settled = true;
      s.destroy();
      res(a);
    };
    s.on('secureConnect', () => s.write((typeof header === 'string' ? header : JSON.stringify(header)) + '\n'));
    s.on('data', (b) => {
      got += b.toString('latin1');
      // OK is followed by rsync's protocol: stop there, the caller only wants the answer
      if (got.startsWith('OK\n')) done({ text: 'OK\n' });
    });
    s.on('end', () => done({ text: got }));
    s.on('error', (e) => done({ text: got, error: e.message }));
    s.on('close', () => done({ text: got }));
    setTimeout(() => done({ text: got, error: 'timeout' }), 10_000);
  });
}
