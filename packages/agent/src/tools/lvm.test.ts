import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lvchangeActivateArgs, lvcreateSnapshotArgs, lvmErrorReason, lvremoveArgs, lvsArgs, parseLvsJson, snapshotBytes } from './lvm.js';

// Samples written from lvm2's documentation, not captured (fixtures/README.md).
const fixture = (f: string) => readFileSync(join(import.meta.dirname, 'fixtures', f), 'utf8');

describe('lvs --reportformat json', () => {
  it('parses a classic origin and its snapshot, sizes in bytes', () => {
    const rows = parseLvsJson(fixture('lvs-classic.json'));
    expect(rows.map((r) => r.name)).toEqual(['data', 'data-ff-20240102_030405', 'root']);
    expect(rows[0]).toMatchObject({ vg: 'vg0', attr: 'owi-aos---', sizeBytes: 10 * 2 ** 30, origin: undefined, thin: false, active: true, vgFreeBytes: 20401094656, tags: [] });
    expect(rows[1]).toMatchObject({ origin: 'data', sizeBytes: 2 ** 30, dataPercent: 0.01, tags: ['freezeframe'], thin: false });
  });

  it('parses a thin pool, a thin LV and its thin snapshot', () => {
    const rows = parseLvsJson(fixture('lvs-thin.json'));
    expect(rows[0]).toMatchObject({ name: 'pool0', attr: 'twi-aotz--', dataPercent: 37.52, thin: false });
    expect(rows[1]).toMatchObject({ name: 'app', pool: 'pool0', thin: true });
    expect(rows[2]).toMatchObject({ name: 'app-ff-20240102_030405-nightly', origin: 'app', pool: 'pool0', thin: true, active: true });
  });

  it('reads json_std numbers too, and refuses what is not a report', () => {
    expect(parseLvsJson('{"report":[{"lv":[{"lv_name":"a","vg_name":"v","lv_attr":"-wi-a-----","lv_size":1024,"vg_free":0,"data_percent":null}]}]}')[0]).toMatchObject({ sizeBytes: 1024, dataPercent: undefined });
    expect(() => parseLvsJson('  No volume groups found')).toThrow(/not JSON/);
    expect(() => parseLvsJson('{}')).toThrow(/without "report"/);
  });
});

describe('argv', () => {
  it('lvs asks for bytes without suffix, and ends options before the name', () => {
    expect(lvsArgs('vg0')).toEqual(['--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'lv_name,vg_name,lv_attr,lv_size,origin,pool_lv,data_percent,vg_free,lv_tags', '--', 'vg0']);
  });

  it('lvcreate: a size, an extents percentage, or a thin snapshot activated at once', () => {
    const base = { vg: 'vg0', origin: 'data', name: 'data-ff-20240102_030405', tags: ['freezeframe'] };
    expect(lvcreateSnapshotArgs({ ...base, size: '2G' })).toEqual(['--snapshot', '--name', 'data-ff-20240102_030405', '--size', '2G', '--activate', 'y', '--addtag', 'freezeframe', '--', 'vg0/data']);
    expect(lvcreateSnapshotArgs({ ...base, size: '10%ORIGIN' }).slice(3, 5)).toEqual(['--extents', '10%ORIGIN']);
    expect(lvcreateSnapshotArgs({ ...base, size: undefined }).slice(3, 5)).toEqual(['--setactivationskip', 'n']);
  });

  it('lvchange and lvremove', () => {
    expect(lvchangeActivateArgs('vg0', 's1')).toEqual(['--activate', 'y', '--ignoreactivationskip', '--', 'vg0/s1']);
    expect(lvremoveArgs('vg0', 's1')).toEqual(['--yes', '--', 'vg0/s1']);
  });

  it('refuses names that would be options, paths or reserved', () => {
    for (const [vg, lv] of [['-vg', 'a'], ['vg', '-a'], ['vg', 'a/b'], ['vg', 'a..b'], ['vg', '..'], ['vg', 'x_tmeta'], ['vg', 'snapshot0'], ['v@+g', 'a'], ['vg', 'a\0b']] as const) {
      expect(() => lvremoveArgs(vg, lv), `${vg}/${lv}`).toThrow(/is not a valid LVM/);
    }
    expect(() => lvcreateSnapshotArgs({ vg: 'vg', origin: 'a', name: 'b', tags: ['-x'] })).toThrow(/not a valid LVM tag/);
  });
});

describe('stderr and sizes', () => {
  it('recognises the failures freezeframe acts on', () => {
    expect(lvmErrorReason('  Failed to find logical volume "vg0/nope"')).toBe('no-such-lv');
    expect(lvmErrorReason('  Volume group "vgx" not found\n  Cannot process volume group vgx')).toBe('no-such-vg');
    expect(lvmErrorReason('  Logical Volume "s" already exists in volume group "vg0"')).toBe('exists');
    expect(lvmErrorReason('  Volume group "vg0" has insufficient free space (12 extents): 2560 required.')).toBe('no-space');
    expect(lvmErrorReason('  Logical volume vg0/s contains a filesystem in use.')).toBe('in-use');
  });

  it('snapshot sizes in bytes, lvm units being powers of 1024 and MiB by default', () => {
    expect(snapshotBytes('2G', 0, 0)).toBe(2 * 2 ** 30);
    expect(snapshotBytes('512', 0, 0)).toBe(512 * 2 ** 20);
    expect(snapshotBytes('1.5t', 0, 0)).toBe(1.5 * 2 ** 40);
    expect(snapshotBytes('10%ORIGIN', 10 * 2 ** 30, 0)).toBe(2 ** 30);
    expect(snapshotBytes('50%FREE', 0, 4 * 2 ** 30)).toBe(2 * 2 ** 30);
  });
});
