import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { btrfsReceiveArgs, btrfsSendArgs, parseFilesystemDu, parseSendStreamHead, parseSubvolumeShow } from './btrfs.js';

// The first bytes of real `btrfs send` streams (btrfs-progs 6.2, kernel of this machine), as hex.
const head = (f: string) => Buffer.from(readFileSync(join(import.meta.dirname, 'fixtures', f), 'utf8').trim(), 'hex');

describe('btrfs send stream head', () => {
  it('names the subvolume of a full stream and the snapshot of an incremental one', () => {
    expect(parseSendStreamHead(head('btrfs-send-full-head.hex'))).toMatchObject({ kind: 'subvol', name: '20240101_030405' });
    expect(parseSendStreamHead(head('btrfs-send-incremental-head.hex'))).toMatchObject({ kind: 'snapshot', name: '20240102_030405' });
  });
  it('waits for more bytes, and refuses what is not a stream', () => {
    const full = head('btrfs-send-full-head.hex');
    expect(parseSendStreamHead(full.subarray(0, 20))).toBeUndefined();
    expect(parseSendStreamHead(full.subarray(0, 5))).toBeUndefined();
    expect(() => parseSendStreamHead(Buffer.from('zfs-stream-of-something-else'))).toThrow(/not a btrfs send stream/);
  });
});

describe('btrfs send / receive argv and output', () => {
  it('builds argv with paths after --', () => {
    expect(btrfsSendArgs('/b/20240102_030405', '/b/20240101_030405')).toEqual(['send', '-p', '/b/20240101_030405', '--', '/b/20240102_030405']);
    expect(btrfsSendArgs('/b/x')).toEqual(['send', '--', '/b/x']);
    expect(btrfsReceiveArgs('/r')).toEqual(['receive', '-e', '-C', '--', '/r']);
  });
  it('parses filesystem du and the received UUID', () => {
    expect(parseFilesystemDu('     Total   Exclusive  Set shared  Filename\n   3002368           0     3002368  /tmp/btm/A\n')).toBe(3002368);
    const show = parseSubvolumeShow('x\n\tName: \t\t\tA\n\tUUID: \t\t\te357\n\tParent UUID: \t\t-\n\tReceived UUID: \t\ted79a2c6-3996\n\tFlags: \t\t\treadonly\n');
    expect(show).toMatchObject({ receivedUuid: 'ed79a2c6-3996', readonly: true });
    expect(parseSubvolumeShow('\tUUID: \t\t\te357\n\tReceived UUID: \t\t-\n').receivedUuid).toBeUndefined();
  });
});
