import { describe, expect, it } from 'vitest';
import { validateServerArgs } from './allowlist.js';

// argv as rsync 3.5.0 passed it to --rsh (recorded with a logging rsh), host dropped
const RECORDED = [
  'rsync --server -lHogDtpAXre.iLsfxCIvu --delete --stats --numeric-ids . /tmp/rs/dst19362/',
  'rsync --server -lHogDtpAXre.iLsfxCIvu --delete --stats --numeric-ids --inplace . /tmp/rs/dst29427/',
  'rsync --server -lHogDtpAXre.iLsfxCIvu --delete-after --stats --numeric-ids . /tmp/rs/dst22180/',
  'rsync --server -lHogDtpAXrze.iLsfxCIvu --delete --stats --partial --numeric-ids . /tmp/rs/dst/',
  'rsync --server -lHogDtpAXre.iLsfxCIvu --delete --stats --numeric-ids --inplace . .',
  // --out-format with %i (the sender's per-file checksums), and --checksum (backup --deep)
  'rsync --server -lHogDtpAXre.iLsfxCIvu --log-format=%i --delete --stats --numeric-ids . .',
  'rsync --server -lHogDtpAXrce.iLsfxCIvu --log-format=%i --delete --stats --numeric-ids --inplace . .',
];

describe('rsync server argument allowlist', () => {
  it('accepts what rsync really sends and drops the paths', () => {
    for (const line of RECORDED) {
      const argv = line.split(' ');
      const opts = validateServerArgs(argv, argv.includes('--inplace') ? ['--inplace'] : []);
      expect(opts).toEqual(argv.slice(2, argv.indexOf('.')));
    }
  });

  const refused: Array<[string, RegExp]> = [
    ['rsync --server --sender -logDtpre.iLsfxCIvu . /etc/', /--sender.*only receives/],
    ['rsync --server -logDtpre.iLsfxCIvu --remove-source-files . x', /removes files/],
    ['rsync --server -logDtpre.iLsfxCIvu --delete-after --delete-excluded . x', /--delete-excluded.*deletes what the transfer excludes/],
    ['rsync --server -logDtpre.iLsfxCIvu --files-from=/etc/shadow . x', /names a path/],
    ['rsync --server -logDtpre.iLsfxCIvu --temp-dir=/tmp . x', /temp-dir/],
    ['rsync --server -logDtpre.iLsfxCIvu --backup-dir=/x . x', /backup-dir/],
    ['rsync --server -logDtpre.iLsfxCIvu --link-dest=/etc . x', /link-dest/],
    ['rsync --server -logDtpre.iLsfxCIvu --compare-dest=/etc . x', /compare-dest/],
    ['rsync --server -logDtpre.iLsfxCIvu --copy-dest=/etc . x', /copy-dest/],
    ['rsync --server -logDtpre.iLsfxCIvu --log-file=/etc/passwd . x', /log-file/],
    ['rsync --server -logDtpre.iLsfxCIvu --log-file-format=%i%20x . x', /the receiver decides what it journals/],
    ['rsync --server -logDtpre.iLsfxCIvu --write-devices . x', /devices/],
    ['rsync --server -logDtpre.iLsfxCIvu --rsync-path=/bin/sh . x', /runs a program/],
    ['rsync --server -logDtpre.iLsfxCIvu --whatever . x', /unknown option/],
    ['rsync --server -logDtpre.iLsfxCIvu --log-format=%f%n . x', /log-format.*bad value/],
    ['rsync --server -logDtpre.iLsfxCIvu --compress-level=x9 . x', /bad value/],
    ['rsync --server -logDtpre.iLsfxCIvu -T /tmp . x', /-T/],
    ['rsync --server -logDtpre.iLsfxCIvu -B . x', /-B/],
    ['rsync --server -logDtpre.iLsfx;CIvu . x', /capability/],
    ['rsync --server -logDtpKre.iLsfxCIvu . x', /-K is not allowed \(follows symlinked folders/],
    ['rsync --server -logDtpLre.iLsfxCIvu . x', /-L is not allowed/],
    ['rsync --server -logDtpRre.iLsfxCIvu . x', /-R is not allowed \(lets the sender use absolute paths/],
    ['rsync --server -slogDtpre.iLsfxCIvu . x', /-s is not allowed \(would pass further arguments/],
    ['rsync --server -logDtpyre.iLsfxCIvu . x', /-y is not allowed/],
    ['rsync --server -logDtpbre.iLsfxCIvu . x', /-b is not allowed/],
    ['rsync --server -logDtpre.iLsfxCIvu --keep-dirlinks . x', /keep-dirlinks.*follows symlinked/],
    ['rsync --server -logDtpre.iLsfxCIvu --copy-unsafe-links . x', /follows symlinks/],
    ['rsync --server -logDtpre.iLsfxCIvu --secluded-args . x', /further arguments/],
    ['rsync --server -logDtpre.iLsfxCIvu', /no "\."/],
    // only the receiver decides how files are compared and written (docs/security.md, "The data channel's rsync")
    ['rsync --server -logDtpIre.iLsfxCIvu . x', /-I is not allowed \(the receiver decides how files are compared/],
    ['rsync --server -logDtpre.iLsfxCIvu --ignore-times . x', /receiver decides how files are compared/],
    ['rsync --server -logDtpre.iLsfxCIvu --size-only . x', /receiver decides how files are compared/],
    ['rsync --server -logDtpre.iLsfxCIvu --modify-window=5 . x', /receiver decides how files are compared/],
    ['rsync --server -logDtpre.iLsfxCIvu --append . x', /receiver decides how files are written/],
    ['rsync --server -logDtpre.iLsfxCIvu --append-verify . x', /receiver decides how files are written/],
    ['rsync --server -logDtpre.iLsfxCIvu --inplace . x', /--inplace.*receiver decides how files are written/],
    ['rsync --server -logDtpre.iLsfxCIvu --munge-links . x', /symlinks/],
    // a cluster ending in 'e' would take the receiver's next option as its value (docs/security.md, the allowlist's last row)
    ['rsync --server -logDtpre . x', /-e would take the next argument/],
    ['rsync --server -e . x', /-e would take the next argument/],
    ['rsync --server -logDtpreiLsfx . x', /capability/],
    ['rsync --server . x', /short-option/],
    ['sh -c id . x', /expected "rsync --server/],
    ['rsync -logDtpre.iLsfxCIvu . x', /expected "rsync --server/],
  ];
  it.each(refused)('refuses %s', (line, why) => {
    expect(() => validateServerArgs(line.split(' '))).toThrow(why);
  });

  it('refuses a sender without --inplace when the receiver writes in place', () => {
    expect(() => validateServerArgs('rsync --server -logDtpre.iLsfxCIvu . x'.split(' '), ['--inplace'])).toThrow(/receiver writes in place/);
  });

  // Every way popt could read a cluster: a flag may be followed by 'e', whose value is the rest of
  // the cluster, or, when nothing follows it, the next argument. Only "e." + capabilities passes.
  it('parses option clusters as popt does (corpus)', () => {
    const flags = ['', 'l', 'logDtpr', 'lHogDtpAXr', 'vvz'];
    for (const f of flags) {
      for (const [value, ok] of [['', false], ['.', true], ['.iLsfxCIvu', true], ['iLsfx', false], ['.i;', false], ['.e', true], ['e', false]] as const) {
        const argv = ['rsync', '--server', `-${f}e${value}`, '--link-dest=/x', '.', 'x'];
        const check = () => validateServerArgs(argv);
        if (ok && f) expect(check, argv[2]).toThrow(/link-dest/);
        else expect(check, argv[2]).toThrow(/-e would take|capability|short-option|link-dest/);
        if (!ok) expect(check, argv[2]).toThrow(/-e would take|capability/);
      }
      if (f) expect(validateServerArgs(['rsync', '--server', `-${f}`, '.', 'x'])).toEqual([`-${f}`]);
    }
  });

  it('refuses non-string and oversized argv', () => {
    expect(() => validateServerArgs(['rsync', '--server', 5, '.'])).toThrow(/array of at most 64 strings/);
    expect(() => validateServerArgs('rsync --server')).toThrow(/array/);
    expect(() => validateServerArgs(['rsync', '--server', ...Array(70).fill('-r'), '.'])).toThrow(/64/);
  });
});
