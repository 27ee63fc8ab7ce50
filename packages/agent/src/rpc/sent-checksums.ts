import { FfError, checkBackupId, checkEntry } from '@freezeframe/common';
import type { AddSentChecksumsRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/AddSentChecksumsRequest.js';
import type { AddSentChecksumsResponse } from '@freezeframe/common/generated/freezeframe/v1/AddSentChecksumsResponse.js';
import type { SentChecksumsRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/SentChecksumsRequest.js';
import type { SentChecksumsResponse } from '@freezeframe/common/generated/freezeframe/v1/SentChecksumsResponse.js';
import { needSource, needTarget, type AgentContext } from '../context.js';
import { readSentPage, writeReceivedPage } from '../sent-list.js';
import { FILE_CHECKSUM } from '../tools/rsync.js';
import { checkEntryField } from './entry-field.js';

const offsetOf = (v: unknown) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new FfError('INVALID_ARGUMENT', `offset ${String(v).slice(0, 30)} is not a byte offset`, { details: { field: 'offset' } });
  return n;
};

/** Source: a page of the list of files sent for a backup's volume (sent-list.ts). */
export async function sentChecksums(ctx: AgentContext, req: SentChecksumsRequest__Output): Promise<SentChecksumsResponse> {
  const backupId = checkBackupId(req.backup_id);
  const volume = needSource(ctx, checkEntryField(req.entry));
  const page = await readSentPage(ctx.config.runDir, backupId, volume.entry, offsetOf(req.offset));
  return { chunk: page.chunk, next_offset: String(page.nextOffset), eof: page.eof, algorithm: FILE_CHECKSUM };
}

/** Target: stores a page of a source's list, compared with what landed when the backup is tagged. */
export async function addSentChecksums(ctx: AgentContext, req: AddSentChecksumsRequest__Output): Promise<AddSentChecksumsResponse> {
  const backupId = checkBackupId(req.backup_id);
  const entry = checkEntry(req.entry, 'entry');
  needTarget(ctx);
  if (req.algorithm !== FILE_CHECKSUM) {
    throw new FfError('INVALID_ARGUMENT', `checksum algorithm ${JSON.stringify(String(req.algorithm).slice(0, 20))} is not this target's (${FILE_CHECKSUM})`, { details: { field: 'algorithm' } });
  }
  const end = await writeReceivedPage(ctx.config.runDir, backupId, entry, offsetOf(req.offset), Buffer.from(req.chunk ?? []), req.eof);
  return { bytes: String(end) };
}
