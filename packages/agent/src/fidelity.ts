import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FfError } from '@freezeframe/common';
import { runBatches } from './batches.js';
import { unescapeName } from './file-names.js';
import { rsyncFileSums } from './tools/rsync.js';
import { xxh128Sums, xxhPrintable } from './tools/xxh128sum.js';

// End-to-end fidelity: before a backup is tagged, every file the sender says it sent must be on
// the target with the checksum the sender computed while reading it. This catches what rsync's
// own per-file check cannot: a byte path or receiver that drops files and still reports success
// (a short copy), a file changed or cut on the target after rsync verified and closed it, a
// storage layer that loses writes. It proves nothing about files the sender did not send this
// time (rsync's quick check judged them unchanged): `backup --deep` compares those by content.

/** Files named in an error at most; details carry the count. */
export const NAMED_MAX = 20;
/** Names hashed per rsync run (the names xxh128sum cannot take): bounds the stdin list and the map of one batch. */
const BATCH = 50_000;
/** rsync runs at once: a dry run's sender reads and sums one file after another (bench/PROFILE.md, nineteenth pass). */
const RUNS = 2;

/** A name relative to an entry that stays inside it: no absolute path, no '.', '..' or empty component. */
export function isPlainRelative(name: Buffer): boolean {
  if (name.length === 0 || name[0] === 0x2f || name.includes(0)) return false;
  return name
    .toString('latin1')
    .split('/')
    .every((c) => c !== '' && c !== '.' && c !== '..');
}

export interface FidelityResult {
  /** Files the sender reported and the target compared. */
  checked: number;
  /** Names (escaped, relative to the entry) whose content differs or that are not regular files on the target, sorted. */
  differ: string[];
}

/**
 * Compares the sender's list for `entry` with what landed under `root/entry`. `regular` holds the
 * entry's regular files as the target's own `find -P` walk listed them (escaped, `<entry>/...`):
 * only those are read, so a symlink planted in the tree is never followed.
 */
export async function compareSent(root: string, entry: string, sent: Map<string, string>, regular: ReadonlySet<string>, scratchDir: string): Promise<FidelityResult> {
  const differ: string[] = [];
  const toHash: Array<[string, Buffer]> = [];
  for (const name of sent.keys()) {
    const raw = unescapeName(name);
    if (!isPlainRelative(raw) || !regular.has(`${entry}/${name}`)) differ.push(name);
    else toHash.push([name, raw]);
  }
  const compare = (batch: ReadonlyArray<[string, Buffer]>, landed: ReadonlyMap<string, string>) => {
    for (const [name, raw] of batch) if (landed.get(raw.toString('latin1')) !== sent.get(name)) differ.push(name);
  };
  const plain: Array<[string, Buffer]> = [];
  const odd: Array<[string, Buffer]> = [];
  for (const item of toHash) (xxhPrintable(item[1]) ? plain : odd).push(item);
  compare(plain, await xxh128Sums(join(root, entry), plain.map(([, raw]) => raw)));
  if (odd.length > 0) {
    const empty = await mkdtemp(join(scratchDir, 'fidelity-'));
    try {
      await runBatches(odd, { maxItems: BATCH, processes: RUNS }, async (batch) => {
        compare(batch, await rsyncFileSums(join(root, entry), batch.map(([, raw]) => raw), empty));
      });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  }
  return { checked: sent.size, differ: differ.sort() };
}

/** FIDELITY_FAILED naming the entry and up to NAMED_MAX of its files. */
export function fidelityError(entry: string, r: FidelityResult): FfError {
  const named = r.differ.slice(0, NAMED_MAX);
  const more = r.differ.length > named.length ? ` and ${r.differ.length - named.length} more` : '';
  return new FfError('FIDELITY_FAILED', `${entry}: ${r.differ.length} of ${r.checked} file(s) sent differ on the target from what the sender read: ${named.join(', ')}${more}`, {
    details: { entry, files: named, count: r.differ.length, checked: r.checked },
    hint: 'the backup was not tagged; check the target\'s storage (dmesg, scrub), then back up again',
  });
}
