import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FfError, checkBackupId, checkEntry, errorMessage } from '@freezeframe/common';
import type { ZfsTagRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/ZfsTagRequest.js';
import type { ZfsTagResponse } from '@freezeframe/common/generated/freezeframe/v1/ZfsTagResponse.js';
import { needTarget, type AgentContext } from '../context.js';
import { recordChecksums, updateChecksums, type FileStat, type RecordResult } from '../checksums.js';
import { unescapeName } from '../file-names.js';
import { dropJournals, readJournal, type EntryChanges } from '../receive-journal.js';
import { compareSent, fidelityError } from '../fidelity.js';
import { dropReceivedLists, readSentList, receivedListFile } from '../sent-list.js';
import type { TagInfo } from '../providers/target/types.js';
import { refuseOnReplica } from './replica.js';

const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

/** Tags the received tree as a backup (for every target kind, despite the name). Releases the target lock. */
export async function zfsTag(ctx: AgentContext, req: ZfsTagRequest__Output): Promise<ZfsTagResponse> {
  const backupId = checkBackupId(req.backup_id);
  const entries = req.entries.map((e, i) => checkEntry(e, `entries[${i}]`));
  const target = needTarget(ctx);
  refuseOnReplica(ctx, `tagging backup ${backupId}`);
  const manifest = req.manifest?.json ?? '';
  if (manifest) {
    try {
      JSON.parse(manifest);
    } catch {
      throw new FfError('INVALID_ARGUMENT', 'manifest.json is not valid JSON', { details: { field: 'manifest.json' } });
    }
  }
  const started = Date.now();
  const info: TagInfo = {};
  const lists = new Map<string, string>();
  for (const e of entries) {
    const file = await receivedListFile(ctx.config.runDir, backupId, e);
    if (file) lists.set(e, file);
    else if (req.require_sent_checksums) {
      throw new FfError('FAILED_PRECONDITION', `the sender's list of the files it sent for ${e} did not arrive complete; backup ${backupId} not tagged`, { details: { entry: e } });
    }
  }
  // the received data goes to disk while the record is made: the snapshot would wait for it after.
  // Only started early: whether it failed is the snapshot's to find, which commits again
  const committing = target.commitReceived?.().catch((e: unknown) => ctx.log.warn({ backup_id: backupId, err: errorMessage(e) }, 'tag: committing the received data early failed'));
  let checked: number;
  try {
    checked = await recordReceived(ctx, backupId, entries, lists, info);
  } finally {
    await committing;
  }
  const r = await target.tag(backupId, manifest, entries, info);
  ctx.targetLock.tagged(backupId);
  await dropReceivedLists(ctx.config.runDir, backupId);
  await dropJournals(ctx.config.runDir, backupId);
  // the backup stands whether or not it can be shown; Health's target-browse check says what is wrong
  await target.showLatest?.(backupId).catch((e: unknown) => ctx.log.warn({ backup_id: backupId, err: errorMessage(e) }, 'target.browse: cannot show the newest backup'));
  return { snapshot: r.snapshot, duration_ms: String(Date.now() - started), sent_checked: String(checked) };
}

/**
 * Records the checksums of what the target received, and compares the sender's with what landed
 * (FIDELITY_FAILED naming the files); the number of files compared. Sets `info` from the record.
 */
async function recordReceived(ctx: AgentContext, backupId: string, entries: readonly string[], lists: ReadonlyMap<string, string>, info: TagInfo): Promise<number> {
  const target = needTarget(ctx);
  const started = Date.now();
  if (target.receivedRoot) {
    const root = await target.receivedRoot(backupId);
    // a missing entry is refused by tag() below with the names; only a complete tree is summed
    if ((await Promise.all(entries.map((e) => isDir(join(root, e))))).every(Boolean)) {
      const previous = await target.previousRoot?.(backupId);
      const sent = new Map<string, Map<string, string>>();
      for (const [entry, file] of lists) sent.set(entry, await readSentList(file));
      // the fidelity check reads the sent files while the record hashes them and is written: it
      // starts as soon as the files are listed (a record that falls back to listing every file
      // lists them again, and the check of that listing is the one that counts)
      const checks: Array<Promise<number>> = [];
      const onFiles = (files: readonly FileStat[]) => {
        const check = checkFidelity(ctx, backupId, root, sent, new Set(files.map((f) => f.p)));
        check.catch(() => undefined);
        checks.push(check);
      };
      let journaled: RecordResult | undefined;
      let sums: RecordResult;
      try {
        journaled = target.cleanSinceLastTag && !previous ? await fromJournals(ctx, backupId, root, entries, sent, onFiles) : undefined;
        sums =
          journaled ??
          (await recordChecksums(root, entries, {
            ...(previous ? { previous, sameInodeIsSameContent: true } : { changesNext: Boolean(target.cleanSinceLastTag) }),
            onFiles,
          }));
      } finally {
        await Promise.allSettled(checks);
      }
      info.usedBytes = sums.newBytes;
      info.sharedNames = sums.sharedNames;
      ctx.log.info({ backup_id: backupId, previous, from: journaled ? 'journal' : 'walk', duration_ms: Date.now() - started, ...sums }, 'checksums recorded');
      const check = checks.at(-1);
      if (!check) throw new FfError('INTERNAL', `the checksum record of backup ${backupId} listed no files to compare with the sender's`);
      return await check;
    }
  } else if (lists.size > 0) {
    throw new FfError('FAILED_PRECONDITION', `this target cannot show what landed, so the sender's checksums cannot be compared; backup ${backupId} not tagged`);
  }
  return 0;
}

/**
 * The record from the previous one and what the receivers journaled (receive-journal.ts), when
 * every entry's journal can be trusted; else undefined, and the tag lists every file. The files
 * the sender sent are listed with the changed ones, for the fidelity check.
 */
async function fromJournals(ctx: AgentContext, backupId: string, root: string, entries: readonly string[], sent: Map<string, Map<string, string>>, onFiles: (f: readonly FileStat[]) => void): Promise<RecordResult | undefined> {
  const changes = new Map<string, EntryChanges>();
  for (const e of entries) {
    const c = await readJournal(ctx.config.runDir, backupId, e);
    if ('untrusted' in c) {
      ctx.log.info({ backup_id: backupId, entry: e, why: c.untrusted }, 'checksums: every file listed, the receivers\' journal is not enough');
      return undefined;
    }
    changes.set(e, c);
  }
  const alsoList = [...sent].flatMap(([e, names]) => [...names.keys()].map((n) => Buffer.concat([Buffer.from(`${e}/`), unescapeName(n)])));
  return updateChecksums(root, changes, { alsoList, onFiles });
}

/** Refuses the tag (FIDELITY_FAILED, naming the files) when a file the sender sent did not land as it was read. */
async function checkFidelity(ctx: AgentContext, backupId: string, root: string, lists: Map<string, Map<string, string>>, regular: ReadonlySet<string>): Promise<number> {
  let checked = 0;
  for (const [entry, sent] of lists) {
    const started = Date.now();
    const r = await compareSent(root, entry, sent, regular, ctx.config.runDir);
    ctx.log.info({ backup_id: backupId, entry, checked: r.checked, differ: r.differ.length, duration_ms: Date.now() - started }, 'fidelity: sender\'s checksums compared');
    if (r.differ.length > 0) throw fidelityError(entry, r);
    checked += r.checked;
  }
  return checked;
}
