import { FfError } from '@freezeframe/common';

// What a sending rsync may ask of the receiving `rsync --server`, in the spirit of rsync's
// support/rrsync: the channel only ever receives (never --sender), the receiver's paths come
// from the ticket, and options that name other paths, delete sources or write devices are refused.

/**
 * Short flags without arguments that rsync puts into its server cluster: rrsync's list minus
 * what would let a sender reach past the receive folder or past this check:
 * -K/--keep-dirlinks (follow symlinked folders on the receiver), -L/-k (copy links),
 * -R/--relative (rsync accepts absolute names from the sender only with it),
 * -s/--secluded-args (more arguments would arrive inside the stream, unchecked),
 * -y/--fuzzy (reads other files of the receiver as basis), -b/--backup (extra files).
 */
const SHORT_FLAGS = new Set('ACDEHJNOSUWXcdglmnopqrtuvxz'.split(''));
/** Why a short flag rrsync would allow is refused here. */
const SHORT_REFUSED_WHY: Record<string, string> = {
  K: 'follows symlinked folders on the receiver',
  L: 'follows symlinks',
  k: 'follows symlinked folders',
  R: 'lets the sender use absolute paths',
  s: 'would pass further arguments inside the stream',
  y: 'reads other files of the receiver',
  b: 'keeps copies on the receiver',
  I: 'the receiver decides how files are compared',
};

/** Long options rsync passes to the server for the client options freezeframe uses (and harmless kin). */
const LONG_FLAGS = new Set([
  '--delete',
  '--delete-before',
  '--delete-during',
  '--delete-delay',
  '--delete-after',
  '--partial',
  '--numeric-ids',
  '--stats',
  '--sparse',
  '--checksum',
  '--no-whole-file',
  '--whole-file',
  '--fsync',
  '--no-inc-recursive',
  '--no-i-r',
  '--force',
  '--ignore-errors',
]);
const LONG_WITH_VALUE: Record<string, RegExp> = {
  '--compress-level': /^\d{1,2}$/,
  '--checksum-seed': /^\d{1,10}$/,
  '--timeout': /^\d{1,6}$/,
  '--block-size': /^\d{1,10}$/,
  '--max-size': /^[0-9.]+[kmgtKMGT]?$/,
  // what rsync's client passes when its --out-format itemizes (the sender's per-file checksums):
  // it only asks the receiver to report its changes, never names a file or sets a format of its own
  '--log-format': /^(?:%i|%i%I|%o|X)$/,
  '--min-size': /^[0-9.]+[kmgtKMGT]?$/,
};

/** Named here so the refusal says why, not just "unknown". */
const REFUSED_WHY: Record<string, string> = {
  '--sender': 'the data channel only receives',
  '--remove-source-files': 'removes files',
  '--remove-sent-files': 'removes files',
  // a partial restore relies on rsync leaving alone what the sender's rules exclude
  '--delete-excluded': 'deletes what the transfer excludes',
  '--files-from': 'names a path on the receiver',
  '--temp-dir': 'names a path on the receiver',
  '--backup-dir': 'names a path on the receiver',
  '--link-dest': 'names a path on the receiver (the receiver decides it)',
  '--compare-dest': 'names a path on the receiver',
  '--copy-dest': 'names a path on the receiver',
  '--partial-dir': 'names a path on the receiver',
  '--log-file': 'writes a file on the receiver',
  // the receiver's journal (receive-journal.ts) is read back as its list of changes
  '--log-file-format': 'the receiver decides what it journals',
  '--write-devices': 'writes to devices',
  '--copy-devices': 'reads devices',
  '--rsync-path': 'runs a program',
  '--daemon': 'runs a daemon',
  '--config': 'names a path on the receiver',
  '--only-write-batch': 'writes a file on the receiver',
  '--write-batch': 'writes a file on the receiver',
  '--read-batch': 'reads a file on the receiver',
  '--exclude-from': 'names a path on the receiver',
  '--include-from': 'names a path on the receiver',
  '--filter': 'filters are decided by the sender',
  '--chown': 'changes owners',
  '--usermap': 'changes owners',
  '--groupmap': 'changes owners',
  '--super': 'privilege flags are decided by the receiver',
  '--fake-super': 'privilege flags are decided by the receiver',
  '--backup': 'keeps copies on the receiver',
  '--suffix': 'keeps copies on the receiver',
  '--keep-dirlinks': 'follows symlinked folders on the receiver',
  '--copy-links': 'follows symlinks',
  '--copy-dirlinks': 'follows symlinked folders',
  '--copy-unsafe-links': 'follows symlinks',
  '--relative': 'lets the sender use absolute paths',
  '--secluded-args': 'would pass further arguments inside the stream',
  '--protect-args': 'would pass further arguments inside the stream',
  '--fuzzy': 'reads other files of the receiver',
  '--files-from0': 'names a path on the receiver',
  // the receiver alone decides how files are compared and written: a sender that could skip the
  // quick check's mtime or write into existing files could change what earlier backups share
  '--ignore-times': 'the receiver decides how files are compared',
  '--size-only': 'the receiver decides how files are compared',
  '--modify-window': 'the receiver decides how files are compared',
  '--append': 'the receiver decides how files are written',
  '--append-verify': 'the receiver decides how files are written',
  '--munge-links': 'the receiver decides how symlinks are stored',
};

