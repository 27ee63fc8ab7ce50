import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FfError, checkBackupId, checkEntry, checkRestorePaths, isFfError } from '@freezeframe/common';
import type { RestoreSourceRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/RestoreSourceRequest.js';
import type { TransferProgress } from '@freezeframe/common/generated/freezeframe/v1/TransferProgress.js';
import { needTarget, type AgentContext } from '../context.js';
import { subtreeRules } from '../file-names.js';
import { openTrustedDir, type SafeDir } from '../safe-fs.js';
import { sendTree } from './transfer.js';

/**
 * Checks that each of `paths` is in the backup's entry folder `tree`, reached through folders
 * only: a symbolic link on the way would make rsync's rules select nothing below it (the sender
 * never follows links), and the restore would quietly restore nothing. The last component may be
 * anything (a file, a folder, a link restored as a link). NOT_FOUND / FAILED_PRECONDITION name
 * the field `paths`.
 */
export async function checkPathsInBackup(tree: string, paths: readonly string[], what: string): Promise<void> {
  const refuse = (code: 'NOT_FOUND' | 'FAILED_PRECONDITION', p: string, why: string) =>
    new FfError(code, `paths ${JSON.stringify(p)}: ${why}`, { hint: 'name a file or folder the backup holds, by its path inside the source (restore --to-dir without --path puts the whole source in a folder to look inside)', details: { field: 'paths', path: p } });
  for (const p of paths) {
    const parts = p.split('/');
    let dir: SafeDir = await openTrustedDir(tree);
    try {
      for (const [i, name] of parts.entries()) {
        const shown = parts.slice(0, i + 1).join('/');
        if (i === parts.length - 1) {
          if (!(await dir.lstat(name))) throw refuse('NOT_FOUND', p, `${what} has no ${shown}`);
          break;
        }
        let next: SafeDir | undefined;
        try {
          next = await dir.dir(name);
        } catch (e) {
          if (isFfError(e, 'FAILED_PRECONDITION')) throw refuse('FAILED_PRECONDITION', p, `${shown} is a symbolic link in ${what}; name the folder it points to inside the source instead`);
          if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') throw refuse('FAILED_PRECONDITION', p, `${shown} is not a folder in ${what}`);
          throw e;
        }
        if (!next) throw refuse('NOT_FOUND', p, `${what} has no ${shown}`);
        await dir.close();
        dir = next;
      }
    } finally {
      await dir.close();
    }
  }
}

/**
 * Target: pushes one entry of an activated backup back to a source's data channel: the whole
 * entry, or with `paths` only those subtrees (the rules are written here, from the checked paths;
 * the receiver learns none of them), deleting on the receiver only inside them.
 */
export async function restoreSource(ctx: AgentContext, req: RestoreSourceRequest__Output, emit: (m: TransferProgress) => void, signal: AbortSignal): Promise<void> {
  const backupId = checkBackupId(req.backup_id);
  const entry = checkEntry(req.entry);
  const paths = req.paths.length > 0 ? checkRestorePaths(req.paths, 'paths') : undefined;
  const expected = Number(req.expected_bytes);
  if (!Number.isSafeInteger(expected) || expected < 0) throw new FfError('INVALID_ARGUMENT', `expected_bytes ${req.expected_bytes} is not a size`, { details: { field: 'expected_bytes' } });
  const { root, entries } = await needTarget(ctx).activate(backupId);
  if (!entries.includes(entry)) {
    throw new FfError('NOT_FOUND', `backup ${backupId} has no entry ${entry} (it has: ${entries.join(', ') || 'none'})`);
  }
  const from = join(root, entry);
  let list: string | undefined;
  if (paths) {
    await checkPathsInBackup(from, paths, `backup ${backupId}'s ${entry}`);
    list = join(ctx.config.runDir, `restore-${backupId}-${randomBytes(6).toString('hex')}.list`);
    await writeFile(list, subtreeRules(paths.map((p) => Buffer.from(p, 'utf8'))), { mode: 0o600 });
  }
  try {
    await sendTree(
      ctx,
      {
        backupId,
        from,
        ticket: req.ticket,
        receiverName: req.receiver_name,
        receiverHost: req.receiver_host,
        receiverPort: req.receiver_data_port,
        inplace: req.inplace,
        receiverNative: req.receiver_native,
        direction: 'restore',
        // a partial restore deletes what the backup lacks inside the paths only
        ...(list ? { only: list, deleteSelected: true } : {}),
        // the whole entry: its size is what the restore sends
        ...(!list && expected > 0 ? { expectedBytes: expected } : {}),
        // a dir target stores symlinks munged (so none can be followed there): send them as they were
        unmungeLinks: true,
      },
      emit,
      signal,
    );
  } finally {
    if (list) await rm(list, { force: true });
  }
}
