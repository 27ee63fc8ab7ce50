import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkResumeToken, checkResumeTokenFor, parseResumeTokenInfo, parseSendEstimate, parseZfsUsage, zfsRecvArgs, zfsSendArgs } from './zfs.js';

// zfs-usage-zfs-fuse.txt is captured from this machine's zfs-fuse 0.7. The OpenZFS files are
// recorded/realistic OpenZFS 2.x output (usage from zfs_main.c's help text; `send -nvt` prints
// "resume token contents:" and the token's nvlist, then the estimate), not captured here:
// zfs-fuse has no resume tokens and no `send -n` (fixtures/README.md).
const fixture = (f: string) => readFileSync(join(import.meta.dirname, 'fixtures', f), 'utf8');
const TOKEN = '1-e604ea4bf-e0-789c63a2a0c2a0d0d8a0a0d2e0e28e2a6060606a0c';

describe('zfs replication features from the usage text', () => {
  it('zfs-fuse: no -u, no resume, no estimate', () => {
    expect(parseZfsUsage(fixture('zfs-usage-zfs-fuse.txt'))).toEqual({ recvNoMount: false, recvResumable: false, sendResume: false, sendEstimate: false });
  });
  it('OpenZFS 2.x: all of them', () => {
    expect(parseZfsUsage(fixture('zfs-usage-openzfs.txt'))).toEqual({ recvNoMount: true, recvResumable: true, sendResume: true, sendEstimate: true });
  });
});

describe('zfs send / receive argv', () => {
  it('sends whole, incremental, or from a resume token; never -p or -R', () => {
    expect(zfsSendArgs({ snapshot: 'tank/ff/current@20240102_030405' })).toEqual(['send', 'tank/ff/current@20240102_030405']);
    expect(zfsSendArgs({ snapshot: 'tank/ff/current@20240102_030405', base: 'tank/ff/current@20240101_030405' })).toEqual([
      'send', '-i', 'tank/ff/current@20240101_030405', 'tank/ff/current@20240102_030405',
    ]);
    expect(zfsSendArgs({ snapshot: 'x@y', token: TOKEN })).toEqual(['send', '-t', TOKEN]);
    expect(zfsSendArgs({ snapshot: 'tank/a@b', dryRun: true })).toEqual(['send', '-nP', 'tank/a@b']);
  });
  it('refuses names and tokens that could be read as options', () => {
    expect(() => zfsSendArgs({ snapshot: '-R@x' })).toThrow(/not a valid ZFS/);
    expect(() => checkResumeToken('-t')).toThrow(/resume_token/);
    expect(() => checkResumeToken(`${TOKEN} -R`)).toThrow(/resume_token/);
  });
  it('receives into exactly the snapshot, -F / -u / -s only when asked', () => {
    expect(zfsRecvArgs({ snapshot: 'tank/r/current@20240101_030405' })).toEqual(['receive', 'tank/r/current@20240101_030405']);
    expect(zfsRecvArgs({ snapshot: 'tank/r/current@20240101_030405', force: true, noMount: true, resumable: true })).toEqual([
      'receive', '-F', '-u', '-s', 'tank/r/current@20240101_030405',
    ]);
    expect(() => zfsRecvArgs({ snapshot: 'tank/r/current' })).toThrow(/not a snapshot name/);
  });
});

describe('zfs send output (recorded OpenZFS 2.x)', () => {
  it('reads the size of `send -nP`, full and incremental', () => {
    expect(parseSendEstimate(fixture('zfs-send-nP-full.txt'))).toBe(1073846272);
    expect(parseSendEstimate(fixture('zfs-send-nP-incremental.txt'))).toBe(22334720);
    expect(parseSendEstimate('send from @a to b estimated size is 1M')).toBeUndefined();
  });
  it('reads the snapshot a resume token continues, and accepts it only for our own snapshot', () => {
    const info = parseResumeTokenInfo(fixture('zfs-send-nvt.txt'));
    expect(info).toEqual({ toname: 'tank/ff/current@20240102_030405', fromguid: '0x8f3b1c2d4e5f6071' });
    expect(() => checkResumeTokenFor(info, 'tank/ff/current@20240102_030405')).not.toThrow();
    expect(() => checkResumeTokenFor(info, 'tank/ff/current@20240103_030405')).toThrow(/continues a stream of tank\/ff\/current@20240102_030405, not of/);
    expect(() => checkResumeTokenFor(info, 'other/ff/current@20240102_030405')).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED' }));
    expect(() => parseResumeTokenInfo('cannot resume send: token is corrupt')).toThrow(/no toname/);
  });
});
