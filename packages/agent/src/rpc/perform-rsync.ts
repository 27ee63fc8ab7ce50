import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkBackupId } from '@freezeframe/common';
import type { PerformRsyncRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/PerformRsyncRequest.js';
import type { TransferProgress } from '@freezeframe/common/generated/freezeframe/v1/TransferProgress.js';
import { needSource, type AgentContext } from '../context.js';
import { includeRules } from '../file-names.js';
import { filesIn, filesSentIn, stampedHere, withoutSent, type RecheckWindow } from '../recheck.js';
import { endSentPass, openSentList, sentNames } from '../sent-list.js';
import { sendTree, type SendRequest } from './transfer.js';
import { checkEntryField } from './entry-field.js';

/** Past this many files, the second pass compares the whole tree instead of a list (rsync matches each file against every rule). */
const RECHECK_LIST_MAX = 20_000;
/** Past this many names sent, the listing walks the tree instead (a first backup sent every file). */
const SENT_NAMES_MAX = 100_000;

/**
 * The first pass's listing of the files to recheck, kept for the second pass of the same backup
 * (the snapshot does not change between them: one walk, not two). A few backups at most.
 */
const listings = new Map<string, Promise<Buffer[]>>();
const LISTINGS_KEPT = 8;

const listingKey = (backupId: string, entry: string, previous: string | undefined) => `${backupId} ${entry} ${previous ?? ''}`;

function recheckListing(ctx: AgentContext, backupId: string, entry: string, previous: string | undefined, from: string): Promise<Buffer[]> {
  const key = listingKey(backupId, entry, previous);
  let l = listings.get(key);
  if (!l) {
    l = previous && ctx.snapshotTimes ? ctx.snapshotTimes.windows(previous, backupId).then((w) => listRecheck(ctx, backupId, entry, from, w)) : Promise.resolve([]);
    listings.set(key, l);
    // a failed listing is computed again next time
    l.catch(() => listings.delete(key));
    while (listings.size > LISTINGS_KEPT) listings.delete(listings.keys().next().value!);
  }
  return l;
}

/**
 * The files in `windows`: from the names those backups sent where each has a complete list (a few
 * lstats), else by walking the whole snapshot (~0.3 s of CPU per 200k files, beside the first pass).
 */
async function listRecheck(ctx: AgentContext, backupId: string, entry: string, from: string, windows: RecheckWindow[]): Promise<Buffer[]> {
  const o = { stampedHere: await stampedHere(from) };
  const started = Date.now();
  const ids = windows.map((w) => w.backupId);
  const sent = ids.every((id) => id !== undefined) ? await sentNames(ctx.config.runDir, ids as string[], entry, SENT_NAMES_MAX) : undefined;
  const listed = sent && (await filesSentIn(from, sent, windows, o));
  const files = listed ?? (await filesIn(from, windows, o));
  ctx.log.info({ backup_id: backupId, entry, from: listed ? 'sent' : 'walk', ...(sent ? { sentNames: sent.length } : {}), files: files.length, ms: Date.now() - started }, 'recheck listing');
  return files;
}

function keepListing(backupId: string, entry: string, previous: string | undefined, files: Buffer[]): void {
  listings.set(listingKey(backupId, entry, previous), Promise.resolve(files));
}

/**
 * Source: sends this backup's snapshot to the receiver's data channel. The first pass is
 * rsync's ordinary one; `recheck` is the second, over the files whose mtime the quick check
 * cannot tell apart (see recheck.ts), whose count the first pass reports.
 */
export async function performRsync(ctx: AgentContext, req: PerformRsyncRequest__Output, emit: (m: TransferProgress) => void, signal: AbortSignal): Promise<void> {
  const backupId = checkBackupId(req.backup_id);
  const volume = needSource(ctx, checkEntryField(req.entry));
  const source = volume.provider;
  const from = await source.snapshotPath(backupId);
  const previous = req.previous_backup_id ? checkBackupId(req.previous_backup_id, 'previous_backup_id') : undefined;
  const send: SendRequest = {
    backupId,
    from,
    ticket: req.ticket,
    receiverName: req.receiver_name,
    receiverHost: req.receiver_host,
    receiverPort: req.receiver_data_port,
    inplace: req.inplace,
    receiverNative: req.receiver_native,
    direction: 'backup',
    // the director asks for a comparison after the setting changed, and for --deep
    ...(req.compare_left_out ? { countDiffering: volume.leaveOut } : { leaveOut: volume.leaveOut }),
    ...(req.sent_checksums ? { sentList: await openSentList(ctx.config.runDir, backupId, volume.entry) } : {}),
  };
  let ok = false;
  try {
    await sendPasses(ctx, req, send, emit, signal, { source, previous, from, entry: volume.entry });
    ok = true;
  } finally {
    // sendTree closes it; this covers a failure before it ran (the listing, the include list)
    await send.sentList?.close().catch(() => undefined);
    // a list that cannot say so stays marked running: the next backup walks the tree
    if (send.sentList) await endSentPass(ctx.config.runDir, backupId, volume.entry, ok).catch(() => undefined);
  }
}

async function sendPasses(
  ctx: AgentContext,
  req: PerformRsyncRequest__Output,
  send: SendRequest,
  emit: (m: TransferProgress) => void,
  signal: AbortSignal,
  v: { source: { pointInTime: boolean }; previous: string | undefined; from: string; entry: string },
): Promise<void> {
  const { backupId } = send;
  const { source, previous, from } = v;
  if (req.deep) {
    // every file is compared by content: nothing is left for a second pass
    const started = Date.now();
    await sendTree(ctx, { ...send, deep: true }, emit, signal);
    if (!source.pointInTime) await ctx.snapshotTimes?.record(backupId, started, Date.now());
    return;
  }
  const listing = recheckListing(ctx, backupId, v.entry, previous, from);
  if (!req.recheck) {
    const started = Date.now();
    // the listing walks the snapshot beside the first pass (~0.3 s per 200k files), not before it
    listing.catch(() => undefined);
    const unsent = send.sentList ? withoutSent(send.sentList, listing, from) : undefined;
    const recheckFiles = async () => {
      if (!unsent) return (await listing).length;
      const left = await unsent.left();
      keepListing(backupId, v.entry, previous, left);
      return left.length;
    };
    await sendTree(ctx, { ...send, ...(unsent ? { sentList: unsent.list } : {}), recheckFiles }, emit, signal);
    // a live folder is read during the whole transfer: that is its "snapshot" time
    if (!source.pointInTime) await ctx.snapshotTimes?.record(backupId, started, Date.now());
    return;
  }
  const recheck = await listing;
  listings.delete(listingKey(backupId, v.entry, previous));
  if (recheck.length > RECHECK_LIST_MAX || !previous) {
    await sendTree(ctx, send, emit, signal);
    return;
  }
  const list = join(ctx.config.runDir, `recheck-${backupId}.list`);
  await writeFile(list, includeRules(recheck), { mode: 0o600 });
  try {
    await sendTree(ctx, { ...send, only: list }, emit, signal);
  } finally {
    await rm(list, { force: true });
  }
}
