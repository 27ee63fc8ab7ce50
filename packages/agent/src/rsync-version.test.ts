import { describe, expect, it } from 'vitest';
import { findBinary, isFfError, run } from '@freezeframe/common';
import { MIN_RSYNC_VERSION, checkRsyncVersion, hasInsecureLinks, parseRsyncVersion } from './rsync-version.js';
import { parseVersion } from './tools/rsync.js';

// first lines of `rsync --version` as different releases print them
const V350 = 'rsync  version 3.5.0  protocol version 32\nCopyright (C) 1996-2025 by Andrew Tridgell, Wayne Davison, and others.\n';
const V327 = 'rsync  version 3.2.7  protocol version 31\nCopyright (C) 1996-2022 by Andrew Tridgell, Wayne Davison, and others.\n';
const V340 = 'rsync  version v3.4.0  protocol version 32\n';
const V3122 = 'rsync  version 3.1.3  protocol version 31\n';

describe('rsync version check', () => {
  it('parses what rsync prints', () => {
    expect(parseRsyncVersion(V350)).toEqual([3, 5, 0]);
    expect(parseRsyncVersion(V327)).toEqual([3, 2, 7]);
    expect(parseRsyncVersion(V340)).toEqual([3, 4, 0]);
    expect(parseRsyncVersion('rsync version 3.4 protocol version 32')).toEqual([3, 4, 0]);
  });

  it(`accepts ${MIN_RSYNC_VERSION} and newer, refuses older releases naming both versions`, () => {
    expect(checkRsyncVersion(V350)).toBe('3.5.0');
    expect(checkRsyncVersion(V340)).toBe('3.4.0');
    for (const old of [V327, V3122, 'rsync  version 2.6.9  protocol version 29\n', 'rsync  version 3.3.99  protocol version 32\n']) {
      expect(() => checkRsyncVersion(old, '/usr/bin/rsync')).toThrow(/\/usr\/bin\/rsync is version \d+\.\d+\.\d+; freezeframe needs 3\.4\.0/);
    }
  });

  it('refuses output it cannot read', () => {
    let err: unknown;
    try {
      checkRsyncVersion('openrsync: protocol version 29\n');
    } catch (e) {
      err = e;
    }
    expect(isFfError(err, 'FAILED_PRECONDITION')).toBe(true);
  });

  it('knows which releases have --insecure-links (3.5.0 on), as rsyncVersion() reports them', () => {
    expect(hasInsecureLinks(parseVersion(V350))).toBe(true);
    expect(hasInsecureLinks('3.10.1 protocol 32')).toBe(true);
    expect(hasInsecureLinks('v3.5.1 protocol 32')).toBe(true);
    expect(hasInsecureLinks(parseVersion(V340))).toBe(false);
    expect(hasInsecureLinks(parseVersion(V327))).toBe(false);
    expect(hasInsecureLinks('unavailable: rsync not installed')).toBe(false);
  });

  it('the installed rsync passes', async () => {
    const r = await run({ bin: findBinary('rsync'), args: ['--version'], timeoutMs: 10_000 });
    expect(() => checkRsyncVersion(r.stdout)).not.toThrow();
  });
});