/**
 * Checks the argv the sending rsync passed to its --rsh (`rsync --server <options> . <paths>`)
 * and returns only the options: the paths are the client's and are ignored. Throws
 * PERMISSION_DENIED naming the first refused argument. `--inplace` must match the receiver's own
 * options (`receiverOptions`): the sender's delta matching has to know whether the receiver
 * overwrites its basis file, and only the receiver decides that.
 */
export function validateServerArgs(argv: unknown, receiverOptions: readonly string[] = []): string[] {
  if (!Array.isArray(argv) || argv.some((a) => typeof a !== 'string') || argv.length > 64) {
    throw new FfError('PERMISSION_DENIED', 'rsync arguments must be an array of at most 64 strings');
  }
  const args = argv as string[];
  if (args[0] !== 'rsync' || args[1] !== '--server') {
    throw new FfError('PERMISSION_DENIED', `expected "rsync --server ...", got ${JSON.stringify(args.slice(0, 2).join(' '))}`);
  }
  const out: string[] = [];
  let sawDot = false;
  for (const arg of args.slice(2)) {
    if (arg === '.') {
      sawDot = true;
      break;
    }
    out.push(checkOption(arg));
  }
  if (!sawDot) throw new FfError('PERMISSION_DENIED', 'rsync server arguments have no "." separating options from paths');
  const inplace = receiverOptions.includes('--inplace');
  if (out.includes('--inplace') !== inplace) {
    refuse('--inplace', inplace ? 'the receiver writes in place, the sender must say so' : 'the receiver decides how files are written');
  }
  if (!out.some((a) => /^-[^-]/.test(a))) throw new FfError('PERMISSION_DENIED', 'rsync server arguments have no short-option cluster');
  return out;
}

function refuse(arg: string, why = 'not allowed on the data channel'): never {
  throw new FfError('PERMISSION_DENIED', `rsync option ${JSON.stringify(arg.slice(0, 60))} refused: ${why}`);
}

function checkOption(arg: string): string {
  if (arg.startsWith('--')) {
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const why = REFUSED_WHY[name];
    if (why) refuse(arg, why);
    if (eq < 0) {
      // checked against the receiver's own options by validateServerArgs
      if (LONG_FLAGS.has(name) || name === '--inplace') return arg;
      refuse(arg, 'unknown option');
    }
    const re = LONG_WITH_VALUE[name];
    if (re && re.test(arg.slice(eq + 1))) return arg;
    refuse(arg, re ? 'bad value' : 'unknown option');
  }
  if (!arg.startsWith('-') || arg.length < 2) refuse(arg, 'not an option');
  // -lHogDtpAXre.iLsfxCIvu: flags, then 'e' whose value is the rest of the cluster (the
  // protocol's capability letters after a '.'). As in rsync's popt: an option that takes a value
  // takes the rest of its cluster, or the next argument when the cluster ends with it.
  const cluster = arg.slice(1);
  const e = cluster.indexOf('e');
  const flags = e < 0 ? cluster : cluster.slice(0, e);
  for (const c of flags) {
    if (!SHORT_FLAGS.has(c)) refuse(arg, `short option -${c} is not allowed${SHORT_REFUSED_WHY[c] ? ` (${SHORT_REFUSED_WHY[c]})` : ''}`);
  }
  if (e >= 0 && !/^\.[A-Za-z]*$/.test(cluster.slice(e + 1))) {
    refuse(arg, e === cluster.length - 1 ? "-e would take the next argument as its value" : 'bad protocol capability string');
  }
  return arg;
}
