import { randomBytes } from 'node:crypto';
import { lstat, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ENTRY_RE, FfError, checkBackupId } from '@freezeframe/common';
import type { DrillSourceRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/DrillSourceRequest.js';
import type { TransferProgress } from '@freezeframe/common/generated/freezeframe/v1/TransferProgress.js';
import { CHANGES_FILE, CHECKSUMS_FILE } from '../checksum-record.js';
import { readSums } from '../checksums.js';
import { needTarget, type AgentContext } from '../context.js';
import { checkSample, sampleOf } from '../drill-sample.js';
import { includeRules, unescapeName } from '../file-names.js';
import { sendTree } from './transfer.js';

/**
 * The `--include-from` rules (NUL-separated, followed by `--exclude=*`) of a whole-backup drill:
 * every entry whole and the checksum record, nothing else of the backup's own folder. Pure.
 */
export function wholeBackupRules(entries: readonly string[]): Buffer {
  const rules: Buffer[] = [];
  for (const e of entries) {
    // entry names hold no wildcard or backslash (ENTRY_RE): the pattern is the name itself
    if (!ENTRY_RE.test(e) || e.includes('..')) throw new FfError('INTERNAL', `backup holds a folder that is no entry name: ${JSON.stringify(e.slice(0, 80))}`);
    rules.push(Buffer.from(`/${e}/***\0`));
  }
  rules.push(includeRules([Buffer.from(CHECKSUMS_FILE), Buffer.from(CHANGES_FILE)]));
  return Buffer.concat(rules);
}

/** A record file's size; 0 when the backup has none. */
async function sizeOf(path: string): Promise<number> {
  try {
    return (await lstat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}

/**
 * Target: sends an activated backup to a drill node's ticket (OpenDrill): every entry and the
 * checksum record, or, with a sample, only the sampled files (chosen here, from the record; the
 * drill node names no path) and the record. Symlinks go as they were stored before munging.
 */
export async function drillSource(ctx: AgentContext, req: DrillSourceRequest__Output, emit: (m: TransferProgress) => void, signal: AbortSignal): Promise<void> {
  const backupId = checkBackupId(req.backup_id);
  const sample = checkSample(req.sample_percent, req.sample_seed);
  const { root, entries } = await needTarget(ctx).activate(backupId);
  const sums = await readSums(root);
  if (!sums) {
    throw new FfError('FAILED_PRECONDITION', `backup ${backupId} has no recorded checksums (tagged by an older version): a drill has nothing to compare it with`, {
      hint: 'drill a newer backup (freezeframe list)',
    });
  }
  const sent = sample ? sampleOf(sums, sample) : sums;
  const rules = sample ? includeRules([...sent.map((s) => unescapeName(s.p)), Buffer.from(CHECKSUMS_FILE), Buffer.from(CHANGES_FILE)]) : wholeBackupRules(entries);
  // known here, as a restore's director knows its entry's: progress from what rsync read, not a line per file
  const expected = sent.reduce((n, s) => n + s.s, 0) + (await sizeOf(join(root, CHECKSUMS_FILE))) + (await sizeOf(join(root, CHANGES_FILE)));
  const list = join(ctx.config.runDir, `drill-${backupId}-${randomBytes(6).toString('hex')}.list`);
  await writeFile(list, rules, { mode: 0o600 });
  try {
    await sendTree(
      ctx,
      {
        backupId,
        from: root,
        ticket: req.ticket,
        receiverName: req.receiver_name,
        receiverHost: req.receiver_host,
        receiverPort: req.receiver_data_port,
        inplace: req.inplace,
        receiverNative: req.receiver_native,
        direction: 'restore',
        only: list,
        ...(expected > 0 ? { expectedBytes: expected } : {}),
        // as a restore sends them (restore-source.ts): a dir target stores symlinks munged
        unmungeLinks: true,
      },
      emit,
      signal,
    );
  } finally {
    await rm(list, { force: true });
  }
}
